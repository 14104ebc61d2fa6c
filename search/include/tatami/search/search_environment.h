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
#include <vector>

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
  // Runs the tactics on the state numbered `handle`; the outcomes in order,
  // each what Run would give, up to the first ProofClosed at least and at
  // most one per tactic (search ignores any after the first ProofClosed, and
  // takes fewer or more than that as a bug: std::logic_error). Search
  // expands a node with one call, so an environment may run the tactics
  // together (DojoEnvironment sends them all to Lean in one round trip). The
  // default runs them one by one and stops after the first ProofClosed.
  virtual std::vector<TacticOutcome> RunAll(std::size_t handle,
                                            const std::vector<std::string>& tactics) {
    std::vector<TacticOutcome> out;
    out.reserve(tactics.size());
    for (const std::string& t : tactics) {
      out.push_back(Run(handle, t));
      if (std::holds_alternative<ProofClosed>(out.back())) break;
    }
    return out;
  }
  // The search will not run tactics on this state again (its result was a
  // state already known); the environment may drop it.
  virtual void Release(std::size_t /*handle*/) {}
};

}  // namespace tatami::search
