// Env: one Lean theorem as a reinforcement-learning environment, in
// gymnasium's shape.
//
//   auto pool = std::make_shared<dojo::WorkerPool>(pool_options);
//   Env env(pool);
//   Observation obs = env.Reset(Theorem::FromFile("Examples.lean", "and_swap"));
//   StepResult r = env.Step("constructor");
//   while (!r.terminated && !r.truncated) r = env.Step(policy(r.observation));
//
// An episode starts with Reset(theorem), which enters the theorem in the
// Dojo (or, for the theorem of the previous episode, reuses its root state:
// states are immutable, so nothing is re-elaborated). Step(action) runs the
// tactic `action` on the episode's current state and moves the episode to
// the state it reached; a failed tactic leaves the episode where it was. A
// step is rewarded by EnvOptions::reward (reward.h) and may end the episode
// (step_result.h: terminated, truncated). Stepping an ended episode, or one
// never reset, is misuse (std::logic_error) until the next Reset.
//
// Branching. Every state an episode reached stays valid until the next
// Reset, and StepFrom(handle, action) runs `action` on any of them and
// makes the result the current state: tree searches (MCTS, best-first)
// expand any node without replaying tactics from the root. A handle that is
// not a state of the current episode is misuse (std::invalid_argument).
//
// Crashes and time. Lean's failures are outcomes, never exceptions: a tactic
// Lean rejects, a timeout (EnvOptions::step_timeout) or a worker that keeps
// dying is a step whose StepInfo says so. After a worker crash or a timeout
// the Dojo restarts the worker and replays the state's path before the next
// tactic, so every state of the episode stays usable.
//
// Workers. An episode's states hold their theorem's worker lease (dojo.h),
// and so do Observations the caller keeps: an Env uses one worker of the
// pool while an episode is open. Reset drops the previous episode's states
// before entering the new theorem.
//
// Thread-safety: not thread-safe: one thread at a time drives an Env.
// Different Envs may be driven from different threads at once, also when
// they share a Dojo or a pool (both are thread-safe).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string_view>

#include "tatami/dojo/dojo.h"
#include "tatami/dojo/tactic_state.h"
#include "tatami/dojo/worker_pool.h"
#include "tatami/env/observation.h"
#include "tatami/env/outcome_kind.h"
#include "tatami/env/reward.h"
#include "tatami/env/step_result.h"
#include "tatami/env/theorem.h"

namespace tatami::env {

struct EnvOptions {
  // Steps an episode may take: the step that reaches this many returns
  // truncated = true. 0 = no limit. Default: 0.
  std::size_t max_steps = 0;
  // Deadline of one step's tactic (DojoOptions::tactic_timeout of the Dojo
  // the Env makes). Past it the step's outcome is kTimeout and the worker is
  // restarted; the episode's states stay usable. The completion check of a
  // step that closes the last goal keeps its own deadline,
  // dojo.check_timeout. 0 = dojo.tactic_timeout (whose 0 means the pool's
  // request_timeout). An Env built on a caller's Dojo accepts only 0 or that
  // Dojo's tactic_timeout. Default: 0.
  std::chrono::milliseconds step_timeout{0};
  // Wall-time budget of an episode, counted from Reset: the first step that
  // ends after it returns truncated = true. 0 = no limit. Default: 0.
  std::chrono::milliseconds episode_timeout{0};
  // Outcomes that end the episode with terminated = true, besides
  // kProofFinished (which always does). Only failure kinds may be listed
  // (kState is refused with std::invalid_argument). Default: none: after a
  // failed tactic the episode continues on the same state.
  std::set<OutcomeKind> terminate_on;
  // How steps are rewarded (reward.h). Default: 1 for a checked proof, else 0.
  RewardOptions reward;
  // Options of the Dojo an Env (or VecEnv) makes for itself; ignored by an
  // Env built on a caller's Dojo. Default: DojoOptions{}.
  dojo::DojoOptions dojo;
};

class Env {
 public:
  // An Env with a Dojo of its own on `pool` (which may be shared).
  // Throws std::invalid_argument for a null pool or bad options.
  explicit Env(std::shared_ptr<dojo::WorkerPool> pool, EnvOptions options = {});
  // An Env on a caller's Dojo (shared with other Envs or users); its states
  // are that Dojo's. Throws std::invalid_argument for a null Dojo or bad
  // options (see EnvOptions::step_timeout).
  explicit Env(std::shared_ptr<dojo::Dojo> dojo, EnvOptions options = {});
  ~Env();
  Env(Env&&) noexcept;
  Env& operator=(Env&&) noexcept;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  // Starts an episode on `theorem` and returns its initial observation.
  // Throws dojo::DojoError (naming the input) when the theorem cannot be
  // entered (file missing, name not in the file, statement that does not
  // elaborate, header that fails to import); the Env then has no episode.
  // std::invalid_argument for a Theorem with neither form filled in.
  Observation Reset(const Theorem& theorem);
  // Starts a new episode on the theorem of the last Reset (from its cached
  // root state; entered again after Close). Throws std::logic_error if there
  // was none.
  Observation Reset();

  // Runs the tactic `action` on the current state. Throws std::logic_error
  // if the episode has ended or was never started.
  StepResult Step(std::string_view action);

  // Runs `action` on the state numbered `handle` (Observation::handle) of the
  // current episode, which becomes the current state first. Throws
  // std::invalid_argument for a handle that is not a state of the current
  // episode (kNoState included), std::logic_error as Step.
  StepResult StepFrom(std::uint64_t handle, std::string_view action);
  // The same with the state itself (Observation::state).
  StepResult StepFrom(const dojo::TacticState& state, std::string_view action);

  // True between a Reset and the step that ends its episode.
  bool episode_active() const;
  // Steps taken in the current (or last) episode.
  std::size_t episode_steps() const;
  // The observation of the current state (after a finished proof: the
  // "no goals" observation). Throws std::logic_error before the first Reset.
  const Observation& observation() const;
  // The theorem of the current (or last) episode; nullopt before the first Reset.
  const std::optional<Theorem>& theorem() const;
  // The state numbered `handle` of the current episode; nullopt if none.
  std::optional<dojo::TacticState> State(std::uint64_t handle) const;

  // Ends the episode and drops all its states (and the root of the last
  // theorem), so the Env holds no worker lease. Reset starts again.
  void Close();

  const EnvOptions& options() const;
  const std::shared_ptr<dojo::Dojo>& dojo() const;

 private:
  friend class VecEnv;
  // A step in two halves, so that VecEnv can send the tactics of all its
  // environments as one Dojo batch. BeginStep checks the episode (and
  // `handle`, if given: StepFrom) and returns the state the action runs on;
  // FinishStep makes the step's result from the Dojo's, `elapsed` being the
  // time the tactic took.
  dojo::TacticState BeginStep(std::optional<std::uint64_t> handle, const char* what) const;
  StepResult FinishStep(const dojo::TacticState& from, dojo::RunResult result,
                        std::chrono::microseconds elapsed);

  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tatami::env
