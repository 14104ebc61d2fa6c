// OutcomeKind: what one environment step's tactic did, as one flat tag.
//
// The Dojo answers a tactic with a variant (dojo.h: RunResult) whose
// LeanError alternative has kinds of its own; an RL loop mostly wants one
// tag to count, to reward and to decide termination on: the Dojo's
// RunResultKind, with names for logs and bindings here. The full typed
// result is kept in StepInfo::result for callers that need its details.
//
// Thread-safety: pure functions on values; safe to use concurrently.
#pragma once

#include <optional>
#include <string_view>

#include "tatami/dojo/dojo.h"

namespace tatami::env {

// The Dojo's flattening (dojo.h), under the name the environment's API uses.
using OutcomeKind = dojo::RunResultKind;
using dojo::KindOf;

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
