#include "tatami/env/vec_env.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <semaphore>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

namespace tatami::env {
namespace {

using Clock = std::chrono::steady_clock;

std::size_t PoolWorkers(const dojo::WorkerPool& pool) {
  const std::size_t w = pool.options().workers;
  return w != 0 ? w : std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

// A step sends every environment's tactic as one Dojo batch from the
// calling thread (Dojo::StartTactics): the pool's I/O thread writes each
// worker's request and collects the answers, and the caller wakes once per
// step, not once per environment. Resets may enter theorems (elaborating a
// statement blocks on Lean), so they run on one thread per environment; the
// caller's thread takes part: it runs environment 0 itself, and Collect
// runs any job whose thread has not picked it up yet, so a reset never
// waits on a thread that is still asleep. Each slot is claimed exactly once
// per batch (`claimed`), by its thread or by the caller.
class VecEnv::Impl {
 public:
  Impl(std::shared_ptr<dojo::WorkerPool> pool, VecEnvOptions options)
      : options_(std::move(options)) {
    if (!pool) throw std::invalid_argument("VecEnv: the worker pool is null");
    if (options_.num_envs == 0) throw std::invalid_argument("VecEnv: num_envs is 0");
    const std::size_t workers = PoolWorkers(*pool);
    if (workers < options_.num_envs)
      throw std::invalid_argument(
          "VecEnv: num_envs " + std::to_string(options_.num_envs) + " exceeds the pool's " +
          std::to_string(workers) +
          " workers: each environment keeps a worker while its episode is open");
    dojo::DojoOptions d = options_.env.dojo;
    if (options_.env.step_timeout.count() > 0) d.tactic_timeout = options_.env.step_timeout;
    dojo_ = std::make_shared<dojo::Dojo>(std::move(pool), std::move(d));
    envs_.reserve(options_.num_envs);
    for (std::size_t i = 0; i < options_.num_envs; ++i) envs_.emplace_back(dojo_, options_.env);
    slots_.reserve(options_.num_envs);
    for (std::size_t i = 0; i < options_.num_envs; ++i) slots_.push_back(std::make_unique<Slot>());
    threads_.reserve(options_.num_envs);
    for (std::size_t i = 0; i < options_.num_envs; ++i)
      threads_.emplace_back([this, i] { Serve(i); });
  }

  ~Impl() {
    if (stepping_) {
      try {
        std::exchange(pending_, {}).Wait();
      } catch (...) {
        // The step's results (and its error) are dropped with the VecEnv.
      }
    }
    stopping_.store(true);
    for (auto& s : slots_) s->wake.release();
    for (auto& t : threads_) t.join();
  }

  std::size_t size() const { return envs_.size(); }

  std::vector<Observation> Reset(const std::vector<Theorem>& theorems) {
    CheckIdle("VecEnv::Reset");
    if (theorems.size() != 1 && theorems.size() != size())
      throw std::invalid_argument("VecEnv::Reset: got " + std::to_string(theorems.size()) +
                                  " theorems for " + std::to_string(size()) +
                                  " environments (give one for all, or one each)");
    std::vector<Observation> out(size());
    Dispatch(
        [&](std::size_t i) {
          out[i] = envs_[i].Reset(theorems.size() == 1 ? theorems[0] : theorems[i]);
        },
        /*caller_runs_first=*/true);
    Collect();
    return out;
  }

  Observation Reset(std::size_t index, const Theorem& theorem) {
    CheckIdle("VecEnv::Reset");
    return At(index, "VecEnv::Reset").Reset(theorem);
  }

  void StepAsync(std::vector<std::string> actions) {
    Start("VecEnv::StepAsync", {}, std::move(actions));
  }

  void StepFromAsync(std::vector<std::uint64_t> handles, std::vector<std::string> actions) {
    if (handles.size() != size())
      throw std::invalid_argument("VecEnv::StepFromAsync: got " + std::to_string(handles.size()) +
                                  " handles for " + std::to_string(size()) + " environments");
    Start("VecEnv::StepFromAsync", std::move(handles), std::move(actions));
  }

  bool pending() const { return stepping_; }

  std::vector<StepResult> Wait() {
    if (!stepping_) throw std::logic_error("VecEnv::Wait: no step in flight; call StepAsync first");
    stepping_ = false;
    return FinishStep();
  }

  Env& env(std::size_t index) {
    CheckIdle("VecEnv::env");
    return At(index, "VecEnv::env");
  }
  const std::shared_ptr<dojo::Dojo>& dojo() const { return dojo_; }
  const VecEnvOptions& options() const { return options_; }

 private:
  // Checks everything a step needs before any tactic runs, then dispatches
  // it; `handles` empty = step from each environment's current state.
  void Start(const char* what, std::vector<std::uint64_t> handles,
             std::vector<std::string> actions) {
    CheckIdle(what);
    if (actions.size() != size())
      throw std::invalid_argument(std::string(what) + ": got " + std::to_string(actions.size()) +
                                  " actions for " + std::to_string(size()) + " environments");
    for (std::size_t i = 0; i < size(); ++i) {
      if (!envs_[i].episode_active())
        throw std::logic_error(
            std::string(what) + ": environment " + std::to_string(i) + " has no open episode (" +
            (envs_[i].theorem() ? "its last episode ended" : "never reset") + "); call Reset");
      if (!handles.empty() && !envs_[i].State(handles[i]))
        throw std::invalid_argument(std::string(what) + ": unknown state handle " +
                                    std::to_string(handles[i]) + " for environment " +
                                    std::to_string(i) + ": not a state of its current episode");
    }
    std::vector<dojo::TacticRequest> requests;
    requests.reserve(size());
    for (std::size_t i = 0; i < size(); ++i)
      requests.push_back(
          {envs_[i].BeginStep(handles.empty() ? std::nullopt : std::optional(handles[i]), what),
           std::move(actions[i])});
    froms_.clear();
    for (const auto& r : requests) froms_.push_back(r.state);
    started_ = Clock::now();
    pending_ = dojo_->StartTactics(requests);
    stepping_ = true;
  }

  // Finishes the batch: every environment's step from the Dojo's results,
  // then the auto-resets. An exception in one does not stop the others.
  std::vector<StepResult> FinishStep() {
    std::vector<dojo::RunResult> results = std::exchange(pending_, {}).Wait();
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started_);
    std::vector<StepResult> out(size());
    std::exception_ptr first;
    for (std::size_t i = 0; i < size(); ++i) {
      try {
        StepResult r = envs_[i].FinishStep(froms_[i], std::move(results[i]), elapsed);
        if (options_.auto_reset && (r.terminated || r.truncated)) {
          Observation first_observation = envs_[i].Reset();
          r.info.final_observation = std::move(r.observation);
          r.observation = std::move(first_observation);
        }
        out[i] = std::move(r);
      } catch (...) {
        if (!first) first = std::current_exception();
      }
    }
    froms_.clear();
    if (first) std::rethrow_exception(first);
    return out;
  }

  struct Slot {
    // Released once per batch for its thread. Counting: a permit may outlive
    // its batch when the caller ran the job; the thread then finds it claimed.
    std::counting_semaphore<> wake{0};
    std::atomic<bool> claimed{false};  // its job of this batch was taken
    std::exception_ptr error;          // written by whoever ran the job
  };

  void CheckIdle(const char* what) const {
    if (stepping_)
      throw std::logic_error(std::string(what) + ": a step is in flight; call Wait first");
  }

  Env& At(std::size_t index, const char* what) {
    if (index >= size())
      throw std::out_of_range(std::string(what) + ": environment " + std::to_string(index) +
                              " of " + std::to_string(size()));
    return envs_[index];
  }

  // Starts `job` for every environment; with `caller_runs_first`, slot 0 is
  // not handed to its thread (Collect runs it on the caller's).
  void Dispatch(std::function<void(std::size_t)> job, bool caller_runs_first) {
    job_ = std::move(job);
    {
      std::lock_guard lock(mu_);
      remaining_ = slots_.size();
    }
    for (auto& s : slots_) {
      s->error = nullptr;
      s->claimed.store(false);
    }
    for (std::size_t i = caller_runs_first ? 1 : 0; i < slots_.size(); ++i)
      slots_[i]->wake.release();
  }

  // Runs the jobs no thread has claimed yet, waits for the rest, and
  // rethrows the lowest index's exception.
  void Collect() {
    for (std::size_t i = 0; i < slots_.size(); ++i)
      if (!slots_[i]->claimed.exchange(true)) RunSlot(i);
    std::unique_lock lock(mu_);
    done_cv_.wait(lock, [&] { return remaining_ == 0; });
    lock.unlock();
    job_ = nullptr;
    std::exception_ptr first;
    for (auto& s : slots_) {
      if (s->error && !first) first = s->error;
      s->error = nullptr;
    }
    if (first) std::rethrow_exception(first);
  }

  void RunSlot(std::size_t i) {
    try {
      job_(i);
    } catch (...) {
      slots_[i]->error = std::current_exception();
    }
    std::lock_guard lock(mu_);
    if (--remaining_ == 0) done_cv_.notify_all();
  }

  void Serve(std::size_t i) {
    Slot& slot = *slots_[i];
    for (;;) {
      slot.wake.acquire();
      if (stopping_.load()) return;
      if (!slot.claimed.exchange(true)) RunSlot(i);
    }
  }

  VecEnvOptions options_;
  std::shared_ptr<dojo::Dojo> dojo_;
  std::vector<Env> envs_;
  // The step in flight: its batch, each environment's state, when it began.
  dojo::PendingTactics pending_;
  std::vector<dojo::TacticState> froms_;
  Clock::time_point started_;
  bool stepping_ = false;

  std::function<void(std::size_t)> job_;  // the batch's job, read by every slot
  std::vector<std::unique_ptr<Slot>> slots_;
  std::mutex mu_;  // guards remaining_
  std::condition_variable done_cv_;
  std::size_t remaining_ = 0;  // jobs of the batch not finished yet
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
};

VecEnv::VecEnv(std::shared_ptr<dojo::WorkerPool> pool, VecEnvOptions options)
    : impl_(std::make_unique<Impl>(std::move(pool), std::move(options))) {}
VecEnv::~VecEnv() = default;
std::size_t VecEnv::size() const { return impl_->size(); }
std::vector<Observation> VecEnv::Reset(const std::vector<Theorem>& theorems) {
  return impl_->Reset(theorems);
}
Observation VecEnv::Reset(std::size_t index, const Theorem& theorem) {
  return impl_->Reset(index, theorem);
}
void VecEnv::StepAsync(std::vector<std::string> actions) { impl_->StepAsync(std::move(actions)); }
bool VecEnv::pending() const { return impl_->pending(); }
std::vector<StepResult> VecEnv::Wait() { return impl_->Wait(); }
std::vector<StepResult> VecEnv::Step(std::vector<std::string> actions) {
  impl_->StepAsync(std::move(actions));
  return impl_->Wait();
}
void VecEnv::StepFromAsync(std::vector<std::uint64_t> handles, std::vector<std::string> actions) {
  impl_->StepFromAsync(std::move(handles), std::move(actions));
}
std::vector<StepResult> VecEnv::StepFrom(std::vector<std::uint64_t> handles,
                                         std::vector<std::string> actions) {
  impl_->StepFromAsync(std::move(handles), std::move(actions));
  return impl_->Wait();
}
Env& VecEnv::env(std::size_t index) { return impl_->env(index); }
const std::shared_ptr<dojo::Dojo>& VecEnv::dojo() const { return impl_->dojo(); }
const VecEnvOptions& VecEnv::options() const { return impl_->options(); }

}  // namespace tatami::env
