// Dojo: Lean as an environment, one theorem and one tactic at a time.
//
//   Dojo dojo(pool);
//   TacticState s = dojo.EnterFromFile("Examples.lean", "and_swap");
//   RunResult r = dojo.RunTac(s, "obtain ⟨hp, hq⟩ := h");
//   if (auto* next = std::get_if<TacticState>(&r)) ...
//
// Entering a theorem elaborates its statement with `:= by sorry` on a worker
// of the pool that holds the file's imports, and returns the initial state.
// The theorem then keeps that worker (a Lease) until its last TacticState is
// gone, so its proof-state ids stay meaningful: enter at most as many
// theorems at once as the pool has workers, or Enter blocks until one frees.
//
// RunTac returns exactly one of:
//   TacticState    the tactic ran and goals remain;
//   ProofFinished  no goals remain AND the whole theorem, with the path's
//                  tactics spliced in, was elaborated again from scratch and
//                  passed every check of proof_check.h (no error, no sorry,
//                  only the allowed axioms per `#print axioms`, no banned
//                  tactic);
//   LeanError      Lean rejected the tactic (its message), or the goals are
//                  gone but the completion check failed (which check, in
//                  `verdict`), or the tactic is longer than the limit, or the
//                  worker kept dying;
//   Timeout        the tactic (or the completion check) ran out of time;
//   ProofGivenUp   the tactic uses a banned tactic (sorry, admit,
//                  native_decide by default): it is not sent to Lean, since
//                  it could only "finish" the proof by giving up on it.
//
// Recovery. Each state caches its proof-state id together with the
// generation of the worker process that made it. Before a tactic runs, if
// that process died (crash, timeout, memory cap) or the worker passed its
// recycle threshold, the worker is restarted and the state re-created by
// re-entering the theorem and replaying the state's path; then the tactic
// runs. A crash while the tactic itself runs is retried once on a fresh
// process (faults are often transient); a second one is a LeanError.
//
// Bad input (file missing, theorem not in the file, header that fails to
// import, statement that does not elaborate) throws DojoError naming the
// input; the pool and every other theorem carry on. So does a Lean that
// cannot be run at all (the worker does not start, the pool is shutting
// down), with kind() telling the two apart. A state from another
// Dojo, or an empty one, is misuse: std::invalid_argument.
//
// Thread-safety: thread-safe. RunTac on states of different theorems runs in
// parallel; on states of the same theorem it is serialised (one worker).
// RunTacs sends many tactics at once from one thread (see there).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tatami/dojo/proof_check.h"
#include "tatami/dojo/tactic_state.h"
#include "tatami/dojo/worker_pool.h"

namespace tatami::dojo {

// A theorem could not be entered; the message names the input.
class DojoError : public std::runtime_error {
 public:
  enum Kind {
    // The theorem itself: its file or name, its header or imports, or its
    // statement, which Lean rejects (or dies on, again and again). Entering
    // it again would fail the same way.
    kTheorem,
    // Not the theorem: no Lean to enter it in (the worker process could not
    // be started, the pool is full or shutting down). Another theorem would
    // fail the same way; a later run may succeed.
    kNoLean,
  };
  explicit DojoError(const std::string& what, Kind kind = kTheorem)
      : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

struct DojoOptions {
  // Longest tactic (bytes) RunTac sends; longer ones are a LeanError
  // (kTacticTooLong). Default: 4096.
  std::size_t max_tactic_bytes = 4096;
  // Deadline of one tactic. Default: 0 = the pool's request_timeout.
  std::chrono::milliseconds tactic_timeout{0};
  // Deadline of entering a theorem and of the whole-proof check.
  // Default: 0 = the pool's request_timeout.
  std::chrono::milliseconds check_timeout{0};
  // How many times one RunTac may restart its worker and replay before it
  // gives up with a LeanError (kWorkerFailure). Default: 4.
  int max_recoveries = 4;
  // What a finished proof must satisfy (allowed axioms, banned tactics).
  ProofCheckOptions proof_check;
};

// The tactic closed the last goal and the proof passed the completion check.
struct ProofFinished {
  std::vector<std::string> tactics;  // the whole proof, from the root
  std::string checked_code;          // what was elaborated from scratch
  ProofVerdict verdict;              // ok == true
};

struct LeanError {
  enum Kind {
    kTactic,         // Lean rejected the tactic
    kProofRejected,  // no goals remain but the proof was not accepted (see verdict)
    kTacticTooLong,  // longer than DojoOptions::max_tactic_bytes; not sent
    kWorkerFailure,  // the worker kept dying (crash, memory cap) and recovery gave up
  };
  Kind kind = kTactic;
  std::string message;                  // Lean's message, or what went wrong
  std::optional<ProofVerdict> verdict;  // set for kProofRejected from the completion check
};

struct Timeout {
  std::chrono::milliseconds limit{0};
  bool during_check = false;  // the completion check, not the tactic, ran out of time
};

struct ProofGivenUp {
  std::vector<std::string> banned;  // the banned tactics the tactic used
};

using RunResult = std::variant<TacticState, ProofFinished, LeanError, Timeout, ProofGivenUp>;

// What a RunResult is, as one flat tag: its alternative, with LeanError
// split by kind. For callers that count, reward or label outcomes (the RL
// environment's OutcomeKind, proof search's failure leaves).
enum class RunResultKind {
  kState,          // the tactic ran and goals remain (TacticState)
  kProofFinished,  // no goals remain and the whole proof passed the completion check
  kTacticError,    // Lean rejected the tactic (LeanError::kTactic)
  kProofRejected,  // goals closed but the completion check failed (LeanError::kProofRejected)
  kTacticTooLong,  // longer than DojoOptions::max_tactic_bytes; not sent
                   // (LeanError::kTacticTooLong)
  kWorkerFailure,  // the worker kept dying and recovery gave up (LeanError::kWorkerFailure)
  kTimeout,        // the tactic or the completion check ran out of time (Timeout)
  kProofGivenUp,   // the tactic uses a banned tactic such as sorry (ProofGivenUp)
};
RunResultKind KindOf(const RunResult& result);

std::string_view ToString(LeanError::Kind kind);
// One line for logs: "state 12 (2 goals)", "lean error: unknown tactic", ...
std::string Describe(const RunResult& result);

// Counters since the Dojo was created.
struct DojoStats {
  std::uint64_t entered = 0;     // theorems entered
  std::uint64_t tactics = 0;     // RunTac calls
  std::uint64_t recoveries = 0;  // worker restarts done to re-create states
  std::uint64_t replayed = 0;    // tactics re-run while re-creating states
  std::uint64_t checks = 0;      // whole-proof checks run
};

// One tactic of a batch (Dojo::RunTacs): run `tactic` on `state`.
struct TacticRequest {
  TacticState state;
  std::string tactic;
};

// A batch of tactics sent by Dojo::StartTactics. Movable, not copyable, not
// thread-safe: one thread calls Wait(), once. Dropped without Wait(), its
// tactics still run in Lean and their results are discarded.
class PendingTactics {
 public:
  PendingTactics() = default;
  PendingTactics(PendingTactics&&) noexcept = default;
  PendingTactics& operator=(PendingTactics&&) noexcept = default;
  ~PendingTactics();

  // Blocks until every tactic has its result; the results in request order.
  // Throws std::logic_error if called twice or on an empty batch object.
  std::vector<RunResult> Wait();

 private:
  friend class Dojo;
  struct State;
  std::shared_ptr<State> state_;
};

class Dojo {
 public:
  // `pool` runs the workers; it may be shared with other users.
  explicit Dojo(std::shared_ptr<WorkerPool> pool, DojoOptions options = {});
  ~Dojo();
  Dojo(const Dojo&) = delete;
  Dojo& operator=(const Dojo&) = delete;

  // Enters the theorem called `name` (short or full name) in the Lean file
  // `path`: the file's imports become the worker's header, and the text
  // before the theorem is elaborated with it.
  TacticState EnterFromFile(const std::filesystem::path& path, std::string_view name);

  // Enters a theorem given as an import header ("import Mathlib\nopen Real",
  // may be empty; anything after the imports is context) and a statement
  // ("theorem foo (n : Nat) : n + 0 = n", optionally ending in `:= by` or
  // `:= by sorry`).
  TacticState Enter(std::string_view header, std::string_view statement);

  // Runs `tactic` on `state`. Throws std::invalid_argument if `state` is
  // empty or was made by another Dojo.
  RunResult RunTac(const TacticState& state, std::string_view tactic);

  // Runs each request as RunTac would and returns the results in request
  // order; each result is the one RunTac gives for it. The tactics on states
  // of one theorem go to its worker together: they reach the REPL in one
  // write and it answers them in order, so a batch costs one round trip per
  // worker instead of one per tactic (its deadline still applies to each
  // tactic alone). Tactics of different theorems run on their workers at
  // once. The calling thread does it all: no thread per tactic. A tactic
  // whose state must first be re-created, or whose worker dies under the
  // batch, runs afterwards as RunTac runs it (restart, replay, retry).
  // Throws std::invalid_argument, before anything is sent, if a state is
  // empty or was made by another Dojo.
  std::vector<RunResult> RunTacs(const std::vector<TacticRequest>& requests);

  // RunTacs in two halves: sends the batch and returns at once; Wait() on
  // the result finishes it (completion checks, recoveries) and returns the
  // results. Meanwhile the caller may do other work.
  PendingTactics StartTactics(const std::vector<TacticRequest>& requests);

  std::uint64_t id() const;
  DojoStats stats() const;
  const DojoOptions& options() const;

 private:
  friend class PendingTactics;
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace tatami::dojo
