// FailureKind: why a tactic led to a dead end in proof search, as the Dojo's
// RunResult tells the cases apart (dojo/dojo.h). Search trees keep it on
// failure leaves so that readers of an exported tree (`tatami data export`)
// need not parse the one-line description, whose wording may change.
//
// Thread-safety: plain values and a pure function.
#pragma once

#include <string_view>

namespace tatami::search {

enum class FailureKind {
  kTacticError,    // Lean rejected the tactic (LeanError kTactic)
  kProofRejected,  // no goals left, but the completion check refused the proof
  kTacticTooLong,  // longer than the Dojo's limit; never sent to Lean
  kWorkerFailure,  // the worker kept dying, or a state could not be re-created
  kTimeout,        // the tactic or the completion check ran out of time
  kGivenUp,        // the tactic uses a banned tactic (e.g. sorry)
};

// "tactic_error", "proof_rejected", "tactic_too_long", "worker_failure",
// "timeout", "given_up": the names the tree JSON uses.
std::string_view ToString(FailureKind kind);

}  // namespace tatami::search
