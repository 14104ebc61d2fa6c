// WorkerPool::Core: the life of a worker process. A slot is started for a
// header (import, or restore from a pickle), pickles the header env once if
// asked to, serves, and is then settled: made idle, recycled, restarted after
// a death, or retired to free the slot.
#include <algorithm>

#include <fmt/format.h>

#include "tatami/dojo/outcome.h"
#include "worker_pool_core.h"

namespace tatami::dojo {

using internal::HeaderName;

ReplProcessOptions WorkerPool::Core::ProcessOptions(
    const std::string& key, const std::optional<std::filesystem::path>& restore_from) const {
  ReplProcessOptions o;
  o.command = options_.repl_command;
  o.working_directory = options_.project_dir;
  o.environment = options_.environment;
  o.request_timeout = options_.request_timeout;
  o.startup_timeout = options_.startup_timeout;
  o.memory_limit_bytes = options_.memory_limit_bytes;
  if (restore_from)
    o.startup_requests.push_back({{"unpickleEnvFrom", restore_from->string()}});
  else if (!key.empty())
    o.startup_requests.push_back({{"cmd", key}});
  return o;
}

void WorkerPool::Core::StartWorker(Worker& w, const ImportHeader& header, std::string key) {
  if (w.process) Retire(w);
  const std::optional<std::filesystem::path> restore_from =
      key.empty() ? std::nullopt : pickles_.RestoreFrom(key);
  w.header = header;
  w.key = std::move(key);
  w.phase = Phase::kStarting;
  w.generation = ++next_generation_;
  w.header_env = -1;
  w.max_proof_state = -1;
  w.restoring = restore_from.has_value();
  w.process = std::make_unique<ReplProcess>(io_, ProcessOptions(w.key, restore_from));
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.starts;
    if (w.restoring)
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
  const auto& responses = w.process->startup_responses();
  const nlohmann::json response =
      !result.ok || responses.empty() ? nlohmann::json() : responses.back();
  // A pickle is only an optimisation: a restore that fails for any reason
  // (the file is gone or damaged, the unpickler died or hung) imports instead.
  if (w.restoring && (!result.ok || ImportFailure(response))) return ImportInsteadOfRestore(w);

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
      error.message =
          fmt::format("importing header {} failed: {}", name,
                      ImportFailure(std::get<ReplResponse>(*result.failure).json).value_or(""));
    } else {
      error.kind = PoolError::kStartFailed;
      error.message =
          fmt::format("starting a worker for header {} failed: {}", name,
                      result.error.empty() ? std::string("unknown error") : result.error);
    }
    return OnStartFailed(w, std::move(error));
  }
  if (!w.key.empty()) {
    if (std::optional<std::string> problem = ImportFailure(response)) {
      ReplResponse cause;
      cause.json = response;
      return OnStartFailed(w,
                           PoolError{PoolError::kImportFailed, w.key,
                                     fmt::format("importing header {} failed: {}", name, *problem),
                                     ReplOutcome(std::move(cause))});
    }
    w.header_env = response["env"].get<int>();
    if (!w.restoring) {
      if (std::optional<std::filesystem::path> path = pickles_.ClaimPickling(w.key)) {
        w.process->AsyncRequest(
            {{"pickleTo", path->string()}, {"env", w.header_env}},
            [this, slot, generation, path = *path](ReplOutcome outcome) {
              AfterPickle(slot, generation, outcome, path);
            },
            options_.startup_timeout);
        return;
      }
    }
  }
  BecomeReady(w);
}

void WorkerPool::Core::ImportInsteadOfRestore(Worker& w) {
  Bump(&PoolStats::restore_failures);
  pickles_.Forget(w.key);
  ImportHeader header = w.header;
  std::string key = w.key;
  StartWorker(w, header, std::move(key));
}

void WorkerPool::Core::AfterPickle(std::size_t slot, std::uint64_t generation,
                                   const ReplOutcome& outcome, const std::filesystem::path& path) {
  Worker& w = workers_[slot];
  if (stopping_ || w.generation != generation || w.phase != Phase::kStarting) return;
  const auto* response = std::get_if<ReplResponse>(&outcome);
  if (response && !ImportFailure(response->json)) {
    pickles_.Remember(w.key, path);
    Bump(&PoolStats::pickles);
  }
  // Pickling is an optimisation; a worker that died doing it is restarted.
  if (KilledWorker(outcome)) return RestartSameHeader(w, RestartCause::kDied);
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
  if (restart_done) AdjustLeasesHeld(-1);
  Retire(w);
  if (pending) FailJob(*pending, error);
  if (restart_done) restart_done(error);
  // Everyone waiting for this header now would meet the same failure.
  const std::size_t failed = queue_.RemoveIf([&](const Job& job) { return job.key == key; },
                                             [&](Job& job) { FailJob(job, error); });
  if (failed) Dequeued(failed);
  Dispatch();
}

void WorkerPool::Core::RestartSameHeader(Worker& w, RestartCause cause) {
  Bump(cause == RestartCause::kRecycle ? &PoolStats::recycles : &PoolStats::restarts);
  ImportHeader header = w.header;
  std::string key = w.key;
  StartWorker(w, header, std::move(key));
}

void WorkerPool::Core::Settle(Worker& w, bool killed) {
  if (killed || !w.process || w.process->state() == ReplProcess::State::kDead) {
    RestartSameHeader(w, RestartCause::kDied);
  } else if (NeedsRecycle(w)) {
    RestartSameHeader(w, RestartCause::kRecycle);
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

}  // namespace tatami::dojo
