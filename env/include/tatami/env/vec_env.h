// VecEnv: N environments stepped together.
//
//   VecEnvOptions o;
//   o.num_envs = 8;
//   o.auto_reset = true;
//   VecEnv envs(pool, o);                       // pool has >= 8 workers
//   std::vector<Observation> obs = envs.Reset({theorem});   // all 8 on one theorem
//   envs.StepAsync(actions);                    // 8 tactics, one per env
//   ... compute something else ...
//   std::vector<StepResult> results = envs.Wait();          // in env order
//
// Each environment is an Env (env.h); all share one Dojo on the caller's
// worker pool, and each holds one worker while its episode is open, so the
// pool needs at least num_envs workers (checked at construction). A step
// runs every environment's tactic at once, each on its own worker: the
// time of a step is that of the slowest tactic, not the sum. The tactics go
// out as one Dojo batch (Dojo::StartTactics) from the calling thread, so a
// step costs the caller one wake-up, not one per environment. StepAsync
// starts a step and returns; Wait blocks until every environment has
// finished and returns the results in environment order (info.elapsed is
// the whole step's time). Step is StepAsync then Wait. Reset enters the
// theorems in parallel, on one thread per environment.
//
// Auto-reset (VecEnvOptions::auto_reset). When a step ends an environment's
// episode (terminated or truncated), that environment is reset at once to
// the same theorem (from its cached root: nothing is re-elaborated); its
// StepResult carries the new episode's first observation, and the last
// observation of the ended one in info.final_observation (the convention of
// gymnasium's same-step autoreset and Stable-Baselines3). Stepping a batch
// in which an environment has no open episode (without auto_reset: its last
// step ended it; with it: it was never reset, or its reset threw) is misuse
// (std::logic_error, before any tactic runs).
//
// Errors. Misuse (wrong number of actions, StepAsync while a step is in
// flight, Wait with none) throws std::logic_error / std::invalid_argument at
// the call. An exception inside one environment's step or reset (e.g. a
// dojo::DojoError from entering a theorem) does not stop the others; Wait
// (or Reset) rethrows the one of the lowest environment index after all have
// finished. An environment whose reset threw has no episode; the others'
// results of that call are dropped, though their episodes moved on (read
// them with env(i).observation()).
//
// Thread-safety: not thread-safe: one thread at a time drives a VecEnv
// (resets run on threads the VecEnv owns and on the calling thread). env(i)
// must not be used while a step is in flight.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tatami/dojo/dojo.h"
#include "tatami/dojo/worker_pool.h"
#include "tatami/env/env.h"
#include "tatami/env/observation.h"
#include "tatami/env/step_result.h"
#include "tatami/env/theorem.h"

namespace tatami::env {

struct VecEnvOptions {
  // Number of environments, at least 1; the pool must have at least this
  // many workers. Default: 1.
  std::size_t num_envs = 1;
  // Options of every environment (limits, rewards, termination, the Dojo's
  // options). Default: EnvOptions{}.
  EnvOptions env;
  // Reset an environment to its theorem as soon as a step ends its episode
  // (see above). Default: false.
  bool auto_reset = false;
};

class VecEnv {
 public:
  // Throws std::invalid_argument for a null pool, num_envs == 0, a pool with
  // fewer workers than num_envs, or bad EnvOptions.
  VecEnv(std::shared_ptr<dojo::WorkerPool> pool, VecEnvOptions options);
  // Waits for a step in flight (its results are dropped), then stops the
  // threads. Episodes' states are dropped with the environments.
  ~VecEnv();
  VecEnv(const VecEnv&) = delete;
  VecEnv& operator=(const VecEnv&) = delete;

  std::size_t size() const;

  // Resets every environment: `theorems` has one theorem for all, or one per
  // environment. Returns the initial observations in environment order.
  // Throws std::invalid_argument for another count, std::logic_error while
  // a step is in flight, and rethrows as described above.
  std::vector<Observation> Reset(const std::vector<Theorem>& theorems);
  // Resets environment `index` alone (std::out_of_range past size()).
  Observation Reset(std::size_t index, const Theorem& theorem);

  // Starts one step: actions[i] runs in environment i. Throws
  // std::invalid_argument unless actions.size() == size(), std::logic_error
  // while a step is in flight or if an environment has no open episode.
  void StepAsync(std::vector<std::string> actions);
  // True between StepAsync and Wait.
  bool pending() const;
  // Waits for the step in flight and returns its results in environment
  // order. Throws std::logic_error if no step is in flight.
  std::vector<StepResult> Wait();
  // StepAsync(actions) then Wait().
  std::vector<StepResult> Step(std::vector<std::string> actions);

  // Starts one step in which environment i runs actions[i] on the state
  // numbered handles[i] of its episode (Env::StepFrom): a batch of tree-search
  // expansions. Results, auto-reset and errors as StepAsync; before anything
  // runs, std::invalid_argument for a handle that is not a state of its
  // environment's episode (or a count other than size()).
  void StepFromAsync(std::vector<std::uint64_t> handles, std::vector<std::string> actions);
  // StepFromAsync(handles, actions) then Wait().
  std::vector<StepResult> StepFrom(std::vector<std::uint64_t> handles,
                                   std::vector<std::string> actions);

  // Environment `index` (std::out_of_range past size()), e.g. for StepFrom
  // on one environment. Not while a step is in flight (std::logic_error).
  Env& env(std::size_t index);
  const std::shared_ptr<dojo::Dojo>& dojo() const;
  const VecEnvOptions& options() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tatami::env
