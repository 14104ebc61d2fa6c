// Trustworthy completion: deciding whether a whole proof is really a proof.
//
// The REPL's proof states can be fooled (a `sorry` or metavariable hidden in a
// subterm, a tactic that closes goals by an unsound axiom), so a proof found
// step by step is accepted only after the whole theorem, with the proof
// spliced in, is elaborated again from scratch as one command followed by
// `#print axioms _root_.FULL_NAME`. The verdict requires, in this order:
//   1. no banned tactic in the proof text (default ban list: sorry, admit,
//      native_decide; matched as whole identifiers outside comments and
//      string literals);
//   2. the check ran: the worker answered (no timeout, crash or REPL error);
//   3. Lean logged no error-severity message;
//   4. no `sorry` (no sorries listed, no "declaration uses sorry" warning,
//      and sorryAx not among the axioms);
//   5. Lean's `#print axioms` answer for each declaration checked was found,
//      and
//   6. none names an axiom outside the allowed set (default: propext,
//      Classical.choice, Quot.sound).
// The verdict names the first check that failed.
//
// Names. Lean answers `#print axioms` with the resolved full name
// (`'X.foo' depends on axioms: [...]` for `foo` declared in `namespace X`),
// so the query uses AxiomsQueryName (lean_name.h) and the answer is matched
// against the full name, with NamesDeclaration. Every recorded wording is
// accepted: the name quoted '…' or `…`, the axioms sorted (newer Lean) or in
// collection order (older), the list wrapped over lines, the sorry warning
// with 'sorry' or `sorry`, the severity spelled "info" or "information".
//
// `example`s have no name to ask about; `tatami check`
// rewrites each into a uniquely named `noncomputable def` so that it has one (PrepareCheck),
// and RestorePositions maps Lean's positions back to the original text.
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

#include "tatami/dojo/lean_file.h"
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

// Lean's answer to `#print axioms NAME`:
//   'NAME' depends on axioms: [A, B, C]
//   'NAME' does not depend on any axioms
// NAME is the resolved full name (or its private form), quoted '…' or `…`.
struct AxiomsReport {
  std::string name;
  std::vector<std::string> axioms;
};

struct ProofVerdict {
  bool ok = false;
  FailedCheck failed = FailedCheck::kNotChecked;
  // Why, in one line (or Lean's first error message); empty when ok.
  std::string reason;
  // Axioms Lean reported for the declarations checked, each once, in order
  // of first report (empty if none, or unknown).
  std::vector<std::string> axioms;
  // Lean's answer for each declaration checked, in the order asked (those
  // with no answer are missing).
  std::vector<AxiomsReport> reports;
  // The messages of the check as Lean wrote them (JSON objects with
  // severity, pos, endPos, data), without the `#print axioms` answer.
  nlohmann::json messages = nlohmann::json::array();
  // Banned tactics found in the proof text, in order of first use.
  std::vector<std::string> banned;
  // True when the check ran out of time (failed == kNotChecked).
  bool timed_out = false;
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
// own continuation lines are indented with it), then `#print axioms
// _root_.FULL_NAME` (`full_name`: the name the statement declares, with its
// namespaces, as TheoremSource::full_name).
std::string SpliceProof(std::string_view statement, const std::vector<std::string>& tactics,
                        std::string_view full_name);

// Judges the outcome of elaborating a command that ends in a `#print axioms`
// query (AxiomsQueryName) for each full name in `declarations`. Banned
// tactics are looked for in `proof_text` (the statement and proof, not the
// context before them, which may hold unrelated `sorry`s). With no
// declarations the axiom checks (5, 6) are skipped (e.g. checking arbitrary
// snippets). Sorries and "declaration uses sorry" warnings positioned before
// line `first_line` (1-based, in the command) belong to earlier
// declarations and are ignored; a proof that uses one still fails through
// sorryAx in its axioms.
ProofVerdict JudgeProof(std::string_view proof_text, const ReplOutcome& outcome,
                        const std::vector<std::string>& declarations,
                        const ProofCheckOptions& options = {}, std::size_t first_line = 0);
// The same for one declaration (its full name) or, with nullopt, none.
ProofVerdict JudgeProof(std::string_view proof_text, const ReplOutcome& outcome,
                        const std::optional<std::string>& full_name,
                        const ProofCheckOptions& options = {}, std::size_t first_line = 0);

// A snippet prepared for a whole-file check (`tatami check`): its `example`s
// named, and a `#print axioms` query appended for every theorem and example.
struct NamedExample {
  std::size_t line = 0;    // 1-based line of the `example` keyword
  std::size_t column = 0;  // its 0-based column (code points)
  std::size_t added = 0;   // code points the rewrite added on that line
};
struct CheckCommand {
  std::string code;                          // what to elaborate
  std::vector<std::string> declarations;     // full names queried, for JudgeProof
  std::vector<NamedExample> named_examples;  // for RestorePositions
};

// Rewrites each `example` of `body` into `noncomputable def
// tatami_example_LINE` (a name the text does not use; plain `def` when the
// modifiers already say `noncomputable` or cannot take it), so that Lean
// records it under a name `#print axioms` can be asked about. A `def`
// accepts every value an `example` does (`theorem` would reject data, and
// `noncomputable` keeps a noncomputable value from failing to compile).
// Lines do not move; columns after the keyword on its line do, and
// RestorePositions moves them back. Then appends `#print axioms
// _root_.FULL_NAME` for every theorem and example, one per line, after the
// body.
CheckCommand PrepareCheck(std::string_view body);

// Moves the `pos`/`endPos` columns of `items` (a JSON array of REPL messages
// or sorries for `command.code`) back to columns of the original body.
void RestorePositions(const CheckCommand& command, nlohmann::json& items);

}  // namespace tatami::dojo
