// Leases: exclusive use of one worker process. The Lease object (caller
// threads) and the pool's side of its requests, restarts and release (the
// pool's thread).
#include <fmt/format.h>

#include "worker_pool_core.h"

namespace tatami::dojo {

void WorkerPool::Core::LeaseRun(const std::shared_ptr<Lease::State>& lease,
                                std::vector<nlohmann::json> requests, Lease::IndexedCallback done,
                                std::optional<std::chrono::milliseconds> timeout) {
  auto shared_done = std::make_shared<Lease::IndexedCallback>(std::move(done));
  const std::size_t count = requests.size();
  // A lone search's next batch usually comes from the thread that holds the
  // token idle: it is written at once, without a trip through io_'s queue.
  const bool posted =
      RunHereOrPost([this, lease, requests = std::move(requests), shared_done, timeout]() mutable {
        std::uint64_t generation;
        {
          std::lock_guard<std::mutex> lock(lease->mu);
          generation = lease->generation;
        }
        Worker& w = workers_[lease->slot];
        if (stopping_ || w.generation != generation || w.phase != Phase::kLeased || !w.process) {
          for (std::size_t i = 0; i < requests.size(); ++i)
            (*shared_done)(i, ReplRejected{"the leased worker is no longer available"});
          return;
        }
        // Handed to the process together, so that it writes them to the REPL
        // in one go.
        std::vector<ReplProcess::Callback> callbacks;
        callbacks.reserve(requests.size());
        for (std::size_t i = 0; i < requests.size(); ++i) {
          nlohmann::json& request = requests[i];
          if (request.is_object() && request.contains("cmd") && !request.contains("env") &&
              !w.header.empty())
            request["env"] = w.header_env;
          ++w.in_flight;
          const std::size_t slot = w.slot;
          callbacks.push_back(
              [this, slot, generation, lease, shared_done, i](ReplOutcome outcome) mutable {
                Bump(&PoolStats::requests);
                Worker& w = workers_[slot];
                const bool current = w.generation == generation;
                if (current) {
                  --w.in_flight;
                  if (const auto* r = std::get_if<ReplResponse>(&outcome))
                    w.max_proof_state = std::max(w.max_proof_state, MaxProofState(*r));
                }
                {
                  std::lock_guard<std::mutex> lock(lease->mu);
                  if (KilledWorker(outcome)) lease->broken = true;
                  if (current) {
                    lease->proof_states = static_cast<std::uint64_t>(w.max_proof_state + 1);
                    lease->needs_recycle = !stopping_ && NeedsRecycle(w);
                  }
                }
                (*shared_done)(i, std::move(outcome));
                if (current && !stopping_ && w.release_pending && w.in_flight == 0)
                  LeaseRelease(slot, generation);
              });
        }
        w.process->AsyncRequests(std::move(requests), std::move(callbacks), timeout);
      });
  if (!posted)
    for (std::size_t i = 0; i < count; ++i)
      (*shared_done)(i, ReplRejected{"the worker pool was shut down"});
}

void WorkerPool::Core::LeaseRestart(const std::shared_ptr<Lease::State>& lease,
                                    RestartCallback done) {
  using Done = RestartCallback;
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
    RestartSameHeader(w, RestartCause::kLease);
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
    AdjustLeasesHeld(-1);
    w.release_pending = false;
    Settle(w, /*killed=*/false);
    Dispatch();
  });
}

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
  std::vector<nlohmann::json> requests;
  requests.push_back(std::move(request));
  core->LeaseRun(
      state_, std::move(requests),
      [done = std::move(done)](std::size_t, ReplOutcome outcome) { done(std::move(outcome)); },
      timeout);
}

void Lease::RunAllAsync(std::vector<nlohmann::json> requests, IndexedCallback done,
                        std::optional<std::chrono::milliseconds> timeout) {
  auto refuse_all = [&](const std::string& why) {
    for (std::size_t i = 0; i < requests.size(); ++i) done(i, ReplRejected{why});
  };
  if (requests.empty()) return;
  if (!state_) return refuse_all("empty lease");
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->released) return refuse_all("the lease was released");
    if (state_->broken)
      return refuse_all(fmt::format(
          "the leased worker (generation {}) died; its proof states are gone; Restart() the lease",
          state_->generation));
  }
  auto core = state_->core.lock();
  if (!core || core->stopped()) return refuse_all("the worker pool was shut down");
  core->LeaseRun(state_, std::move(requests), std::move(done), timeout);
}

ReplOutcome Lease::Run(nlohmann::json request, std::optional<std::chrono::milliseconds> timeout) {
  // Held for the wait: the pool's I/O may run on this thread meanwhile.
  const auto core = state_ ? state_->core.lock() : nullptr;
  if (core && core->OnPoolThread())
    throw std::logic_error("Lease::Run called from a WorkerPool callback (would deadlock)");
  auto promise = std::make_shared<std::promise<ReplOutcome>>();
  auto future = promise->get_future();
  RunAsync(
      std::move(request),
      [promise](ReplOutcome outcome) { promise->set_value(std::move(outcome)); }, timeout);
  if (core) core->AwaitFuture(future);
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
  core->AwaitFuture(future);
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

}  // namespace tatami::dojo
