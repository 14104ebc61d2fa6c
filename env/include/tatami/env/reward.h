// The reward policy of an environment step.
//
//   reward = (kind == kProofFinished ? proof : 0)
//          + (IsFailure(kind) ? failure : 0)
//          + goal_closed * goals_closed
//          - step_penalty
//
// where goals_closed = goals before the step - goals after it (after = 0 on
// a finished proof, = before on a failure, so failures close nothing; it is
// negative when a tactic splits a goal). Summed undiscounted along one path
// of steps, the goal term telescopes to goal_closed * (initial goals - final
// goals), the same for every proof, so it does not change which proofs are
// best; discounted, or summed over StepFrom branches, it does not telescope.
//
// The default is the sparse reward: 1 for a CHECKED proof (the Dojo's
// ProofFinished, which re-elaborates the whole theorem and checks its
// axioms), 0 for everything else. A proof whose goals closed but that the
// check rejected (kProofRejected) earns no proof reward.
//
// Thread-safety: RewardOptions is a value type; Reward is pure.
#pragma once

#include <cstddef>

#include "tatami/env/outcome_kind.h"

namespace tatami::env {

struct RewardOptions {
  // Reward of the step that finishes a checked proof. Default: 1.
  double proof = 1.0;
  // Subtracted from every step's reward, whatever its outcome (a cost per
  // Lean call, favouring short proofs). Default: 0.
  double step_penalty = 0.0;
  // Reward per goal closed (goals before minus goals after; negative when
  // the tactic added goals). Default: 0.
  double goal_closed = 0.0;
  // Added to the reward of a step whose tactic failed (any IsFailure kind);
  // usually zero or negative. Default: 0.
  double failure = 0.0;
};

// The reward of one step: `kind` is its outcome, `goals_before` the number
// of goals of the state it ran on, `goals_after` of the state it reached
// (ignored unless kind == kState).
double Reward(const RewardOptions& options, OutcomeKind kind, std::size_t goals_before,
              std::size_t goals_after);

}  // namespace tatami::env
