// WorkerPool::Core: construction, shutdown, admission to the queue and the
// counters shared with caller threads.
#include "worker_pool_core.h"

#include <algorithm>
#include <stdexcept>

namespace tatami::dojo {

namespace internal {

std::string HeaderName(const std::string& key) {
  if (key.empty()) return "(no imports)";
  std::string name = key;
  std::replace(name.begin(), name.end(), '\n', ';');
  return "'" + name + "'";
}

std::uint64_t CallerOfThisThread() {
  return std::hash<std::thread::id>{}(std::this_thread::get_id());
}

}  // namespace internal

WorkerPool::Core::Core(WorkerPoolOptions options)
    : options_(std::move(options)),
      slots_(options_.workers ? options_.workers
                              : std::max(1u, std::thread::hardware_concurrency())),
      work_(boost::asio::make_work_guard(io_)),
      pickles_(options_.restore_from_pickle, options_.pickle_dir) {
  if (options_.repl_command.empty())
    throw std::invalid_argument("WorkerPool: options.repl_command is empty");
  if (options_.max_queue == 0) throw std::invalid_argument("WorkerPool: options.max_queue is 0");
  workers_.resize(slots_);
  for (std::size_t i = 0; i < slots_; ++i) workers_[i].slot = i;
  thread_ = std::thread([this] { IoLoop(); });
}

WorkerPool::Core::~Core() {
  // Shutdown() has joined the thread; anything left in io_ is destroyed with it.
}

void WorkerPool::Core::Shutdown() {
  // The handlers' thread would wait for itself (a caller driving the pool
  // holds the token the I/O thread needs to finish).
  if (OnPoolThread())
    throw std::logic_error("WorkerPool destroyed from inside one of its own callbacks");
  std::unique_lock<std::mutex> lock(mu_);
  if (shutting_down_) return;
  shutting_down_ = true;
  Post([this] {
    stopping_ = true;
    PoolError error{PoolError::kShutdown, "", "the worker pool was shut down", std::nullopt};
    queue_.Clear([&](Job& job) { FailJob(job, error); });
    for (Worker& w : workers_) {
      if (w.pending) FailJob(*w.pending, error), w.pending.reset();
      if (w.restart_done) std::exchange(w.restart_done, nullptr)(error);
      if (w.process) {
        w.process->Kill();
        graveyard_.push_back(std::move(w.process));
      }
      w.phase = Phase::kEmpty;
    }
    // Killing completes the pending requests (as crashes) through posted
    // handlers; let them run before the processes are destroyed.
    Post([this] {
      graveyard_.clear();
      CountAlive();
      pickles_.RemoveAll();
      work_.reset();
      Post([this] { io_.stop(); });
    });
  });
  lock.unlock();
  room_.notify_all();
  LeaveToken();
  if (thread_.joinable()) thread_.join();
  // If the thread was never running handlers (e.g. stopped early), clean up here.
  graveyard_.clear();
  for (Worker& w : workers_) w.process.reset();
}

WorkerPool::Core::Admission WorkerPool::Core::Admit(bool may_block, std::function<void()> enqueue) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!shutting_down_ && queued_ >= options_.max_queue) {
    if (!may_block) return Admission::kFull;
    room_.wait(lock, [&] { return shutting_down_ || queued_ < options_.max_queue; });
  }
  if (shutting_down_) return Admission::kShutdown;
  ++queued_;
  PostFromCaller(std::move(enqueue));
  return Admission::kAdmitted;
}

void WorkerPool::Core::Dequeued(std::size_t count) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queued_ -= count;
  }
  room_.notify_all();
}

void WorkerPool::Core::FailJob(Job& job, PoolError error) {
  if (job.is_lease) {
    if (job.acquire_done) std::exchange(job.acquire_done, nullptr)(std::move(error));
  } else if (job.submit_done) {
    std::exchange(job.submit_done, nullptr)(PoolOutcome(std::move(error)));
  }
}

void WorkerPool::Core::AdjustLeasesHeld(int delta) {
  std::lock_guard<std::mutex> lock(mu_);
  stats_.leases_held =
      static_cast<std::size_t>(static_cast<std::ptrdiff_t>(stats_.leases_held) + delta);
}

void WorkerPool::Core::CountAlive() {
  std::size_t alive = 0;
  for (const Worker& w : workers_)
    if (w.process && w.phase != Phase::kEmpty) ++alive;
  std::lock_guard<std::mutex> lock(mu_);
  stats_.workers_alive = alive;
}

}  // namespace tatami::dojo
