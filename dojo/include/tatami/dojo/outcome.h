// One meaning per outcome: the single place that turns what a REPL request
// ended in (a ReplOutcome) into a result nobody can misread.
//
// A tactic can fail in several ways that look nothing alike on the wire:
//   * the REPL answers with an error object ({"message": "Lean error:\n..."},
//     e.g. an unknown tactic);
//   * the REPL answers with a proof state, but Lean logged error-severity
//     messages (e.g. an unknown identifier: goals [] and proofStatus
//     "Incomplete: contains sorry");
//   * the goals are gone but the proof is not accepted (proofStatus
//     "Incomplete: ...", "Error: kernel type check failed ...");
//   * the worker timed out, died, or wrote garbage.
// All of these are a TacticFailed with a kind and a reason.
//
// A proof is complete (ProofCompleted) only when the REPL says
// proofStatus "Completed" - never on an empty goal list alone. REPLs before
// v4.19 write no proofStatus; for them an empty goal list with no error
// messages and no sorries is a ProofUnverified, a separate alternative that
// callers must re-check (e.g. by elaborating the whole proof as a command)
// before they accept it. The recorded v4.9 REPL shows why: after
// `have h : x > 0 := by sorry` the step `exact h0` answers
// {"proofState": 3, "goals": []}, which v4.19 reports as "Incomplete:
// contains metavariable(s)".
//
// Thread-safety: all types are plain values; all functions are pure and
// thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tatami/dojo/protocol.h"
#include "tatami/dojo/repl_outcome.h"

namespace tatami::dojo {

// The REPL's proofStatus, classified.
enum class ProofStatus {
  kAbsent,                 // no proofStatus field (REPL before v4.19)
  kCompleted,              // "Completed": no goals, type-checked by the kernel, no sorry
  kOpenGoals,              // "Incomplete: open goals remain"
  kContainsSorry,          // "Incomplete: contains sorry"
  kContainsMetavariables,  // "Incomplete: contains metavariable(s)"
  kError,                  // "Error: ..." (kernel rejected the proof, goal not assigned, ...)
  kNotVerified,            // "Not verified: ..." (more than one root goal)
  kOther,                  // any other text (a newer REPL)
};
ProofStatus ClassifyProofStatus(const std::optional<std::string>& proof_status);
std::string_view ToString(ProofStatus status);

// How a request failed. The origin (see OriginOf) says whether the worker and
// its states survived.
enum class FailureKind {
  // Lean rejected the tactic / command itself; the worker and all earlier
  // states are fine.
  kLeanError,      // error object "Lean error:\n..." (unknown tactic, tactic threw)
  kErrorMessages,  // the REPL answered, but Lean logged error-severity messages
  kProofRejected,  // no goals remain but the proof is not accepted (proofStatus
                   // "Incomplete: ..."/"Error: ...", or sorries on an old REPL)
  // The REPL refused the request; the worker is fine.
  kUnknownProofState,   // "Unknown proof state." (also "Unknown proof State.")
  kUnknownEnvironment,  // "Unknown environment."
  kReplError,           // any other error object (unreadable file, ...)
  kMalformedResponse,   // a JSON object that is not the expected response
  // The worker is gone (killed and reaped) or never saw the request.
  kTimeout,
  kCrash,
  kProtocolError,
  kRejected,  // refused before reaching the worker (ReplRejected)
};
std::string_view ToString(FailureKind kind);

enum class FailureOrigin {
  kLean,    // the input is wrong: retrying the same request gives the same answer
  kRepl,    // the REPL refused (unknown id, bad response): the worker lives on
  kWorker,  // the worker died or was bypassed: its states are lost
};
FailureOrigin OriginOf(FailureKind kind);

// ---------------------------------------------------------------------------
// Tactics (proof step, pickle/unpickle proof state).

// The tactic ran; goals remain.
struct TacticAdvanced {
  std::int64_t proof_state = 0;
  std::vector<std::string> goals;           // never empty
  std::vector<protocol::Message> messages;  // no error-severity ones
  std::vector<protocol::Sorry> sorries;     // sorries the tactic introduced
  std::vector<std::string> traces;
  ProofStatus status = ProofStatus::kAbsent;  // kOpenGoals, or kAbsent on old REPLs
  friend bool operator==(const TacticAdvanced&, const TacticAdvanced&) = default;
};

// The REPL says the proof is complete (proofStatus "Completed").
struct ProofCompleted {
  std::int64_t proof_state = 0;
  std::vector<protocol::Message> messages;  // infos/warnings (e.g. "Try this: ...")
  std::vector<std::string> traces;
  friend bool operator==(const ProofCompleted&, const ProofCompleted&) = default;
};

// No goals remain and Lean reported no error and no sorry, but the REPL did
// not verify the proof: it writes no proofStatus (before v4.19) or says
// "Not verified: ..." (several root goals). Not a completed proof: re-check it.
struct ProofUnverified {
  std::int64_t proof_state = 0;
  std::vector<protocol::Message> messages;
  std::vector<std::string> traces;
  ProofStatus status = ProofStatus::kAbsent;  // kAbsent or kNotVerified
  std::string reason;                         // why it is unverified, for logs
  friend bool operator==(const ProofUnverified&, const ProofUnverified&) = default;
};

// The tactic failed, and here is why.
struct TacticFailed {
  FailureKind kind = FailureKind::kLeanError;
  // One line (or Lean's multi-line error text) saying why: the error object's
  // text without its "Lean error:\n" prefix, the first error message, the
  // proofStatus, or the worker failure.
  std::string reason;
  std::vector<protocol::Message> messages;  // all messages of the response, if any
  // The proof state the REPL recorded anyway (error messages / rejected
  // proofs still get one); useless for search, kept for logs.
  std::optional<std::int64_t> proof_state;
  ProofStatus status = ProofStatus::kAbsent;
  friend bool operator==(const TacticFailed&, const TacticFailed&) = default;
};

using TacticResult = std::variant<TacticAdvanced, ProofCompleted, ProofUnverified, TacticFailed>;

// Interprets the outcome of a proof-step, pickle-proof-state or
// unpickle-proof-state request. Decision order: worker failure; error object;
// response that does not parse; any error-severity message; proofStatus
// "Completed" (-> ProofCompleted); goals remain (-> TacticAdvanced); no goals
// with sorries or an "Incomplete"/"Error" status (-> TacticFailed
// kProofRejected); otherwise ProofUnverified.
TacticResult InterpretTactic(const ReplOutcome& outcome);
// The same for a response already in hand.
TacticResult InterpretTactic(const protocol::Json& response);

// ---------------------------------------------------------------------------
// Commands (command, file, pickle/unpickle environment).

// What Lean thought of the code of a command that ran.
enum class CommandVerdict {
  kClean,      // no error messages, no sorries
  kUsesSorry,  // no error messages, but sorries (or a "declaration uses sorry" warning)
  kErrors,     // at least one error-severity message
};
std::string_view ToString(CommandVerdict verdict);

// The REPL ran the command and recorded environment `env`. This says nothing
// about whether the code is correct: look at `verdict` (Lean records an env
// even for code with errors).
struct CommandSucceeded {
  std::int64_t env = 0;
  CommandVerdict verdict = CommandVerdict::kClean;
  protocol::CommandResponse response;
  friend bool operator==(const CommandSucceeded&, const CommandSucceeded&) = default;
};

// The REPL did not run the command.
struct CommandFailed {
  FailureKind kind = FailureKind::kReplError;  // never kErrorMessages/kProofRejected
  std::string reason;
  std::vector<protocol::Message> messages;  // empty today; kept for symmetry
  friend bool operator==(const CommandFailed&, const CommandFailed&) = default;
};

using CommandResult = std::variant<CommandSucceeded, CommandFailed>;

CommandResult InterpretCommand(const ReplOutcome& outcome);
CommandResult InterpretCommand(const protocol::Json& response);

// True when the command ran and Lean accepted the code without errors or
// sorries: what a whole-proof check must require.
bool CodeAccepted(const CommandResult& result);

// ---------------------------------------------------------------------------
// Any request.

using Interpretation = std::variant<TacticResult, CommandResult>;

// Dispatches on the request kind (protocol::AnsweredByProofStepResponse).
Interpretation Interpret(protocol::RequestKind kind, const ReplOutcome& outcome);

// Why the answer to a start-up request (ReplProcessOptions::startup_requests,
// e.g. the `import` header) means the worker must not be used: the REPL's
// error object ("the REPL answered: ...") or an error-severity message
// ("Lean reported an error at line L, column C: ..."). nullopt when it is
// neither.
std::optional<std::string> StartupFailure(const ReplResponse& response);

// True when `message` is Lean's "declaration uses sorry" warning, in either
// quoting (`sorry` since Lean v4.2x, 'sorry' before).
bool IsSorryWarning(const protocol::Message& message);

// One line for logs and CLI output, e.g. "tactic failed (lean error): unknown
// tactic" or "advanced to proof state 3 (2 goals)".
std::string Describe(const TacticResult& result);
std::string Describe(const CommandResult& result);
std::string Describe(const Interpretation& interpretation);

// ---------------------------------------------------------------------------
// Environments a worker builds for itself.

// Why `response`, the answer to a request that must create an environment
// for the header of a worker (an import command {"cmd": "import ..."},
// {"unpickleEnvFrom": ...}, or {"pickleTo": ..., "env": n}, which answers
// with that env), means it did not: StartupFailure's reading of an error,
// or a note that the answer is not an object or has no integer "env".
// nullopt when the environment exists.
// Stricter than InterpretCommand's kErrors verdict: an import that logs an
// error is unusable even though the REPL records an env for it.
std::optional<std::string> ImportFailure(const protocol::Json& response);

}  // namespace tatami::dojo
