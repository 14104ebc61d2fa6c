#include "tatami/env/outcome_kind.h"

#include <array>
#include <utility>
#include <variant>

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

OutcomeKind KindOfLeanError(dojo::LeanError::Kind kind) {
  switch (kind) {
    case dojo::LeanError::kTactic:
      return OutcomeKind::kTacticError;
    case dojo::LeanError::kProofRejected:
      return OutcomeKind::kProofRejected;
    case dojo::LeanError::kTacticTooLong:
      return OutcomeKind::kTacticTooLong;
    case dojo::LeanError::kWorkerFailure:
      return OutcomeKind::kWorkerFailure;
  }
  return OutcomeKind::kTacticError;
}

}  // namespace

OutcomeKind KindOf(const dojo::RunResult& result) {
  struct Visitor {
    OutcomeKind operator()(const dojo::TacticState&) const { return OutcomeKind::kState; }
    OutcomeKind operator()(const dojo::ProofFinished&) const { return OutcomeKind::kProofFinished; }
    OutcomeKind operator()(const dojo::LeanError& e) const { return KindOfLeanError(e.kind); }
    OutcomeKind operator()(const dojo::Timeout&) const { return OutcomeKind::kTimeout; }
    OutcomeKind operator()(const dojo::ProofGivenUp&) const { return OutcomeKind::kProofGivenUp; }
  };
  return std::visit(Visitor{}, result);
}

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
