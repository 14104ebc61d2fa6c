// WorkerPool implementation. All pool state (workers, queues) lives on the
// I/O thread; public functions post work to it. Only the queue counter used
// for back-pressure, the statistics and the shutdown flag are shared with
// caller threads, under `mu_`.
#include "tatami/dojo/worker_pool.h"

#include <utility>  // before Asio (g++ 12 coroutine headers)

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>

#include <fmt/format.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "tatami/dojo/repl_process.h"

namespace tatami::dojo {
namespace {

std::string HeaderName(const std::string& key) {
  if (key.empty()) return "(no imports)";
  std::string name = key;
  std::replace(name.begin(), name.end(), '\n', ';');
  return "'" + name + "'";
}

std::uint64_t CallerOfThisThread() {
  return std::hash<std::thread::id>{}(std::this_thread::get_id());
}

// True if the outcome means the worker process is gone.
bool KilledWorker(const ReplOutcome& outcome) {
  return std::holds_alternative<ReplTimeout>(outcome) ||
         std::holds_alternative<ReplCrash>(outcome) ||
         std::holds_alternative<ReplProtocolError>(outcome);
}

// The REPL numbers proof states 0, 1, 2, ... per process, so the largest id a
// response mentions bounds how many states the process holds.
void NoteProofStates(const nlohmann::json& j, std::int64_t& max_id) {
  if (!j.is_object()) return;
  if (auto it = j.find("proofState"); it != j.end() && it->is_number_integer())
    max_id = std::max(max_id, it->get<std::int64_t>());
  for (const char* list : {"sorries", "tactics"}) {
    if (auto it = j.find(list); it != j.end() && it->is_array())
      for (const auto& item : *it) NoteProofStates(item, max_id);
  }
}

// Text of the error messages in a REPL response to an import, or "" if it
// succeeded (an {"env": n} without error messages).
std::string ImportError(const nlohmann::json& response) {
  if (!response.is_object()) return "the REPL's answer is not a JSON object";
  if (auto it = response.find("message"); it != response.end())
    return it->is_string() ? it->get<std::string>() : it->dump();
  std::string errors;
  if (auto it = response.find("messages"); it != response.end() && it->is_array()) {
    for (const auto& m : *it) {
      if (!m.is_object() || m.value("severity", "") != "error") continue;
      if (!errors.empty()) errors += "; ";
      errors += m.value("data", std::string("(no text)"));
    }
  }
  if (!errors.empty()) return errors;
  if (auto it = response.find("env"); it == response.end() || !it->is_number_integer())
    return "the REPL's answer has no env: " + response.dump();
  return "";
}

}  // namespace

std::string Describe(const PoolError& error) { return error.message; }

std::string Describe(const PoolOutcome& outcome) {
  if (const auto* e = std::get_if<PoolError>(&outcome)) return Describe(*e);
  return Describe(std::get<ReplOutcome>(outcome));
}

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

  explicit Core(WorkerPoolOptions options);
  ~Core();

  void Start(std::shared_ptr<Core> self) { self_weak_ = self; }
  void Shutdown();

  void Submit(const ImportHeader& header, nlohmann::json request, Callback done,
              const SubmitOptions& options);
  void Acquire(const ImportHeader& header, std::uint64_t caller, AcquireCallback done);
  void Prewarm(const ImportHeader& header, std::size_t count);

  // Lease operations (caller threads; they post to the pool's thread).
  void LeaseRun(const std::shared_ptr<Lease::State>& lease, nlohmann::json request,
                Lease::Callback done, std::optional<std::chrono::milliseconds> timeout);
  void LeaseRestart(const std::shared_ptr<Lease::State>& lease,
                    std::function<void(std::optional<PoolError>)> done);
  void LeaseRelease(std::size_t slot, std::uint64_t generation);

  PoolStats stats() const {
    std::lock_guard<std::mutex> lock(mu_);
    PoolStats s = stats_;
    s.queue_depth = queued_;
    return s;
  }
  const WorkerPoolOptions& options() const { return options_; }
  std::size_t size() const { return slots_; }
  bool OnPoolThread() const { return io_.get_executor().running_in_this_thread(); }
  bool stopped() const {
    std::lock_guard<std::mutex> lock(mu_);
    return shutting_down_;
  }

 private:
  enum class Phase { kEmpty, kStarting, kIdle, kBusy, kLeased };

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
    std::function<void(std::optional<PoolError>)> restart_done;
    bool restoring = false;  // this start unpickles the header env
  };

  // --- all of the below run on the pool's thread ---
  void Enqueue(Job job);
  void Dispatch();
  bool TryPlace(Job& job);
  void Assign(Worker& w, Job job, bool reused);
  void StartWorker(Worker& w, const ImportHeader& header, std::string key);
  void OnStarted(std::size_t slot, std::uint64_t generation, StartResult result);
  void OnStartFailed(Worker& w, PoolError error);
  void AfterPickle(std::size_t slot, std::uint64_t generation, const ReplOutcome& outcome,
                   const std::string& path);
  void BecomeReady(Worker& w);
  void FinishSubmit(std::size_t slot, std::uint64_t generation, ReplOutcome outcome, Callback done);
  void RestartOrFree(Worker& w, bool recycle);
  // After a request or a lease: restart a dead worker, recycle one past its
  // thresholds, or make it idle.
  void Settle(Worker& w, bool killed);
  void Retire(Worker& w);  // kills the process and empties the slot
  bool NeedsRecycle(const Worker& w) const;
  void Dequeued(std::size_t count);
  void FailJob(Job& job, PoolError error);
  std::filesystem::path PicklePath(const std::string& key);
  ReplProcessOptions ProcessOptions(const std::string& key) const;
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
    boost::asio::post(io_, std::forward<F>(f));
    return true;
  }
  void Bump(std::uint64_t PoolStats::*counter) {
    std::lock_guard<std::mutex> lock(mu_);
    ++(stats_.*counter);
  }
  void CountAlive();

  WorkerPoolOptions options_;
  std::size_t slots_;
  std::weak_ptr<Core> self_weak_;
  mutable boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;

  // Pool thread only.
  std::vector<Worker> workers_;
  std::map<std::uint64_t, std::deque<Job>> queues_;  // per caller, FIFO
  std::deque<std::uint64_t> rotation_;               // callers with waiting jobs
  std::uint64_t tick_ = 0;
  std::uint64_t next_generation_ = 0;
  bool stopping_ = false;
  std::map<std::string, std::filesystem::path> pickles_;  // header key -> pickle file
  std::map<std::string, bool> pickle_attempted_;
  std::filesystem::path pickle_root_;
  std::vector<std::unique_ptr<ReplProcess>> graveyard_;  // destroyed outside their callbacks

  // Shared with caller threads.
  mutable std::mutex mu_;
  std::condition_variable room_;
  std::size_t queued_ = 0;
  bool shutting_down_ = false;
  PoolStats stats_;
};

WorkerPool::Core::Core(WorkerPoolOptions options)
    : options_(std::move(options)),
      slots_(options_.workers ? options_.workers
                              : std::max(1u, std::thread::hardware_concurrency())),
      work_(boost::asio::make_work_guard(io_)) {
  if (options_.repl_command.empty())
    throw std::invalid_argument("WorkerPool: options.repl_command is empty");
  if (options_.max_queue == 0) throw std::invalid_argument("WorkerPool: options.max_queue is 0");
  workers_.resize(slots_);
  for (std::size_t i = 0; i < slots_; ++i) workers_[i].slot = i;
  thread_ = std::thread([this] { io_.run(); });
}

WorkerPool::Core::~Core() {
  // Shutdown() has joined the thread; anything left in io_ is destroyed with it.
}

void WorkerPool::Core::Shutdown() {
  std::unique_lock<std::mutex> lock(mu_);
  if (shutting_down_) return;
  shutting_down_ = true;
  Post([this] {
    stopping_ = true;
    PoolError error{PoolError::kShutdown, "", "the worker pool was shut down", std::nullopt};
    for (auto& [caller, queue] : queues_)
      for (Job& job : queue) FailJob(job, error);
    queues_.clear();
    rotation_.clear();
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
      if (!pickle_root_.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(pickle_root_, ec);
      }
      work_.reset();
      Post([this] { io_.stop(); });
    });
  });
  lock.unlock();
  room_.notify_all();
  if (thread_.joinable()) thread_.join();
  // If the thread was never running handlers (e.g. stopped early), clean up here.
  graveyard_.clear();
  for (Worker& w : workers_) w.process.reset();
}

ReplProcessOptions WorkerPool::Core::ProcessOptions(const std::string& key) const {
  ReplProcessOptions o;
  o.command = options_.repl_command;
  o.working_directory = options_.project_dir;
  o.environment = options_.environment;
  o.request_timeout = options_.request_timeout;
  o.startup_timeout = options_.startup_timeout;
  o.memory_limit_bytes = options_.memory_limit_bytes;
  if (!key.empty()) {
    auto it = pickles_.find(key);
    if (options_.restore_from_pickle && it != pickles_.end())
      o.startup_requests.push_back({{"unpickleEnvFrom", it->second.string()}});
    else
      o.startup_requests.push_back({{"cmd", key}});
  }
  return o;
}

void WorkerPool::Core::CountAlive() {
  std::size_t alive = 0;
  for (const Worker& w : workers_)
    if (w.process && w.phase != Phase::kEmpty) ++alive;
  std::lock_guard<std::mutex> lock(mu_);
  stats_.workers_alive = alive;
}

void WorkerPool::Core::FailJob(Job& job, PoolError error) {
  if (job.is_lease) {
    if (job.acquire_done) std::exchange(job.acquire_done, nullptr)(std::move(error));
  } else if (job.submit_done) {
    std::exchange(job.submit_done, nullptr)(PoolOutcome(std::move(error)));
  }
}

void WorkerPool::Core::Dequeued(std::size_t count) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queued_ -= count;
  }
  room_.notify_all();
}

// ---------------------------------------------------------------- submitting

void WorkerPool::Core::Submit(const ImportHeader& header, nlohmann::json request, Callback done,
                              const SubmitOptions& options) {
  const std::string key = header.Key();
  auto refuse = [&](PoolError::Kind kind, std::string message) {
    done(PoolOutcome(PoolError{kind, key, std::move(message), std::nullopt}));
  };
  if (!request.is_object())
    return refuse(PoolError::kBadRequest,
                  fmt::format("request for header {} is not a JSON object", HeaderName(key)));
  for (const char* field : {"env", "proofState"}) {
    if (request.contains(field))
      return refuse(PoolError::kBadRequest,
                    fmt::format("request for header {} carries \"{}\", which only means something "
                                "on one worker; use a Lease for follow-up requests",
                                HeaderName(key), field));
  }
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (!shutting_down_ && queued_ >= options_.max_queue) {
      if (options_.when_full == FullQueuePolicy::kFail || OnPoolThread()) {
        lock.unlock();
        return refuse(PoolError::kQueueFull,
                      fmt::format("request for header {} refused: {} requests already waiting",
                                  HeaderName(key), options_.max_queue));
      }
      room_.wait(lock, [&] { return shutting_down_ || queued_ < options_.max_queue; });
    }
    if (shutting_down_) {
      lock.unlock();
      return refuse(PoolError::kShutdown, "the worker pool was shut down");
    }
    ++queued_;
    Job job;
    job.header = header;
    job.key = key;
    job.request = std::move(request);
    job.timeout = options.timeout;
    job.submit_done = std::move(done);
    job.caller = options.caller.value_or(CallerOfThisThread());
    Post([this, job = std::move(job)]() mutable { Enqueue(std::move(job)); });
  }
}

void WorkerPool::Core::Acquire(const ImportHeader& header, std::uint64_t caller,
                               AcquireCallback done) {
  const std::string key = header.Key();
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (!shutting_down_ && queued_ >= options_.max_queue) {
      if (options_.when_full == FullQueuePolicy::kFail) {
        lock.unlock();
        return done(
            PoolError{PoolError::kQueueFull, key,
                      fmt::format("lease for header {} refused: {} requests already waiting",
                                  HeaderName(key), options_.max_queue),
                      std::nullopt});
      }
      room_.wait(lock, [&] { return shutting_down_ || queued_ < options_.max_queue; });
    }
    if (shutting_down_) {
      lock.unlock();
      return done(
          PoolError{PoolError::kShutdown, key, "the worker pool was shut down", std::nullopt});
    }
    ++queued_;
    Job job;
    job.is_lease = true;
    job.header = header;
    job.key = key;
    job.acquire_done = std::move(done);
    job.caller = caller;
    Post([this, job = std::move(job)]() mutable { Enqueue(std::move(job)); });
  }
}

void WorkerPool::Core::Prewarm(const ImportHeader& header, std::size_t count) {
  PostUnlessStopped([this, header, count] {
    if (stopping_) return;
    const std::string key = header.Key();
    std::size_t started = 0;
    for (Worker& w : workers_) {
      if (started == count) break;
      if (w.phase != Phase::kEmpty) continue;
      StartWorker(w, header, key);
      ++started;
    }
  });
}

void WorkerPool::Core::Enqueue(Job job) {
  if (stopping_) {
    Dequeued(1);
    FailJob(job, PoolError{PoolError::kShutdown, job.key, "the worker pool was shut down",
                           std::nullopt});
    return;
  }
  auto& queue = queues_[job.caller];
  if (queue.empty()) rotation_.push_back(job.caller);
  queue.push_back(std::move(job));
  Dispatch();
}

// Serves callers round-robin, each in FIFO order: a caller that is served
// moves to the back of the rotation; one whose head job cannot be placed keeps
// its place, so it is first in line when a worker frees up.
void WorkerPool::Core::Dispatch() {
  if (stopping_) return;
  std::size_t i = 0;
  while (i < rotation_.size()) {
    const std::uint64_t caller = rotation_[i];
    auto it = queues_.find(caller);
    if (it == queues_.end() || it->second.empty()) {
      if (it != queues_.end()) queues_.erase(it);
      rotation_.erase(rotation_.begin() + static_cast<std::ptrdiff_t>(i));
      continue;
    }
    if (!TryPlace(it->second.front())) {
      ++i;
      continue;
    }
    it->second.pop_front();
    Dequeued(1);
    rotation_.erase(rotation_.begin() + static_cast<std::ptrdiff_t>(i));
    if (it->second.empty())
      queues_.erase(it);
    else
      rotation_.push_back(caller);
  }
}

// Finds a worker for `job` (consuming it) or returns false, in the order of
// preference: an idle worker holding the header; a worker starting for the
// header that no job waits for; an empty slot; the least recently used idle
// worker, re-purposed.
bool WorkerPool::Core::TryPlace(Job& job) {
  Worker* lru = nullptr;
  for (Worker& w : workers_) {
    if (w.phase == Phase::kIdle && w.key == job.key) {
      Assign(w, std::move(job), /*reused=*/true);
      return true;
    }
  }
  for (Worker& w : workers_) {
    if (w.phase == Phase::kStarting && w.key == job.key && !w.pending && !w.restart_done) {
      w.pending = std::move(job);
      return true;
    }
  }
  for (Worker& w : workers_) {
    if (w.phase == Phase::kEmpty) {
      StartWorker(w, job.header, job.key);
      w.pending = std::move(job);
      return true;
    }
    if (w.phase == Phase::kIdle && (!lru || w.last_used < lru->last_used)) lru = &w;
  }
  if (lru) {
    Bump(&PoolStats::repurposes);
    Retire(*lru);
    StartWorker(*lru, job.header, job.key);
    lru->pending = std::move(job);
    return true;
  }
  return false;
}

void WorkerPool::Core::Assign(Worker& w, Job job, bool reused) {
  if (reused) Bump(&PoolStats::reuses);
  w.last_used = ++tick_;
  if (job.is_lease) {
    w.phase = Phase::kLeased;
    w.in_flight = 0;
    w.release_pending = false;
    auto lease = std::make_shared<Lease::State>();
    lease->core = self_weak_.lock();
    lease->slot = w.slot;
    lease->header = w.header;
    lease->generation = w.generation;
    lease->header_env = w.header_env;
    lease->proof_states = static_cast<std::uint64_t>(w.max_proof_state + 1);
    lease->needs_recycle = NeedsRecycle(w);
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.leases_held;
    }
    std::exchange(job.acquire_done, nullptr)(std::move(lease));
    return;
  }
  w.phase = Phase::kBusy;
  nlohmann::json request = std::move(job.request);
  if (request.contains("cmd") && !w.header.empty()) request["env"] = w.header_env;
  const std::size_t slot = w.slot;
  const std::uint64_t generation = w.generation;
  w.process->AsyncRequest(
      std::move(request),
      [this, slot, generation, done = std::move(job.submit_done)](ReplOutcome outcome) mutable {
        FinishSubmit(slot, generation, std::move(outcome), std::move(done));
      },
      job.timeout);
}

void WorkerPool::Core::FinishSubmit(std::size_t slot, std::uint64_t generation, ReplOutcome outcome,
                                    Callback done) {
  Bump(&PoolStats::requests);
  Worker& w = workers_[slot];
  if (!stopping_ && w.generation == generation && w.phase == Phase::kBusy) {
    if (const auto* r = std::get_if<ReplResponse>(&outcome))
      NoteProofStates(r->json, w.max_proof_state);
    Settle(w, KilledWorker(outcome));
  }
  done(PoolOutcome(std::move(outcome)));
  Dispatch();
}

void WorkerPool::Core::Settle(Worker& w, bool killed) {
  if (killed || !w.process || w.process->state() == ReplProcess::State::kDead) {
    RestartOrFree(w, /*recycle=*/false);
  } else if (NeedsRecycle(w)) {
    RestartOrFree(w, /*recycle=*/true);
  } else {
    w.phase = Phase::kIdle;
    w.last_used = ++tick_;
  }
}

bool WorkerPool::Core::NeedsRecycle(const Worker& w) const {
  if (options_.max_proof_states &&
      static_cast<std::uint64_t>(w.max_proof_state + 1) >= options_.max_proof_states)
    return true;
  if (options_.recycle_rss_bytes && w.process &&
      w.process->ResidentBytes() > options_.recycle_rss_bytes)
    return true;
  return false;
}

// ---------------------------------------------------------------- starting

void WorkerPool::Core::Retire(Worker& w) {
  if (w.process) {
    w.process->Kill();
    // The process may be inside one of its own callbacks; destroy it later.
    graveyard_.push_back(std::move(w.process));
    Post([this] { graveyard_.clear(); });
  }
  w.phase = Phase::kEmpty;
  w.key.clear();
  w.header = {};
  w.header_env = -1;
  CountAlive();
}

void WorkerPool::Core::StartWorker(Worker& w, const ImportHeader& header, std::string key) {
  if (w.process) Retire(w);
  const bool restoring = options_.restore_from_pickle && pickles_.count(key) > 0;
  w.header = header;
  w.key = std::move(key);
  w.phase = Phase::kStarting;
  w.generation = ++next_generation_;
  w.header_env = -1;
  w.max_proof_state = -1;
  w.restoring = restoring;
  w.process = std::make_unique<ReplProcess>(io_, ProcessOptions(w.key));
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.starts;
    if (restoring)
      ++stats_.restores;
    else if (!w.key.empty())
      ++stats_.imports;
  }
  CountAlive();
  const std::size_t slot = w.slot;
  const std::uint64_t generation = w.generation;
  w.process->AsyncStart([this, slot, generation](StartResult result) {
    OnStarted(slot, generation, std::move(result));
  });
}

void WorkerPool::Core::OnStarted(std::size_t slot, std::uint64_t generation, StartResult result) {
  Worker& w = workers_[slot];
  if (stopping_ || w.generation != generation || w.phase != Phase::kStarting) return;
  const std::string name = HeaderName(w.key);
  if (!result.ok) {
    PoolError error;
    error.header = w.key;
    error.cause = result.failure;
    if (result.failure && std::holds_alternative<ReplTimeout>(*result.failure)) {
      error.kind = PoolError::kImportTimeout;
      error.message = fmt::format("importing header {} did not finish within {} ms", name,
                                  options_.startup_timeout.count());
    } else if (result.failure && std::holds_alternative<ReplResponse>(*result.failure)) {
      error.kind = PoolError::kImportFailed;
      error.message = fmt::format("importing header {} failed: {}", name,
                                  ImportError(std::get<ReplResponse>(*result.failure).json));
    } else {
      error.kind = PoolError::kStartFailed;
      error.message =
          fmt::format("starting a worker for header {} failed: {}", name,
                      result.error.empty() ? std::string("unknown error") : result.error);
    }
    return OnStartFailed(w, std::move(error));
  }
  if (!w.key.empty()) {
    const auto& responses = w.process->startup_responses();
    const nlohmann::json response = responses.empty() ? nlohmann::json() : responses.back();
    const std::string problem = ImportError(response);
    if (!problem.empty()) {
      if (w.restoring) {
        // A pickle that no longer loads: forget it and import normally.
        pickles_.erase(w.key);
        ImportHeader header = w.header;
        std::string key = w.key;
        return StartWorker(w, header, std::move(key));
      }
      return OnStartFailed(
          w, PoolError{PoolError::kImportFailed, w.key,
                       fmt::format("importing header {} failed: {}", name, problem), [&] {
                         ReplResponse r;
                         r.json = response;
                         return ReplOutcome(std::move(r));
                       }()});
    }
    w.header_env = response["env"].get<int>();
    if (options_.restore_from_pickle && !w.restoring && !pickle_attempted_[w.key]) {
      pickle_attempted_[w.key] = true;
      const std::filesystem::path path = PicklePath(w.key);
      if (!path.empty()) {
        w.process->AsyncRequest(
            {{"pickleTo", path.string()}, {"env", w.header_env}},
            [this, slot, generation, path](ReplOutcome outcome) {
              AfterPickle(slot, generation, outcome, path.string());
            },
            options_.startup_timeout);
        return;
      }
    }
  }
  BecomeReady(w);
}

void WorkerPool::Core::AfterPickle(std::size_t slot, std::uint64_t generation,
                                   const ReplOutcome& outcome, const std::string& path) {
  Worker& w = workers_[slot];
  if (stopping_ || w.generation != generation || w.phase != Phase::kStarting) return;
  const auto* response = std::get_if<ReplResponse>(&outcome);
  if (response && ImportError(response->json).empty()) {
    pickles_[w.key] = path;
    Bump(&PoolStats::pickles);
  }
  if (KilledWorker(outcome)) {
    // Pickling is an optimisation; a worker that died doing it is restarted.
    ImportHeader header = w.header;
    std::string key = w.key;
    return StartWorker(w, header, std::move(key));
  }
  BecomeReady(w);
}

void WorkerPool::Core::BecomeReady(Worker& w) {
  w.last_used = ++tick_;
  if (w.restart_done) {
    w.phase = Phase::kLeased;
    std::exchange(w.restart_done, nullptr)(std::nullopt);
    return;
  }
  w.phase = Phase::kIdle;
  if (w.pending) {
    Job job = std::move(*w.pending);
    w.pending.reset();
    Assign(w, std::move(job), /*reused=*/false);
  }
  Dispatch();
}

void WorkerPool::Core::OnStartFailed(Worker& w, PoolError error) {
  Bump(&PoolStats::import_failures);
  const std::string key = w.key;
  std::optional<Job> pending = std::move(w.pending);
  w.pending.reset();
  auto restart_done = std::exchange(w.restart_done, nullptr);
  if (restart_done) {
    std::lock_guard<std::mutex> lock(mu_);
    --stats_.leases_held;
  }
  Retire(w);
  if (pending) FailJob(*pending, error);
  if (restart_done) restart_done(error);
  // Everyone waiting for this header now would meet the same failure.
  std::size_t failed = 0;
  for (auto it = queues_.begin(); it != queues_.end();) {
    auto& queue = it->second;
    for (auto job = queue.begin(); job != queue.end();) {
      if (job->key == key) {
        FailJob(*job, error);
        job = queue.erase(job);
        ++failed;
      } else {
        ++job;
      }
    }
    it = queue.empty() ? queues_.erase(it) : std::next(it);
  }
  if (failed) Dequeued(failed);
  Dispatch();
}

// After the worker's process died (recycle == false) or passed a recycle
// threshold: start a fresh one for the same header, keeping the slot warm.
void WorkerPool::Core::RestartOrFree(Worker& w, bool recycle) {
  Bump(recycle ? &PoolStats::recycles : &PoolStats::restarts);
  ImportHeader header = w.header;
  std::string key = w.key;
  StartWorker(w, header, std::move(key));
}

std::filesystem::path WorkerPool::Core::PicklePath(const std::string& key) {
  if (pickle_root_.empty()) {
    std::filesystem::path base =
        options_.pickle_dir.empty() ? std::filesystem::temp_directory_path() : options_.pickle_dir;
    std::string pattern = (base / "tatami-pool-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) return {};
    pickle_root_ = pattern;
  }
  return pickle_root_ / fmt::format("header-{:016x}.olean", std::hash<std::string>{}(key));
}

// ---------------------------------------------------------------- leases

void WorkerPool::Core::LeaseRun(const std::shared_ptr<Lease::State>& lease, nlohmann::json request,
                                Lease::Callback done,
                                std::optional<std::chrono::milliseconds> timeout) {
  auto shared_done = std::make_shared<Lease::Callback>(std::move(done));
  const bool posted = PostUnlessStopped(
      [this, lease, request = std::move(request), shared_done, timeout]() mutable {
        Lease::Callback done = std::move(*shared_done);
        std::uint64_t generation;
        {
          std::lock_guard<std::mutex> lock(lease->mu);
          generation = lease->generation;
        }
        Worker& w = workers_[lease->slot];
        if (stopping_ || w.generation != generation || w.phase != Phase::kLeased || !w.process) {
          return done(ReplRejected{"the leased worker is no longer available"});
        }
        if (request.is_object() && request.contains("cmd") && !request.contains("env") &&
            !w.header.empty())
          request["env"] = w.header_env;
        ++w.in_flight;
        const std::size_t slot = w.slot;
        w.process->AsyncRequest(
            std::move(request),
            [this, slot, generation, lease, done = std::move(done)](ReplOutcome outcome) mutable {
              Bump(&PoolStats::requests);
              Worker& w = workers_[slot];
              const bool current = w.generation == generation;
              if (current) {
                --w.in_flight;
                if (const auto* r = std::get_if<ReplResponse>(&outcome))
                  NoteProofStates(r->json, w.max_proof_state);
              }
              {
                std::lock_guard<std::mutex> lock(lease->mu);
                if (KilledWorker(outcome)) lease->broken = true;
                if (current) {
                  lease->proof_states = static_cast<std::uint64_t>(w.max_proof_state + 1);
                  lease->needs_recycle = !stopping_ && NeedsRecycle(w);
                }
              }
              done(std::move(outcome));
              if (current && !stopping_ && w.release_pending && w.in_flight == 0)
                LeaseRelease(slot, generation);
            },
            timeout);
      });
  if (!posted) (*shared_done)(ReplRejected{"the worker pool was shut down"});
}

void WorkerPool::Core::LeaseRestart(const std::shared_ptr<Lease::State>& lease,
                                    std::function<void(std::optional<PoolError>)> done) {
  using Done = std::function<void(std::optional<PoolError>)>;
  auto shared_done = std::make_shared<Done>(std::move(done));
  const bool posted = PostUnlessStopped([this, lease, shared_done]() mutable {
    Done done = std::move(*shared_done);
    std::uint64_t generation;
    {
      std::lock_guard<std::mutex> lock(lease->mu);
      generation = lease->generation;
    }
    Worker& w = workers_[lease->slot];
    if (stopping_ || w.generation != generation || w.phase != Phase::kLeased) {
      return done(PoolError{PoolError::kShutdown, lease->header.Key(),
                            "the leased worker is no longer available", std::nullopt});
    }
    Bump(&PoolStats::restarts);
    ImportHeader header = w.header;
    std::string key = w.key;
    StartWorker(w, header, std::move(key));
    w.restart_done = [this, lease, slot = w.slot,
                      done = std::move(done)](std::optional<PoolError> error) mutable {
      {
        std::lock_guard<std::mutex> lock(lease->mu);
        if (error) {
          lease->released = true;
        } else {
          const Worker& w = workers_[slot];
          lease->generation = w.generation;
          lease->header_env = w.header_env;
          lease->broken = false;
          lease->needs_recycle = false;
          lease->proof_states = 0;
        }
      }
      done(std::move(error));
    };
  });
  if (!posted)
    (*shared_done)(PoolError{PoolError::kShutdown, lease->header.Key(),
                             "the worker pool was shut down", std::nullopt});
}

void WorkerPool::Core::LeaseRelease(std::size_t slot, std::uint64_t generation) {
  PostUnlessStopped([this, slot, generation] {
    Worker& w = workers_[slot];
    if (stopping_ || w.generation != generation || w.phase != Phase::kLeased) return;
    if (w.in_flight > 0) {
      w.release_pending = true;
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      --stats_.leases_held;
    }
    w.release_pending = false;
    Settle(w, /*killed=*/false);
    Dispatch();
  });
}

// ---------------------------------------------------------------- Lease

Lease::~Lease() { Release(); }
Lease::Lease(Lease&&) noexcept = default;
Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Release();
    state_ = std::move(other.state_);
  }
  return *this;
}

void Lease::RunAsync(nlohmann::json request, Callback done,
                     std::optional<std::chrono::milliseconds> timeout) {
  if (!state_) return done(ReplRejected{"empty lease"});
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->released) return done(ReplRejected{"the lease was released"});
    if (state_->broken)
      return done(ReplRejected{fmt::format(
          "the leased worker (generation {}) died; its proof states are gone; Restart() the lease",
          state_->generation)});
  }
  auto core = state_->core.lock();
  if (!core || core->stopped()) return done(ReplRejected{"the worker pool was shut down"});
  core->LeaseRun(state_, std::move(request), std::move(done), timeout);
}

ReplOutcome Lease::Run(nlohmann::json request, std::optional<std::chrono::milliseconds> timeout) {
  if (auto core = state_ ? state_->core.lock() : nullptr; core && core->OnPoolThread())
    throw std::logic_error("Lease::Run called from a WorkerPool callback (would deadlock)");
  auto promise = std::make_shared<std::promise<ReplOutcome>>();
  auto future = promise->get_future();
  RunAsync(
      std::move(request),
      [promise](ReplOutcome outcome) { promise->set_value(std::move(outcome)); }, timeout);
  return future.get();
}

std::optional<PoolError> Lease::Restart() {
  if (!state_) return PoolError{PoolError::kBadRequest, "", "empty lease", std::nullopt};
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->released)
      return PoolError{PoolError::kBadRequest, state_->header.Key(), "the lease was released",
                       std::nullopt};
  }
  auto core = state_->core.lock();
  if (core && core->OnPoolThread())
    throw std::logic_error("Lease::Restart called from a WorkerPool callback (would deadlock)");
  if (!core || core->stopped())
    return PoolError{PoolError::kShutdown, state_->header.Key(), "the worker pool was shut down",
                     std::nullopt};
  auto promise = std::make_shared<std::promise<std::optional<PoolError>>>();
  auto future = promise->get_future();
  core->LeaseRestart(
      state_, [promise](std::optional<PoolError> error) { promise->set_value(std::move(error)); });
  return future.get();
}

void Lease::Release() {
  if (!state_) return;
  std::uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->released) return;
    state_->released = true;
    generation = state_->generation;
  }
  if (auto core = state_->core.lock()) core->LeaseRelease(state_->slot, generation);
}

bool Lease::valid() const {
  if (!state_) return false;
  std::lock_guard<std::mutex> lock(state_->mu);
  return !state_->released;
}

bool Lease::broken() const {
  if (!state_) return false;
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->broken;
}

WorkerRef Lease::worker() const {
  if (!state_) return {};
  std::lock_guard<std::mutex> lock(state_->mu);
  return {state_->slot, state_->generation};
}

const ImportHeader& Lease::header() const {
  static const ImportHeader kNone;
  return state_ ? state_->header : kNone;
}

int Lease::header_env() const {
  if (!state_) return -1;
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->header_env;
}

bool Lease::NeedsRecycle() const {
  if (!state_) return false;
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->needs_recycle;
}

std::uint64_t Lease::proof_states() const {
  if (!state_) return 0;
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->proof_states;
}

// ---------------------------------------------------------------- WorkerPool

WorkerPool::WorkerPool(WorkerPoolOptions options)
    : core_(std::make_shared<Core>(std::move(options))) {
  core_->Start(core_);
}

WorkerPool::~WorkerPool() { core_->Shutdown(); }

std::future<PoolOutcome> WorkerPool::Submit(const ImportHeader& header, nlohmann::json request,
                                            SubmitOptions options) {
  auto promise = std::make_shared<std::promise<PoolOutcome>>();
  auto future = promise->get_future();
  core_->Submit(
      header, std::move(request),
      [promise](PoolOutcome outcome) { promise->set_value(std::move(outcome)); }, options);
  return future;
}

void WorkerPool::SubmitAsync(const ImportHeader& header, nlohmann::json request, Callback done,
                             SubmitOptions options) {
  core_->Submit(header, std::move(request), std::move(done), options);
}

std::future<PoolOutcome> WorkerPool::SubmitSnippet(std::string_view snippet,
                                                   SubmitOptions options) {
  SplitSnippet split = SplitHeader(snippet);
  return Submit(split.header, {{"cmd", std::move(split.body)}}, options);
}

std::variant<Lease, PoolError> WorkerPool::Acquire(const ImportHeader& header,
                                                   std::optional<std::uint64_t> caller) {
  if (core_->OnPoolThread())
    throw std::logic_error(
        "WorkerPool::Acquire called from a WorkerPool callback (would deadlock)");
  using Result = std::variant<std::shared_ptr<Lease::State>, PoolError>;
  auto promise = std::make_shared<std::promise<Result>>();
  auto future = promise->get_future();
  core_->Acquire(header, caller.value_or(CallerOfThisThread()),
                 [promise](Result result) { promise->set_value(std::move(result)); });
  Result result = future.get();
  if (auto* error = std::get_if<PoolError>(&result)) return std::move(*error);
  Lease lease;
  lease.state_ = std::move(std::get<0>(result));
  return lease;
}

void WorkerPool::Prewarm(const ImportHeader& header, std::size_t count) {
  core_->Prewarm(header, count);
}

PoolStats WorkerPool::stats() const { return core_->stats(); }
const WorkerPoolOptions& WorkerPool::options() const { return core_->options(); }
std::size_t WorkerPool::size() const { return core_->size(); }

}  // namespace tatami::dojo
