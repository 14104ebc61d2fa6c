// StepResult: gymnasium's (observation, reward, terminated, truncated, info).
//
// terminated: the episode reached an end of the task itself: the proof is
//   finished and checked, or the step's outcome is one of
//   EnvOptions::terminate_on.
// truncated: the episode was cut short by a limit outside the task:
//   EnvOptions::max_steps steps taken, or EnvOptions::episode_timeout passed.
// Both may be true (the last allowed step finished the proof is terminated
// and truncated); either one ends the episode until the next Reset.
//
// After a failed step (any IsFailure kind) the episode stays on the state the
// tactic ran on: the observation is that state again.
//
// Thread-safety: value types.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "tatami/dojo/dojo.h"
#include "tatami/env/observation.h"
#include "tatami/env/outcome_kind.h"

namespace tatami::env {

struct StepInfo {
  // What the tactic did (the Dojo's result, flattened).
  OutcomeKind outcome = OutcomeKind::kState;
  // kTacticError: Lean's message for the rejected tactic. Other failures:
  // what went wrong (kProofRejected: which check failed and why; kTimeout:
  // the limit). Empty for kState and kProofFinished.
  std::string message;
  // kProofFinished: the whole checked proof, tactic by tactic from the root.
  std::vector<std::string> proof;
  // kProofFinished (ok) and kProofRejected (when the check ran): the
  // completion check's verdict.
  std::optional<dojo::ProofVerdict> verdict;
  // Goals before the step minus goals after it (0 for a failure, negative
  // when the tactic added goals): the quantity RewardOptions::goal_closed weighs.
  long goals_closed = 0;
  // Steps taken in this episode, this one included.
  std::size_t episode_steps = 0;
  // Wall time of the step (the tactic, and the completion check if any).
  std::chrono::microseconds elapsed{0};
  // VecEnv with auto_reset only: when this step ended the episode, the env
  // was reset and StepResult::observation is the new episode's first
  // observation; this is the last observation of the episode that ended.
  std::optional<Observation> final_observation;
  // The Dojo's full typed result, for details the fields above leave out
  // (e.g. ProofFinished::checked_code, Timeout::during_check).
  dojo::RunResult result;
};

struct StepResult {
  Observation observation;  // the state the episode is on after the step
  double reward = 0.0;      // per EnvOptions::reward (reward.h)
  bool terminated = false;
  bool truncated = false;
  StepInfo info;
};

}  // namespace tatami::env
