// WorkerPool::Core: the pool's state and its I/O thread (private to dojo).
//
// All pool state (worker slots, the fair queue, the pickle cache) is touched
// only by the pool's handlers, which run one at a time on the thread that
// holds the drive token: the I/O thread, or a lone waiting caller
// (worker_pool_drive.cpp). Public functions post work to them. Only the admission counter
// used for back-pressure, the statistics and the shutdown flag are shared
// with caller threads, under `mu_`.
//
// The implementation is split by responsibility:
//   worker_pool_core.cpp      construction, shutdown, admission, statistics
//   worker_pool_drive.cpp     which thread runs the handlers (the drive token)
//   worker_pool_dispatch.cpp  Submit/Acquire/Prewarm, placing jobs on workers
//   worker_pool_workers.cpp   worker lifecycle: start, import or restore,
//                             pickle, settle, recycle, restart, retire
//   worker_pool_leases.cpp    Lease and the pool's side of its requests
//   worker_pool.cpp           the public WorkerPool facade
//
// Thread-safety: see each member's comment; "pool thread" members must run in
// the pool's handlers.
#pragma once

#include <utility>  // before Asio (g++ 12 coroutine headers)

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "fair_queue.h"
#include "pickle_cache.h"
#include "tatami/dojo/repl_process.h"
#include "tatami/dojo/worker_pool.h"

namespace tatami::dojo {

namespace internal {

// "'import A;import B'" or "(no imports)", for messages.
std::string HeaderName(const std::string& key);

// The fairness key of the calling thread.
std::uint64_t CallerOfThisThread();

}  // namespace internal

// What a lease knows; shared between the Lease (caller threads) and the
// callbacks of its requests (the pool's thread), guarded by `mu`.
struct Lease::State {
  std::weak_ptr<WorkerPool::Core> core;  // expires with the pool
  std::size_t slot = 0;
  ImportHeader header;
  mutable std::mutex mu;
  std::uint64_t generation = 0;
  int header_env = -1;
  bool broken = false;
  bool released = false;
  bool needs_recycle = false;
  std::uint64_t proof_states = 0;
};

class WorkerPool::Core {
 public:
  using AcquireCallback =
      std::function<void(std::variant<std::shared_ptr<Lease::State>, PoolError>)>;
  using RestartCallback = std::function<void(std::optional<PoolError>)>;

  // Starts the I/O thread. Throws std::invalid_argument for bad options.
  explicit Core(WorkerPoolOptions options);
  ~Core();

  void Start(std::shared_ptr<Core> self) { self_weak_ = self; }
  // Fails everything queued, kills every worker, joins the thread. Any thread
  // but the pool's; idempotent.
  void Shutdown();

  // --- caller threads (they post to the pool's thread) ---
  void Submit(const ImportHeader& header, nlohmann::json request, Callback done,
              const SubmitOptions& options);
  void Acquire(const ImportHeader& header, std::uint64_t caller, AcquireCallback done);
  void Prewarm(const ImportHeader& header, std::size_t count);
  void LeaseRun(const std::shared_ptr<Lease::State>& lease, std::vector<nlohmann::json> requests,
                Lease::IndexedCallback done, std::optional<std::chrono::milliseconds> timeout);
  void LeaseRestart(const std::shared_ptr<Lease::State>& lease, RestartCallback done);
  void LeaseRelease(std::size_t slot, std::uint64_t generation);

  // Blocks until ready(); runs the pool's handlers on this thread meanwhile
  // when no other caller waits (worker_pool_drive.cpp), else calls wait(),
  // which must block until ready() holds. ready() runs under drive_mu_.
  // Caller threads, not the pool's handlers.
  void Await(const std::function<bool()>& ready, const std::function<void()>& wait);
  template <typename T>
  void AwaitFuture(const std::future<T>& future) {
    Await([&] { return future.wait_for(std::chrono::seconds(0)) == std::future_status::ready; },
          [&] { future.wait(); });
  }

  // --- any thread ---
  PoolStats stats() const {
    std::lock_guard<std::mutex> lock(mu_);
    PoolStats s = stats_;
    s.queue_depth = queued_;
    return s;
  }
  const WorkerPoolOptions& options() const { return options_; }
  std::size_t size() const { return slots_; }
  // True inside the pool's handlers (worker_pool_drive.cpp).
  bool OnPoolThread() const;
  bool stopped() const {
    std::lock_guard<std::mutex> lock(mu_);
    return shutting_down_;
  }

 private:
  enum class Phase { kEmpty, kStarting, kIdle, kBusy, kLeased };

  // Why a worker is started again for the header it holds.
  enum class RestartCause {
    kDied,     // its process crashed, timed out or broke the protocol
    kRecycle,  // it passed max_proof_states or recycle_rss_bytes
    kLease,    // its lease holder asked for a fresh process
  };

  // A Submit or an Acquire waiting for a worker.
  struct Job {
    bool is_lease = false;
    ImportHeader header;
    std::string key;
    nlohmann::json request;
    std::optional<std::chrono::milliseconds> timeout;
    Callback submit_done;
    AcquireCallback acquire_done;
    std::uint64_t caller = 0;
  };

  // One slot of the pool and the process running in it.
  struct Worker {
    std::size_t slot = 0;
    Phase phase = Phase::kEmpty;
    std::unique_ptr<ReplProcess> process;
    ImportHeader header;
    std::string key;
    std::uint64_t generation = 0;
    int header_env = -1;
    std::uint64_t last_used = 0;
    std::int64_t max_proof_state = -1;
    std::optional<Job> pending;  // the job that is waiting for this start
    // Leased workers: requests in flight and a release that waits for them.
    std::size_t in_flight = 0;
    bool release_pending = false;
    // A Lease::Restart waiting for this start.
    RestartCallback restart_done;
    bool restoring = false;  // this start unpickles the header env
  };

  enum class Admission { kAdmitted, kFull, kShutdown };

  // --- worker_pool_drive.cpp ---
  // Who holds the drive token (runs io_.run_one()).
  enum class Driver {
    kFree,        // nobody; the I/O thread takes it
    kIoThread,    // the I/O thread
    kCaller,      // a waiting caller, in io_.run_one()
    kIdleCaller,  // a caller between waits, keeping it for its next one
  };
  void IoLoop();  // the I/O thread
  // Makes the calling thread the driver (true), or says that it must wait
  // while another thread drives (false). drive_mu_ held.
  bool TakeToken(std::unique_lock<std::mutex>& lock);
  // Shutdown: from now on only the I/O thread drives.
  void LeaveToken();
  // Runs `handler` at once on this thread if this thread holds the token
  // idle (its next wait would run it first anyway), else posts it as
  // PostUnlessStopped does. False: the pool is shutting down.
  template <typename F>
  bool RunHereOrPost(F&& handler) {
    if (TakeOwnIdleToken()) {
      bool stopping;
      {
        std::lock_guard<std::mutex> lock(mu_);
        stopping = shutting_down_;
      }
      if (!stopping) {
        try {
          handler();
        } catch (...) {
          std::terminate();  // a callback threw: as in RunHandlers
        }
      }
      ReturnOwnToken();
      return !stopping;
    }
    return PostUnlessStopped(std::forward<F>(handler));
  }
  bool TakeOwnIdleToken();
  void ReturnOwnToken();
  // The caller's token after a wait: kept idle, or to the I/O thread when
  // others wait or the pool stops. drive_mu_ held.
  void StopDriving();
  // Runs at least one of io_'s handlers for a driving caller, or returns
  // after kIdleTokenPeriod.
  void RunHandlers();

  // --- worker_pool_core.cpp ---
  // Reserves a place in the queue for one job and posts `enqueue` (under the
  // lock, so nothing is posted after Shutdown's handler). Blocks while the
  // queue is full if `may_block`. Caller threads.
  Admission Admit(bool may_block, std::function<void()> enqueue);
  // Returns `count` places to the admission counter. Pool thread.
  void Dequeued(std::size_t count);
  void FailJob(Job& job, PoolError error);
  template <typename F>
  void Post(F&& f) {
    boost::asio::post(io_, std::forward<F>(f));
  }
  // Posts from a caller thread unless the pool is shutting down: the check
  // and the post are atomic with respect to Shutdown(), so nothing is posted
  // after the shutdown handler (it would never run).
  template <typename F>
  bool PostUnlessStopped(F&& f) {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutting_down_) return false;
    PostFromCaller(std::forward<F>(f));
    return true;
  }
  // Posts, counted in caller_posts_ until the handler starts.
  template <typename F>
  void PostFromCaller(F&& f) {
    caller_posts_.fetch_add(1);
    boost::asio::post(io_, [this, handler = std::decay_t<F>(std::forward<F>(f))]() mutable {
      caller_posts_.fetch_sub(1);
      handler();
    });
  }
  void Bump(std::uint64_t PoolStats::*counter) {
    std::lock_guard<std::mutex> lock(mu_);
    ++(stats_.*counter);
  }
  void AdjustLeasesHeld(int delta);
  void CountAlive();

  // --- worker_pool_dispatch.cpp (pool thread) ---
  void Enqueue(Job job);
  void Dispatch();
  bool TryPlace(Job& job);
  void Assign(Worker& w, Job job, bool reused);
  void FinishSubmit(std::size_t slot, std::uint64_t generation, ReplOutcome outcome, Callback done);

  // --- worker_pool_workers.cpp (pool thread) ---
  void StartWorker(Worker& w, const ImportHeader& header, std::string key);
  void OnStarted(std::size_t slot, std::uint64_t generation, StartResult result);
  void OnStartFailed(Worker& w, PoolError error);
  // A restore from a pickle failed: forget the pickle, import instead.
  void ImportInsteadOfRestore(Worker& w);
  void AfterPickle(std::size_t slot, std::uint64_t generation, const ReplOutcome& outcome,
                   const std::filesystem::path& path);
  void BecomeReady(Worker& w);
  // Starts a fresh process for the header `w` holds, in the same slot.
  void RestartSameHeader(Worker& w, RestartCause cause);
  // After a request or a lease: restart a dead worker, recycle one past its
  // thresholds, or make it idle.
  void Settle(Worker& w, bool killed);
  void Retire(Worker& w);  // kills the process and empties the slot
  bool NeedsRecycle(const Worker& w) const;
  // The worker's process: options_ passed on, and the start-up request that
  // makes the header env (restore from `restore_from`, else import `key`).
  ReplProcessOptions ProcessOptions(const std::string& key,
                                    const std::optional<std::filesystem::path>& restore_from) const;

  WorkerPoolOptions options_;
  std::size_t slots_;
  std::weak_ptr<Core> self_weak_;
  mutable boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;

  // The drive token, guarded by drive_mu_.
  std::mutex drive_mu_;
  std::condition_variable io_cv_;     // the I/O thread waits here for the token
  std::condition_variable yield_cv_;  // a caller waits here for the I/O thread to yield it
  Driver driver_ = Driver::kFree;
  std::uint64_t drive_epoch_ = 0;                      // counts callers' takes of the token
  std::thread::id holder_;                             // the caller that took it last
  std::chrono::steady_clock::time_point last_follow_;  // a caller last followed
  std::size_t followers_ = 0;  // callers waiting while another thread drives
  bool want_ = false;          // a caller asked the I/O thread to yield
  bool quit_ = false;          // shutting down: the I/O thread drives
  bool io_exited_ = false;     // io_ stopped and the I/O thread ended
  // Whether the driving caller polls before it sleeps: its last wait for a
  // handler ended within the polling budget (RunHandlers). Only the token's
  // holder reads and writes it.
  bool poll_first_ = false;
  // Handlers posted by caller threads that have not started: a caller runs
  // its own handler at once only when none is waiting (RunHereOrPost).
  std::atomic<std::size_t> caller_posts_{0};

  // Pool handlers only.
  std::vector<Worker> workers_;
  internal::FairQueue<Job> queue_;
  std::uint64_t tick_ = 0;
  std::uint64_t next_generation_ = 0;
  bool stopping_ = false;
  internal::PickleCache pickles_;
  std::vector<std::unique_ptr<ReplProcess>> graveyard_;  // destroyed outside their callbacks

  // Shared with caller threads.
  mutable std::mutex mu_;
  std::condition_variable room_;
  std::size_t queued_ = 0;
  bool shutting_down_ = false;
  PoolStats stats_;
};

}  // namespace tatami::dojo
