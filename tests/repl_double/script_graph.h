// The scripted proof-state graph that --script answers from (format in
// README.md): theorems the double knows, proof states identified by their goal
// lists, and what each tactic does at a state.
//
// Thread-safety: immutable after LoadScriptGraph; safe to share for reading.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
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

// Tactic (whitespace-normalised) -> result, at one state.
using Tactics = std::map<std::string, Transition, std::less<>>;

// The states of a graph by their goal lists, for the lookup every tactic
// request makes. Hashed (goals are long strings that often share their
// beginnings, which made an ordered map's comparisons slow), with open
// addressing: a lookup reads one slot of a flat array and one key, where a
// node-based unordered_map chased pointers to scattered nodes, cache misses
// that were most of its cost. A goal list is hashed and compared as if joined
// by kGoalSeparator, so a lookup need not build the joined string.
class StateIndex {
 public:
  // The tactics of a new state whose goals joined by kGoalSeparator are
  // `key`; nullptr if there is one already.
  Tactics* Add(std::string key);
  const Tactics* Find(const std::vector<std::string>& goals) const;

 private:
  struct State {
    std::string key;
    Tactics tactics;
  };
  struct Slot {
    std::size_t hash = 0;
    std::size_t state = 0;  // 1 + the state's position in states_; 0: empty
  };
  std::size_t SlotOf(std::size_t hash) const { return hash & (slots_.size() - 1); }
  void Grow();

  std::deque<State> states_;  // a deque: Add's pointers stay valid
  std::vector<Slot> slots_;   // a power of two, at most half full
};

struct ScriptGraph {
  using Tactics = repl_double::Tactics;

  std::vector<ScriptTheorem> theorems;
  StateIndex states;
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
