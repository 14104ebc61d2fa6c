// Which thread runs the pool's I/O (worker_pool_drive.cpp): a lone waiting
// caller runs it itself; a second waiter, a caller that keeps the token idle
// and shutdown must not stall anybody.
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>

#include <gtest/gtest.h>

#include "tatami/dojo/worker_pool.h"
#include "worker_pool_test_support.h"

namespace tatami::dojo {
namespace {

using testing::DoubleOptions;
using testing::ResponseOf;

class WorkerPoolDriveTest : public testing::NoLeaks {};

const ImportHeader kA = HeaderOf({"Mathlib"});

nlohmann::json Tactic(int state) { return {{"tactic", "skip"}, {"proofState", state}}; }

Lease AcquireOrFail(WorkerPool& pool) {
  auto acquired = pool.Acquire(kA);
  if (!std::holds_alternative<Lease>(acquired))
    throw std::runtime_error(Describe(std::get<PoolError>(acquired)));
  return std::move(std::get<Lease>(acquired));
}

// Waits for `future` through WorkerPool::Await.
template <typename T>
void AwaitFuture(const WorkerPool& pool, const std::future<T>& future) {
  pool.Await([&] { return future.wait_for(std::chrono::seconds(0)) == std::future_status::ready; },
             [&] { future.wait(); });
}

// Round trips of `lease` through RunAsync + Await; how many of their
// callbacks ran on this thread. (A callback must not throw: the outcome is
// looked at afterwards.)
int RoundTripsOnThisThread(const WorkerPool& pool, Lease& lease, int count) {
  int here = 0;
  for (int i = 0; i < count; ++i) {
    std::promise<std::pair<std::thread::id, ReplOutcome>> ran;
    auto future = ran.get_future();
    lease.RunAsync(Tactic(0), [&](ReplOutcome outcome) {
      ran.set_value({std::this_thread::get_id(), std::move(outcome)});
    });
    AwaitFuture(pool, future);
    const auto [thread, outcome] = future.get();
    ResponseOf(outcome);
    if (thread == std::this_thread::get_id()) ++here;
  }
  return here;
}

// Whether a Submit made on another thread, and waited for with a plain
// future wait (which does not drive the pool), is answered within 20 s.
bool AnotherThreadsSubmitIsServed(WorkerPool& pool) {
  std::future<PoolOutcome> submitted;
  std::thread other([&] { submitted = pool.Submit(kA, {{"cmd", "def x := 1"}}); });
  other.join();
  if (submitted.wait_for(std::chrono::seconds(20)) != std::future_status::ready) return false;
  ResponseOf(submitted.get());
  return true;
}

TEST_F(WorkerPoolDriveTest, LoneWaiterRunsTheCallbacksOnItsOwnThread) {
  WorkerPool pool(DoubleOptions());
  Lease lease = AcquireOrFail(pool);
  // The I/O thread takes the token back from a caller idle for a few
  // milliseconds, so on a loaded machine an answer may still come through
  // it; with the caller driving, most do. Before, none did.
  const int on_caller = RoundTripsOnThisThread(pool, lease, 20);
  EXPECT_GT(on_caller, 0);
}

TEST_F(WorkerPoolDriveTest, SecondWaiterIsServedWhileTheFirstWaitsForeverOnItsOwn) {
  // Each worker never answers its third request (the import is the first).
  std::optional<WorkerPool> pool_storage;
  WorkerPool& pool = pool_storage.emplace(DoubleOptions({"--hang-on", "3"}));
  Lease mine = AcquireOrFail(pool);
  std::mutex mu;
  std::condition_variable cv;
  bool about_to_hang = false;
  ReplOutcome hung_outcome;
  std::thread hanging([&] {
    Lease lease = AcquireOrFail(pool);
    ResponseOf(lease.Run(Tactic(0)));
    {
      std::lock_guard lock(mu);
      about_to_hang = true;
    }
    cv.notify_all();
    // Drives the pool while it waits, until the pool is shut down below.
    hung_outcome = lease.Run(Tactic(0));
  });
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return about_to_hang; });
  }
  // Whichever thread drives, this request is answered while the other one
  // waits for an answer that never comes.
  ResponseOf(mine.Run(Tactic(0)));
  mine.Release();
  pool_storage.reset();  // kills the hung worker
  hanging.join();
  EXPECT_FALSE(std::holds_alternative<ReplResponse>(hung_outcome)) << Describe(hung_outcome);
}

TEST_F(WorkerPoolDriveTest, CallbacksOfOtherThreadsRunWhileTheHolderIsIdle) {
  WorkerPool pool(DoubleOptions());
  Lease lease = AcquireOrFail(pool);
  ResponseOf(lease.Run(Tactic(0)));  // this thread now holds the token, idle
  // A plain future wait does not drive: the I/O thread must take the token
  // back from this thread, which only waits for the join.
  EXPECT_TRUE(AnotherThreadsSubmitIsServed(pool)) << "nobody ran the pool's handlers";
  ResponseOf(lease.Run(Tactic(0)));  // and this thread can drive again
}

TEST_F(WorkerPoolDriveTest, AReadyThatThrowsGivesTheTokenBack) {
  WorkerPool pool(DoubleOptions());
  Lease lease = AcquireOrFail(pool);
  int calls = 0;
  // The second call comes after this thread has taken the token.
  EXPECT_THROW(pool.Await(
                   [&] {
                     if (++calls == 2) throw std::runtime_error("ready() failed");
                     return false;
                   },
                   [] {}),
               std::runtime_error);
  // Another thread's plain wait is served (by the I/O thread), and so is
  // this thread's next request.
  EXPECT_TRUE(AnotherThreadsSubmitIsServed(pool))
      << "the token stayed with the thread whose ready() threw";
  ResponseOf(lease.Run(Tactic(0)));
}

TEST_F(WorkerPoolDriveTest, AwaitSeesAReadyMadeTrueOutsideThePool) {
  WorkerPool pool(DoubleOptions());
  Lease lease = AcquireOrFail(pool);  // this thread holds the token; nothing is in flight
  std::mutex mu;
  std::condition_variable cv;
  bool flag = false;
  std::thread setter([&] {
    std::lock_guard lock(mu);
    flag = true;
    cv.notify_all();
  });
  pool.Await(
      [&] {
        std::lock_guard lock(mu);
        return flag;
      },
      [&] {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return flag; });
      });
  setter.join();
}

TEST_F(WorkerPoolDriveTest, ALoneCallerGetsTheTokenBackOnceOthersStopWaiting) {
  WorkerPool pool(DoubleOptions());
  Lease mine = AcquireOrFail(pool);
  // A while of two callers waiting side by side: the I/O thread drives.
  std::atomic<bool> stop{false};
  std::thread other([&] {
    Lease lease = AcquireOrFail(pool);
    while (!stop) ResponseOf(lease.Run(Tactic(0)));
  });
  for (int i = 0; i < 200; ++i) ResponseOf(mine.Run(Tactic(0)));
  stop = true;
  other.join();
  // Alone again, this thread drives again after a short while (its own
  // follows must not prolong the while for ever).
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int here = 0;
  while (here == 0 && std::chrono::steady_clock::now() < give_up)
    here = RoundTripsOnThisThread(pool, mine, 50);
  EXPECT_GT(here, 0);
}

TEST_F(WorkerPoolDriveTest, AnswersArriveWhileTheHolderSendsWithoutWaiting) {
  WorkerPool pool(DoubleOptions());
  Lease lease = AcquireOrFail(pool);  // this thread holds the token idle
  std::atomic<int> answered{0};
  int sent = 0;
  // Requests sent at once on this thread, never waiting here: the I/O
  // thread must take the token back and read the answers meanwhile.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (answered == 0 && std::chrono::steady_clock::now() < give_up) {
    lease.RunAsync(Tactic(0), [&](ReplOutcome outcome) {
      if (std::holds_alternative<ReplResponse>(outcome)) ++answered;
    });
    ++sent;
  }
  EXPECT_GT(answered.load(), 0) << sent << " requests sent, none answered meanwhile";
  pool.Await([&] { return answered == sent; },
             [&] {
               while (answered != sent) std::this_thread::yield();
             });
}

TEST_F(WorkerPoolDriveTest, AwaitFromACallbackIsRefused) {
  WorkerPool pool(DoubleOptions());
  Lease lease = AcquireOrFail(pool);
  std::promise<bool> refused;
  auto future = refused.get_future();
  lease.RunAsync(Tactic(0), [&](ReplOutcome) {
    try {
      pool.Await([] { return true; }, [] {});
      refused.set_value(false);
    } catch (const std::logic_error&) {
      refused.set_value(true);
    }
  });
  EXPECT_TRUE(future.get());
}

}  // namespace
}  // namespace tatami::dojo
