// SearchEnvironment: what best-first search runs tactics in. DojoEnvironment
// (dojo_environment.h) runs them in Lean through a Dojo; tests use
// hand-made transition tables.
//
// States are referred to by small integers the environment hands out: the
// root is 0, and every StateReached carries the number of the new state.
//
// Thread-safety: an environment serves one search; not thread-safe unless
// an implementation says otherwise.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

#include "tatami/search/failure_kind.h"

namespace tatami::search {

// The tactic left goals: the resulting state.
struct StateReached {
  std::string pretty;      // TacticState::pretty(): what identifies the state
  std::size_t handle = 0;  // the environment's number for it
};
// The tactic closed the last goal and the proof was accepted.
struct ProofClosed {};
// Lean error, timeout, given up or a rejected proof: a dead end.
struct TacticFailed {
  std::string what;  // one line for logs and the exported tree
  FailureKind kind = FailureKind::kTacticError;
  // Lean's raw message (kTacticError, kProofRejected), the Dojo's reason
  // (kTacticTooLong, kWorkerFailure), empty otherwise (kTimeout, kGivenUp:
  // `what` says the limit or the banned tactics).
  std::string message;
};

using TacticOutcome = std::variant<StateReached, ProofClosed, TacticFailed>;

class SearchEnvironment {
 public:
  virtual ~SearchEnvironment() = default;
  // The pretty-printed root state (handle 0).
  virtual const std::string& RootPretty() const = 0;
  // Runs `tactic` on the state numbered `handle`. Throws on misuse and on
  // failures of the environment itself (not on tactic failures).
  virtual TacticOutcome Run(std::size_t handle, std::string_view tactic) = 0;
  // The search will not run tactics on this state again (its result was a
  // state already known); the environment may drop it.
  virtual void Release(std::size_t /*handle*/) {}
};

}  // namespace tatami::search
