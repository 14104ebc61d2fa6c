// WorkerPool::Core: taking requests and leases in, and placing them on
// workers.
#include <fmt/format.h>

#include "worker_pool_core.h"

namespace tatami::dojo {

using internal::HeaderName;

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
  Job job;
  job.header = header;
  job.key = key;
  job.request = std::move(request);
  job.timeout = options.timeout;
  job.submit_done = done;
  job.caller = options.caller.value_or(internal::CallerOfThisThread());
  // The pool's own thread must never wait for room: it is the one that makes it.
  const bool may_block = options_.when_full == FullQueuePolicy::kBlock && !OnPoolThread();
  switch (Admit(may_block, [this, job = std::move(job)]() mutable { Enqueue(std::move(job)); })) {
    case Admission::kAdmitted:
      return;
    case Admission::kFull:
      return refuse(PoolError::kQueueFull,
                    fmt::format("request for header {} refused: {} requests already waiting",
                                HeaderName(key), options_.max_queue));
    case Admission::kShutdown:
      return refuse(PoolError::kShutdown, "the worker pool was shut down");
  }
}

void WorkerPool::Core::Acquire(const ImportHeader& header, std::uint64_t caller,
                               AcquireCallback done) {
  const std::string key = header.Key();
  Job job;
  job.is_lease = true;
  job.header = header;
  job.key = key;
  job.acquire_done = done;
  job.caller = caller;
  const bool may_block = options_.when_full == FullQueuePolicy::kBlock;
  switch (Admit(may_block, [this, job = std::move(job)]() mutable { Enqueue(std::move(job)); })) {
    case Admission::kAdmitted:
      return;
    case Admission::kFull:
      return done(PoolError{PoolError::kQueueFull, key,
                            fmt::format("lease for header {} refused: {} requests already waiting",
                                        HeaderName(key), options_.max_queue),
                            std::nullopt});
    case Admission::kShutdown:
      return done(
          PoolError{PoolError::kShutdown, key, "the worker pool was shut down", std::nullopt});
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
  const std::uint64_t caller = job.caller;
  queue_.Push(caller, std::move(job));
  Dispatch();
}

void WorkerPool::Core::Dispatch() {
  if (stopping_) return;
  if (std::size_t placed = queue_.Dispatch([this](Job& job) { return TryPlace(job); }))
    Dequeued(placed);
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
    AdjustLeasesHeld(+1);
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
      w.max_proof_state = std::max(w.max_proof_state, MaxProofState(*r));
    Settle(w, KilledWorker(outcome));
  }
  done(PoolOutcome(std::move(outcome)));
  Dispatch();
}

}  // namespace tatami::dojo
