// The scripted proof-state graph that --script answers from (format in
// README.md): theorems the double knows, proof states identified by their goal
// lists, and what each tactic does at a state.
//
// Thread-safety: immutable after LoadScriptGraph; safe to share for reading.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tatami::repl_double {

// How a failing tactic is reported by the REPL.
enum class ErrorShape {
  kMessages,   // error-severity message, goals after error recovery, "Incomplete: contains sorry"
  kException,  // {"message": "Lean error:\n..."}, no new proof state
};

struct Transition {
  bool is_error = false;
  std::string error;                              // message text (is_error)
  ErrorShape shape = ErrorShape::kMessages;       // (is_error)
  std::optional<std::vector<std::string>> goals;  // goals afterwards (required unless is_error)
  std::vector<std::string> axioms;                // axioms the tactic's proof term uses
  std::vector<std::string> sorries;               // goals of sorries nested in the tactic
};

struct ScriptTheorem {
  std::string name;       // as written, printed as Lean prints names: "add_zero'", "X.foo"
  std::string keyword;    // "theorem", "lemma" or "example"
  std::string signature;  // statement after keyword and name, whitespace-normalised
  std::string goal;       // pretty-printed initial goal
  std::vector<std::string> axioms;  // axioms every proof of it uses
};

inline constexpr char kGoalSeparator = '\x1f';

// Hashes and compares a state's key, its goals joined by kGoalSeparator, and
// also a goal list as if joined: a lookup need not build the joined string.
struct GoalsKeyHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view joined) const;
  std::size_t operator()(const std::vector<std::string>& goals) const;
};
struct GoalsKeyEqual {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
  bool operator()(std::string_view joined, const std::vector<std::string>& goals) const;
  bool operator()(const std::vector<std::string>& goals, std::string_view joined) const {
    return (*this)(joined, goals);
  }
};

struct ScriptGraph {
  // Tactic (whitespace-normalised) -> result, at one state.
  using Tactics = std::map<std::string, Transition, std::less<>>;

  std::vector<ScriptTheorem> theorems;
  // Goal list (joined by kGoalSeparator) -> tactic (whitespace-normalised) ->
  // result. Hashed: every tactic request looks its state up, and goals are
  // long strings that often share their beginnings (hypotheses), which makes
  // ordered comparisons slow.
  std::unordered_map<std::string, Tactics, GoalsKeyHash, GoalsKeyEqual> states;
  Transition unknown_tactic;  // what an unlisted tactic does

  const ScriptTheorem* FindTheorem(std::string_view name) const;
  // The tactics of the state with these goals; nullptr if it is not in the graph.
  const Tactics* FindState(const std::vector<std::string>& goals) const;
  // `tactic` (whitespace-normalised: NormalizeSpace) at a state FindState
  // returned; nullptr if the state or the tactic is not in the graph.
  static const Transition* FindTactic(const Tactics* state, std::string_view tactic);
};

// Collapses runs of whitespace (including newlines) to one space and trims.
std::string NormalizeSpace(std::string_view s);

// Reads and validates the graph; on error prints "tatami-repl-double: FILE: ..."
// naming the offending entry and exits with status 2.
ScriptGraph LoadScriptGraph(const std::string& path);

}  // namespace tatami::repl_double
