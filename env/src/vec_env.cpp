#include "tatami/env/vec_env.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

namespace tatami::env {
namespace {

std::size_t PoolWorkers(const dojo::WorkerPool& pool) {
  const std::size_t w = pool.options().workers;
  return w != 0 ? w : std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

// One thread per environment: the Dojo's calls block until Lean answers, so
// N tactics run at once only on N threads; the pool's single I/O thread does
// the actual work of talking to the workers.
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
    slots_.resize(options_.num_envs);
    threads_.reserve(options_.num_envs);
    for (std::size_t i = 0; i < options_.num_envs; ++i)
      threads_.emplace_back([this, i] { Serve(i); });
  }

  ~Impl() {
    {
      std::unique_lock lock(mu_);
      done_cv_.wait(lock, [&] { return remaining_ == 0; });
      stopping_ = true;
    }
    work_cv_.notify_all();
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
    Dispatch([&](std::size_t i) {
      out[i] = envs_[i].Reset(theorems.size() == 1 ? theorems[0] : theorems[i]);
    });
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
    Collect();
    actions_.clear();
    handles_.clear();
    return std::move(results_);
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
    actions_ = std::move(actions);
    handles_ = std::move(handles);
    results_.assign(size(), StepResult{});
    Dispatch([this](std::size_t i) {
      StepResult r = handles_.empty() ? envs_[i].Step(actions_[i])
                                      : envs_[i].StepFrom(handles_[i], actions_[i]);
      if (options_.auto_reset && (r.terminated || r.truncated)) {
        Observation first = envs_[i].Reset();
        r.info.final_observation = std::move(r.observation);
        r.observation = std::move(first);
      }
      results_[i] = std::move(r);
    });
    stepping_ = true;
  }

  struct Slot {
    std::function<void(std::size_t)> job;
    std::exception_ptr error;
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

  void Dispatch(const std::function<void(std::size_t)>& job) {
    {
      std::lock_guard lock(mu_);
      for (auto& s : slots_) {
        s.job = job;
        s.error = nullptr;
      }
      remaining_ = slots_.size();
      ++generation_;
    }
    work_cv_.notify_all();
  }

  // Waits for the dispatched jobs; rethrows the lowest index's exception.
  void Collect() {
    std::unique_lock lock(mu_);
    done_cv_.wait(lock, [&] { return remaining_ == 0; });
    for (auto& s : slots_) {
      s.job = nullptr;
      if (s.error) {
        std::exception_ptr e = s.error;
        for (auto& t : slots_) t.error = nullptr;
        lock.unlock();
        std::rethrow_exception(e);
      }
    }
  }

  void Serve(std::size_t i) {
    std::uint64_t seen = 0;
    std::unique_lock lock(mu_);
    for (;;) {
      work_cv_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      std::function<void(std::size_t)> job = slots_[i].job;
      lock.unlock();
      std::exception_ptr error;
      try {
        job(i);
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      slots_[i].error = error;
      if (--remaining_ == 0) done_cv_.notify_all();
    }
  }

  VecEnvOptions options_;
  std::shared_ptr<dojo::Dojo> dojo_;
  std::vector<Env> envs_;
  std::vector<std::string> actions_;
  std::vector<std::uint64_t> handles_;
  std::vector<StepResult> results_;
  bool stepping_ = false;

  std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::vector<Slot> slots_;
  std::size_t remaining_ = 0;
  std::uint64_t generation_ = 0;
  bool stopping_ = false;
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
