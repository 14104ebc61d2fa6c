// The texts and response details the double prints as Lean's, each taken from
// a recording of real Lean (the fixtures' REPL transcripts or lean-messages)
// and citing it, per Lean version where the wording changed. A test reads every
// cited recording and compares it with what these functions produce, so a
// text that drifts from its recording fails.
//
// Thread-safety: immutable data and pure functions.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lean_name.h"

namespace tatami::repl_double {

// The Lean releases whose REPL transcripts are recorded; each fixes a wording.
enum class LeanVersion { kV4_9, kV4_19, kV4_33 };
inline constexpr LeanVersion kDefaultLeanVersion = LeanVersion::kV4_33;
inline constexpr std::array<LeanVersion, 3> kLeanVersions = {
    LeanVersion::kV4_9, LeanVersion::kV4_19, LeanVersion::kV4_33};

// "4.9", "v4.9.0", "4.19", "v4.19.0", "4.33", "v4.33.0-rc2"; nullopt otherwise.
std::optional<LeanVersion> ParseLeanVersion(std::string_view s);
// "v4.9.0", "v4.19.0", "v4.33.0-rc2": the toolchains of the recordings.
std::string_view LeanVersionName(LeanVersion v);

enum class TextId {
  kSorryWarning,         // warning on a declaration whose proof uses sorry
  kNoGoals,              // a tactic run when no goals are left
  kUnsolvedGoals,        // {} = the goals left, separated by kGoalsSeparator
  kNoAxioms,             // #print axioms: {} = the name
  kAxioms,               // #print axioms: {} = the name, {} = the list
  kLeanError,            // error object of a tactic that threw: {} = the error
  kUnknownTactic,        // what an unparsable tactic throws in tactic mode
  kUnknownEnvironment,   // error object for an unknown "env"
  kUnknownProofState,    // error object for an unknown "proofState"
  kStatusCompleted,      // "proofStatus" values (none before v4.19)
  kStatusOpenGoals,      //
  kStatusContainsSorry,  //
};

// Where a recorded text is: a file under the fixtures folder, the 1-based
// line (.jsonl) or response (.expected.out) in it, and a JSON pointer into that.
struct Recording {
  std::string_view file;
  int entry = 0;
  std::string_view pointer;
};

struct RecordedText {
  TextId id;
  LeanVersion version;
  std::string_view text;                    // template: each `{}` takes one argument, in order
  Recording recording;                      // where the text was recorded
  std::array<std::string_view, 2> example;  // arguments that give the recorded text
  std::string_view context;                 // how it appears in the recording ("{}": as is)
};

// Every row, for the test that checks them against their recordings.
std::span<const RecordedText> RecordedTexts();

// The row for `id` in `v`'s wording; nullptr when that version has no such
// text (proof statuses before v4.19).
const RecordedText* FindText(TextId id, LeanVersion v);

// `text` with each `{}` replaced by the next of `args`; throws std::logic_error
// when their numbers differ.
std::string Render(std::string_view text, std::span<const std::string_view> args);
inline std::string Render(std::string_view text, std::initializer_list<std::string_view> args) {
  return Render(text, std::span<const std::string_view>(args.begin(), args.size()));
}

// Texts in one version's wording.
class LeanTexts {
 public:
  explicit LeanTexts(LeanVersion v) : version_(v) {}
  LeanVersion version() const { return version_; }

  std::string Get(TextId id, std::initializer_list<std::string_view> args = {}) const;
  // nullopt before v4.19 (the REPL printed no "proofStatus").
  // A view of the recorded text (static storage).
  std::optional<std::string_view> ProofStatus(bool goals_left, bool contains_sorry) const;
  // Goals separated by a blank line, as in Lean's multi-goal message
  // (lean-messages/unsolved_goals.jsonl line 8).
  std::string UnsolvedGoals(const std::vector<std::string>& goals) const;
  // `#print axioms`: from v4.33 sorted by Lean's Name.lt (recorded in
  // print_axioms.jsonl lines 1, 3, 8, 9); before, in the order given (Lean
  // printed its collection order; which release started sorting is not
  // recorded).
  std::string PrintAxioms(const LeanName& name, std::vector<std::string> axioms) const;

 private:
  LeanVersion version_;
};

}  // namespace tatami::repl_double
