#include "tatami/env/outcome_kind.h"

#include <array>
#include <utility>

namespace tatami::env {
namespace {

constexpr std::array<std::pair<OutcomeKind, std::string_view>, 8> kNames{{
    {OutcomeKind::kState, "state"},
    {OutcomeKind::kProofFinished, "proof_finished"},
    {OutcomeKind::kTacticError, "tactic_error"},
    {OutcomeKind::kProofRejected, "proof_rejected"},
    {OutcomeKind::kTacticTooLong, "tactic_too_long"},
    {OutcomeKind::kWorkerFailure, "worker_failure"},
    {OutcomeKind::kTimeout, "timeout"},
    {OutcomeKind::kProofGivenUp, "proof_given_up"},
}};

}  // namespace

std::string_view ToString(OutcomeKind kind) {
  for (const auto& [k, name] : kNames)
    if (k == kind) return name;
  return "unknown";
}

std::optional<OutcomeKind> OutcomeKindFromString(std::string_view name) {
  for (const auto& [k, n] : kNames)
    if (n == name) return k;
  return std::nullopt;
}

bool IsFailure(OutcomeKind kind) {
  return kind != OutcomeKind::kState && kind != OutcomeKind::kProofFinished;
}

}  // namespace tatami::env
