// PoolInbox: hands tasks from caller threads to the thread that runs an
// io_context, woken through an eventfd that the poster writes with no lock
// held (private to dojo).
//
// Why not boost::asio::post: Asio 1.18 (Boost 1.74) wakes a thread blocked in
// epoll_wait while still holding the scheduler's mutex (scheduler::
// wake_one_thread_and_unlock calls the reactor's interrupt() before
// unlocking). The woken thread usually runs on the poster's CPU and preempts
// it, then blocks on that very mutex, and the poster must run again only to
// wake it a second time: four context switches for every post where one
// would do. Proof search posts one batch of tactics per expansion, so this
// was a measurable share of each expansion's time.
//
// Tasks run in the order they were pushed, all of one wake-up in one go.
// After Close() nothing more is taken, so a last task pushed by Close() runs
// after every task accepted before it.
//
// Thread-safety: Push and Close from any thread; Start on the io_context's
// thread (or before it runs). The io_context must outlive the inbox.
#pragma once

#include <utility>  // before Asio (g++ 12 coroutine headers)

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

namespace tatami::dojo::internal {

class PoolInbox {
 public:
  // Creates the eventfd; throws std::system_error if it cannot.
  explicit PoolInbox(boost::asio::io_context& io);
  ~PoolInbox();
  PoolInbox(const PoolInbox&) = delete;
  PoolInbox& operator=(const PoolInbox&) = delete;

  // Begins waiting for tasks on the io_context.
  void Start();

  // Queues `f` to run on the io_context's thread; false (and `f` dropped
  // unrun) once the inbox is closed.
  template <typename F>
  bool Push(F&& f) {
    return PushTask(std::make_unique<TaskOf<std::decay_t<F>>>(std::forward<F>(f)), false);
  }
  // Queues `last` as the final task and refuses every later Push. False if
  // already closed.
  template <typename F>
  bool Close(F&& last) {
    return PushTask(std::make_unique<TaskOf<std::decay_t<F>>>(std::forward<F>(last)), true);
  }

 private:
  struct Task {
    virtual ~Task() = default;
    virtual void Run() = 0;
  };
  template <typename F>
  struct TaskOf final : Task {
    explicit TaskOf(F f) : f(std::move(f)) {}
    void Run() override { f(); }
    F f;
  };

  bool PushTask(std::unique_ptr<Task> task, bool close);
  void Wait();  // io_context's thread

  boost::asio::posix::stream_descriptor wake_;
  std::uint64_t wake_count_ = 0;  // eventfd counter read into here

  std::mutex mu_;
  std::vector<std::unique_ptr<Task>> tasks_;  // guarded by mu_
  bool wake_pending_ = false;                 // the eventfd was written since the last drain; mu_
  bool closed_ = false;                       // mu_
};

}  // namespace tatami::dojo::internal
