// PoolInbox (dojo/src/pool_inbox.h): tasks from other threads run on the
// io_context's thread, in order, none lost, none taken after Close.
#include "pool_inbox.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace tatami::dojo::internal {
namespace {

class PoolInboxTest : public ::testing::Test {
 protected:
  void StartThread() {
    inbox_.Start();
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  PoolInbox inbox_{io_};
  std::thread thread_;
};

TEST_F(PoolInboxTest, TasksRunOnTheIoThreadInPushOrderAndNoneIsLost) {
  StartThread();
  constexpr int kThreads = 2;
  constexpr int kPerThread = 20000;
  // Touched only by tasks, so only by the io thread.
  std::vector<std::vector<int>> seen(kThreads);
  std::atomic<int> off_thread{0};
  std::vector<std::thread> posters;
  for (int t = 0; t < kThreads; ++t) {
    posters.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        ASSERT_TRUE(inbox_.Push([&, t, i] {
          if (!io_.get_executor().running_in_this_thread()) ++off_thread;
          seen[t].push_back(i);
        }));
      }
    });
  }
  for (auto& p : posters) p.join();
  std::promise<void> drained;
  ASSERT_TRUE(inbox_.Push([&] { drained.set_value(); }));
  drained.get_future().get();
  EXPECT_EQ(off_thread.load(), 0);
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(seen[t].size(), static_cast<std::size_t>(kPerThread)) << "poster " << t;
    for (int i = 0; i < kPerThread; ++i) ASSERT_EQ(seen[t][i], i) << "poster " << t;
  }
}

TEST_F(PoolInboxTest, PushesBeforeTheIoThreadRunsAreKept) {
  std::vector<int> seen;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(inbox_.Push([&seen, i] { seen.push_back(i); }));
  std::promise<void> drained;
  ASSERT_TRUE(inbox_.Push([&] { drained.set_value(); }));
  StartThread();
  drained.get_future().get();
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2}));
}

TEST_F(PoolInboxTest, CloseRunsItsTaskLastAndRefusesLaterPushes) {
  StartThread();
  std::vector<int> seen;
  ASSERT_TRUE(inbox_.Push([&] { seen.push_back(1); }));
  std::promise<void> closed;
  ASSERT_TRUE(inbox_.Close([&] {
    seen.push_back(2);
    closed.set_value();
  }));
  bool ran_late = false;
  EXPECT_FALSE(inbox_.Push([&] { ran_late = true; }));
  EXPECT_FALSE(inbox_.Close([&] { ran_late = true; }));
  closed.get_future().get();
  EXPECT_EQ(seen, (std::vector<int>{1, 2}));
  EXPECT_FALSE(ran_late);
}

}  // namespace
}  // namespace tatami::dojo::internal
