// Trustworthy completion: deciding whether a whole proof is really a proof.
//
// The REPL's proof states can be fooled (a `sorry` or metavariable hidden in a
// subterm, a tactic that closes goals by an unsound axiom), so a proof found
// step by step is accepted only after the whole theorem, with the proof
// spliced in, is elaborated again from scratch as one command followed by
// `#print axioms NAME`. The verdict requires, in this order:
//   1. no banned tactic in the proof text (default ban list: sorry, admit,
//      native_decide; matched as whole identifiers outside comments and
//      string literals);
//   2. the check ran: the worker answered (no timeout, crash or REPL error);
//   3. Lean logged no error-severity message;
//   4. no `sorry` (no sorries listed, no "declaration uses sorry" warning,
//      and sorryAx not among the axioms);
//   5. Lean's `#print axioms` answer for the theorem was found, and
//   6. it names no axiom outside the allowed set (default: propext,
//      Classical.choice, Quot.sound).
// The verdict names the first check that failed.
//
// Everything here is pure: the caller runs the command (through a worker
// pool) and hands the outcome to JudgeProof.
//
// Thread-safety: pure functions and value types; safe to use concurrently.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tatami/dojo/repl_outcome.h"

namespace tatami::dojo {

struct ProofCheckOptions {
  // Axioms a proof may depend on. Default: propext, Classical.choice,
  // Quot.sound (the axioms of Lean's standard foundations).
  std::vector<std::string> allowed_axioms{"propext", "Classical.choice", "Quot.sound"};
  // Tactics (identifiers) a proof may not contain. Default: sorry, admit,
  // native_decide (the last trusts the compiler: axiom Lean.ofReduceBool).
  std::vector<std::string> banned_tactics{"sorry", "admit", "native_decide"};
};

// Which check failed. kNone means the proof is accepted.
enum class FailedCheck {
  kNone,
  kBannedTactic,   // the proof text uses a banned tactic
  kNotChecked,     // the check did not run: timeout, crash, REPL error object
  kLeanError,      // Lean logged an error
  kSorry,          // the proof still contains sorry
  kAxiomsUnknown,  // no `#print axioms` answer for the theorem
  kAxioms,         // depends on an axiom outside the allowed set
};
std::string_view ToString(FailedCheck check);

struct ProofVerdict {
  bool ok = false;
  FailedCheck failed = FailedCheck::kNotChecked;
  // Why, in one line (or Lean's first error message); empty when ok.
  std::string reason;
  // Axioms Lean reported for the theorem (empty if none, or unknown).
  std::vector<std::string> axioms;
  // The messages of the check as Lean wrote them (JSON objects with
  // severity, pos, endPos, data), without the `#print axioms` answer.
  nlohmann::json messages = nlohmann::json::array();
  // Banned tactics found in the proof text, in order of first use.
  std::vector<std::string> banned;
  // True when the check ran out of time (failed == kNotChecked).
  bool timed_out = false;
};

// Lean's answer to `#print axioms NAME`:
//   'NAME' depends on axioms: [A, B, C]
//   'NAME' does not depend on any axioms
struct AxiomsReport {
  std::string name;
  std::vector<std::string> axioms;
};
// nullopt if `text` is not such an answer.
std::optional<AxiomsReport> ParseAxiomsMessage(std::string_view text);

// The banned identifiers `code` uses outside comments and string literals,
// each once, in order of first use. `sorry` matches `sorry` but not
// `sorry_free` or `h.sorry'`.
std::vector<std::string> FindBannedTactics(std::string_view code,
                                           const std::vector<std::string>& banned);

// The command to elaborate for a whole-proof check: `statement` (everything up
// to and excluding `:=`, e.g. "theorem foo (n : Nat) : n + 0 = n"), then
// ` := by` and the tactics, one per line, indented by two spaces (a tactic's
// own continuation lines are indented with it), then `#print axioms NAME`.
std::string SpliceProof(std::string_view statement, const std::vector<std::string>& tactics,
                        std::string_view theorem_name);

// Judges the outcome of elaborating a command (which ends in `#print
// axioms` for `theorem_name` when axioms are to be checked). Banned tactics
// are looked for in `proof_text` (the statement and proof, not the context
// before them, which may hold unrelated `sorry`s). When `theorem_name` is
// nullopt the axiom checks (5, 6) are skipped (e.g. checking arbitrary
// snippets). Sorries and "declaration uses sorry" warnings positioned before
// line `first_line` (1-based, in the command) belong to earlier
// declarations and are ignored; a proof that uses one still fails through
// sorryAx in its axioms.
ProofVerdict JudgeProof(std::string_view proof_text, const ReplOutcome& outcome,
                        const std::optional<std::string>& theorem_name,
                        const ProofCheckOptions& options = {}, std::size_t first_line = 0);

}  // namespace tatami::dojo
