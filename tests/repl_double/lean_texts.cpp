#include "lean_texts.h"

#include <algorithm>
#include <stdexcept>

namespace tatami::repl_double {

namespace {

using V = LeanVersion;
using T = TextId;

// File names are spelled out in full so that a reader can grep for them.
constexpr RecordedText kTexts[] = {
    {T::kSorryWarning,
     V::kV4_9,
     "declaration uses 'sorry'",
     {"repl-transcripts/history/v4.9.0/proof_step.expected.out", 1, "/messages/0/data"},
     {},
     "{}"},
    {T::kSorryWarning,
     V::kV4_19,
     "declaration uses 'sorry'",
     {"repl-transcripts/history/v4.19.0/proof_step.expected.out", 1, "/messages/0/data"},
     {},
     "{}"},
    {T::kSorryWarning,
     V::kV4_33,
     "declaration uses `sorry`",
     {"repl-transcripts/proof_step.expected.out", 1, "/messages/0/data"},
     {},
     "{}"},

    {T::kNoGoals,
     V::kV4_9,
     "no goals to be solved",
     {"repl-transcripts/history/v4.9.0/no_goal_sorry_2.expected.out", 1, "/messages/0/data"},
     {},
     "{}"},
    {T::kNoGoals,
     V::kV4_19,
     "no goals to be solved",
     {"repl-transcripts/history/v4.19.0/no_goal_sorry_2.expected.out", 1, "/messages/0/data"},
     {},
     "{}"},
    // The v4.33 transcripts have no such case; Mathlib's SimpRw test records it.
    {T::kNoGoals,
     V::kV4_33,
     "No goals to be solved",
     {"lean-messages/no_goals.jsonl", 3, "/message"},
     {},
     "{}"},

    {T::kUnsolvedGoals,
     V::kV4_9,
     "unsolved goals\n{}",
     {"repl-transcripts/history/v4.9.0/incomplete.expected.out", 1, "/messages/0/data"},
     {"⊢ Nat"},
     "{}"},
    {T::kUnsolvedGoals,
     V::kV4_19,
     "unsolved goals\n{}",
     {"repl-transcripts/history/v4.19.0/incomplete.expected.out", 1, "/messages/0/data"},
     {"⊢ Nat"},
     "{}"},
    {T::kUnsolvedGoals,
     V::kV4_33,
     "unsolved goals\n{}",
     {"repl-transcripts/incomplete.expected.out", 1, "/messages/0/data"},
     {"⊢ Nat"},
     "{}"},

    // lean-messages entries are undated; the `#print axioms` wording is the
    // same in the oldest and newest of them, only the order changed.
    {T::kNoAxioms,
     V::kV4_9,
     "'{}' does not depend on any axioms",
     {"lean-messages/print_axioms.jsonl", 2, "/message"},
     {"addThree"},
     "{}"},
    {T::kNoAxioms,
     V::kV4_19,
     "'{}' does not depend on any axioms",
     {"lean-messages/print_axioms.jsonl", 2, "/message"},
     {"addThree"},
     "{}"},
    {T::kNoAxioms,
     V::kV4_33,
     "'{}' does not depend on any axioms",
     {"lean-messages/print_axioms.jsonl", 2, "/message"},
     {"addThree"},
     "{}"},
    {T::kAxioms,
     V::kV4_9,
     "'{}' depends on axioms: [{}]",
     {"lean-messages/print_axioms.jsonl", 6, "/message"},
     {"Classical.em", "Classical.choice, propext, Quot.sound"},
     "{}"},
    {T::kAxioms,
     V::kV4_19,
     "'{}' depends on axioms: [{}]",
     {"lean-messages/print_axioms.jsonl", 6, "/message"},
     {"Classical.em", "Classical.choice, propext, Quot.sound"},
     "{}"},
    {T::kAxioms,
     V::kV4_33,
     "'{}' depends on axioms: [{}]",
     {"lean-messages/print_axioms.jsonl", 3, "/message"},
     {"excludedMiddle", "propext, Classical.choice, Quot.sound"},
     "{}"},

    {T::kLeanError,
     V::kV4_9,
     "Lean error:\n{}",
     {"repl-transcripts/history/v4.9.0/unknown_tactic.expected.out", 2, "/message"},
     {"<input>:1:1: unknown tactic"},
     "{}"},
    {T::kLeanError,
     V::kV4_19,
     "Lean error:\n{}",
     {"repl-transcripts/history/v4.19.0/unknown_tactic.expected.out", 2, "/message"},
     {"<input>:1:1: unknown tactic"},
     "{}"},
    {T::kLeanError,
     V::kV4_33,
     "Lean error:\n{}",
     {"repl-transcripts/unknown_tactic.expected.out", 2, "/message"},
     {"<input>:1:1: unknown tactic"},
     "{}"},
    {T::kUnknownTactic,
     V::kV4_9,
     "<input>:1:1: unknown tactic",
     {"repl-transcripts/history/v4.9.0/unknown_tactic.expected.out", 2, "/message"},
     {},
     "Lean error:\n{}"},
    {T::kUnknownTactic,
     V::kV4_19,
     "<input>:1:1: unknown tactic",
     {"repl-transcripts/history/v4.19.0/unknown_tactic.expected.out", 2, "/message"},
     {},
     "Lean error:\n{}"},
    {T::kUnknownTactic,
     V::kV4_33,
     "<input>:1:1: unknown tactic",
     {"repl-transcripts/unknown_tactic.expected.out", 2, "/message"},
     {},
     "Lean error:\n{}"},

    {T::kUnknownEnvironment,
     V::kV4_9,
     "Unknown environment.",
     {"repl-transcripts/history/v4.9.0/unknown_environment.expected.out", 1, "/message"},
     {},
     "{}"},
    {T::kUnknownEnvironment,
     V::kV4_19,
     "Unknown environment.",
     {"repl-transcripts/history/v4.19.0/unknown_environment.expected.out", 1, "/message"},
     {},
     "{}"},
    {T::kUnknownEnvironment,
     V::kV4_33,
     "Unknown environment.",
     {"repl-transcripts/unknown_environment.expected.out", 1, "/message"},
     {},
     "{}"},
    {T::kUnknownProofState,
     V::kV4_9,
     "Unknown proof state.",
     {"repl-transcripts/history/v4.9.0/unknown_proof_state.expected.out", 2, "/message"},
     {},
     "{}"},
    {T::kUnknownProofState,
     V::kV4_19,
     "Unknown proof state.",
     {"repl-transcripts/history/v4.19.0/unknown_proof_state.expected.out", 2, "/message"},
     {},
     "{}"},
    {T::kUnknownProofState,
     V::kV4_33,
     "Unknown proof state.",
     {"repl-transcripts/unknown_proof_state.expected.out", 2, "/message"},
     {},
     "{}"},

    {T::kStatusCompleted,
     V::kV4_19,
     "Completed",
     {"repl-transcripts/history/v4.19.0/proof_step.expected.out", 4, "/proofStatus"},
     {},
     "{}"},
    {T::kStatusCompleted,
     V::kV4_33,
     "Completed",
     {"repl-transcripts/proof_step.expected.out", 4, "/proofStatus"},
     {},
     "{}"},
    {T::kStatusOpenGoals,
     V::kV4_19,
     "Incomplete: open goals remain",
     {"repl-transcripts/history/v4.19.0/proof_step.expected.out", 2, "/proofStatus"},
     {},
     "{}"},
    {T::kStatusOpenGoals,
     V::kV4_33,
     "Incomplete: open goals remain",
     {"repl-transcripts/proof_step.expected.out", 2, "/proofStatus"},
     {},
     "{}"},
    {T::kStatusContainsSorry,
     V::kV4_19,
     "Incomplete: contains sorry",
     {"repl-transcripts/history/v4.19.0/invalid_tactic.expected.out", 2, "/proofStatus"},
     {},
     "{}"},
    {T::kStatusContainsSorry,
     V::kV4_33,
     "Incomplete: contains sorry",
     {"repl-transcripts/invalid_tactic.expected.out", 2, "/proofStatus"},
     {},
     "{}"},
};

}  // namespace

std::optional<LeanVersion> ParseLeanVersion(std::string_view s) {
  if (s.substr(0, 1) == "v") s.remove_prefix(1);
  if (s == "4.9" || s == "4.9.0") return V::kV4_9;
  if (s == "4.19" || s == "4.19.0") return V::kV4_19;
  if (s == "4.33" || s == "4.33.0" || s == "4.33.0-rc2") return V::kV4_33;
  return std::nullopt;
}

std::string_view LeanVersionName(LeanVersion v) {
  switch (v) {
    case V::kV4_9:
      return "v4.9.0";
    case V::kV4_19:
      return "v4.19.0";
    case V::kV4_33:
      return "v4.33.0-rc2";
  }
  return "?";
}

std::span<const RecordedText> RecordedTexts() { return kTexts; }

const RecordedText* FindText(TextId id, LeanVersion v) {
  for (const RecordedText& t : kTexts) {
    if (t.id == id && t.version == v) return &t;
  }
  return nullptr;
}

std::string Render(std::string_view text, std::span<const std::string_view> args) {
  std::string out;
  auto arg = args.begin();
  for (std::size_t pos = 0;;) {
    std::size_t hole = text.find("{}", pos);
    if (hole == std::string_view::npos) {
      out.append(text.substr(pos));
      break;
    }
    if (arg == args.end()) throw std::logic_error("Render: too few arguments");
    out.append(text.substr(pos, hole - pos)).append(*arg++);
    pos = hole + 2;
  }
  if (arg != args.end()) throw std::logic_error("Render: too many arguments");
  return out;
}

std::string LeanTexts::Get(TextId id, std::initializer_list<std::string_view> args) const {
  const RecordedText* t = FindText(id, version_);
  if (!t) throw std::logic_error("no recorded text for this Lean version");
  return Render(t->text, args);
}

std::optional<std::string_view> LeanTexts::ProofStatus(bool goals_left, bool contains_sorry) const {
  TextId id = goals_left       ? T::kStatusOpenGoals
              : contains_sorry ? T::kStatusContainsSorry
                               : T::kStatusCompleted;
  const RecordedText* t = FindText(id, version_);
  if (!t) return std::nullopt;
  return t->text;
}

std::string LeanTexts::UnsolvedGoals(const std::vector<std::string>& goals) const {
  std::string joined;
  for (std::size_t i = 0; i < goals.size(); ++i) {
    if (i) joined += "\n\n";
    joined += goals[i];
  }
  return Get(T::kUnsolvedGoals, {joined});
}

std::string LeanTexts::PrintAxioms(const LeanName& name, std::vector<std::string> axioms) const {
  std::string printed = name.ToString();
  if (axioms.empty()) return Get(T::kNoAxioms, {printed});
  std::vector<LeanName> names;
  for (const std::string& a : axioms) {
    auto parsed = ParseIdentifier(a);
    names.push_back(parsed ? *parsed : LeanName{{a}});
  }
  if (version_ == V::kV4_33) std::stable_sort(names.begin(), names.end(), NameLess);
  std::string list;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) list += ", ";
    list += names[i].ToString();
  }
  return Get(T::kAxioms, {printed, list});
}

}  // namespace tatami::repl_double
