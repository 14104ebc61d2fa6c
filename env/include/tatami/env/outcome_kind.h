// OutcomeKind: what one environment step's tactic did, as one flat tag.
//
// The Dojo answers a tactic with a variant (dojo.h: RunResult) whose
// LeanError alternative has kinds of its own; an RL loop mostly wants one
// tag to count, to reward and to decide termination on, so the variant and
// LeanError::Kind are flattened here. The full typed result is kept in
// StepInfo::result for callers that need its details.
//
// Thread-safety: pure functions on values; safe to use concurrently.
#pragma once

#include <optional>
#include <string_view>

#include "tatami/dojo/dojo.h"

namespace tatami::env {

enum class OutcomeKind {
  kState,          // the tactic ran and goals remain (dojo::TacticState)
  kProofFinished,  // no goals remain and the whole proof passed the completion check
  kTacticError,    // Lean rejected the tactic (LeanError::kTactic)
  kProofRejected,  // goals closed but the completion check failed (LeanError::kProofRejected)
  kTacticTooLong,  // longer than DojoOptions::max_tactic_bytes; not sent
                   // (LeanError::kTacticTooLong)
  kWorkerFailure,  // the worker kept dying and recovery gave up (LeanError::kWorkerFailure)
  kTimeout,        // the tactic or the completion check ran out of time (dojo::Timeout)
  kProofGivenUp,   // the tactic uses a banned tactic such as sorry (dojo::ProofGivenUp)
};

// The kind of a Dojo result.
OutcomeKind KindOf(const dojo::RunResult& result);

// Snake-case name, stable for logs and bindings: "state", "proof_finished",
// "tactic_error", "proof_rejected", "tactic_too_long", "worker_failure",
// "timeout", "proof_given_up".
std::string_view ToString(OutcomeKind kind);
// The inverse of ToString; std::nullopt for any other text.
std::optional<OutcomeKind> OutcomeKindFromString(std::string_view name);

// True for every kind but kState and kProofFinished: the step did not move
// the episode to a new state.
bool IsFailure(OutcomeKind kind);

}  // namespace tatami::env
