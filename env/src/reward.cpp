#include "tatami/env/reward.h"

namespace tatami::env {

double Reward(const RewardOptions& options, OutcomeKind kind, std::size_t goals_before,
              std::size_t goals_after) {
  std::size_t after = goals_after;
  if (kind == OutcomeKind::kProofFinished) after = 0;
  if (IsFailure(kind)) after = goals_before;
  const double closed = static_cast<double>(goals_before) - static_cast<double>(after);
  double reward = options.goal_closed * closed - options.step_penalty;
  if (kind == OutcomeKind::kProofFinished) reward += options.proof;
  if (IsFailure(kind)) reward += options.failure;
  return reward;
}

}  // namespace tatami::env
