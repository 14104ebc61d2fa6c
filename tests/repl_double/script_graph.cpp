#include "script_graph.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>

#include <nlohmann/json.hpp>

#include "lean_name.h"
#include "lean_texts.h"

namespace tatami::repl_double {

namespace {

using json = nlohmann::json;

class Loader {
 public:
  explicit Loader(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void Fail(const std::string& where, const std::string& what) const {
    std::fprintf(stderr, "tatami-repl-double: %s: %s: %s\n", path_.c_str(), where.c_str(),
                 what.c_str());
    std::exit(2);
  }

  std::string String(const json& j, const std::string& where) const {
    if (!j.is_string()) Fail(where, "expected a string");
    return j.get<std::string>();
  }

  std::vector<std::string> Strings(const json& j, const std::string& where) const {
    if (!j.is_array()) Fail(where, "expected an array of strings");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < j.size(); ++i) {
      out.push_back(String(j[i], where + "[" + std::to_string(i) + "]"));
    }
    return out;
  }

  void CheckKeys(const json& j, const std::string& where,
                 std::initializer_list<std::string_view> known) const {
    if (!j.is_object()) Fail(where, "expected an object");
    for (auto it = j.begin(); it != j.end(); ++it) {
      bool ok = false;
      for (std::string_view k : known) ok = ok || it.key() == k;
      if (!ok) Fail(where, "unknown field \"" + it.key() + "\"");
    }
  }

  Transition ParseTransition(const json& j, const std::string& where) const {
    CheckKeys(j, where, {"goals", "error", "shape", "axioms", "sorries"});
    Transition t;
    if (j.contains("error")) {
      t.is_error = true;
      t.error = String(j["error"], where + ".error");
      if (j.contains("shape")) {
        std::string shape = String(j["shape"], where + ".shape");
        if (shape == "messages") {
          t.shape = ErrorShape::kMessages;
        } else if (shape == "exception") {
          t.shape = ErrorShape::kException;
        } else {
          Fail(where + ".shape", "expected \"messages\" or \"exception\", got \"" + shape + "\"");
        }
      }
    } else if (j.contains("shape")) {
      Fail(where, "\"shape\" needs \"error\"");
    } else if (!j.contains("goals")) {
      Fail(where, "a transition needs \"goals\" (success) or \"error\"");
    }
    if (j.contains("goals")) t.goals = Strings(j["goals"], where + ".goals");
    if (j.contains("axioms")) t.axioms = Strings(j["axioms"], where + ".axioms");
    if (j.contains("sorries")) t.sorries = Strings(j["sorries"], where + ".sorries");
    return t;
  }

  ScriptGraph Load() const {
    std::ifstream in(path_);
    if (!in) Fail("open", "cannot read the file");
    json root;
    try {
      root = json::parse(in);
    } catch (const json::exception& e) {
      Fail("parse", e.what());
    }
    CheckKeys(root, "top level", {"description", "theorems", "states", "unknown_tactic"});
    ScriptGraph g;
    if (!root.contains("theorems")) Fail("top level", "missing \"theorems\"");
    const json& theorems = root["theorems"];
    if (!theorems.is_array()) Fail("theorems", "expected an array");
    for (std::size_t i = 0; i < theorems.size(); ++i) {
      std::string where = "theorems[" + std::to_string(i) + "]";
      const json& t = theorems[i];
      CheckKeys(t, where, {"statement", "goal", "axioms"});
      if (!t.contains("statement") || !t.contains("goal")) {
        Fail(where, "needs \"statement\" and \"goal\"");
      }
      ScriptTheorem th;
      std::string statement = NormalizeSpace(String(t["statement"], where + ".statement"));
      std::size_t sp = statement.find(' ');
      th.keyword = statement.substr(0, sp);
      if (th.keyword != "theorem" && th.keyword != "lemma" && th.keyword != "example") {
        Fail(where + ".statement", "must start with theorem, lemma or example");
      }
      std::string rest = sp == std::string::npos ? "" : statement.substr(sp + 1);
      if (th.keyword != "example") {
        std::size_t end = 0;
        auto name = ReadIdentifier(rest, 0, &end);
        if (!name) Fail(where + ".statement", "has no theorem name");
        th.name = name->ToString();
        rest = NormalizeSpace(rest.substr(end));
        if (g.FindTheorem(th.name)) Fail(where, "theorem `" + th.name + "` is listed twice");
      }
      th.signature = rest;
      th.goal = String(t["goal"], where + ".goal");
      if (t.contains("axioms")) th.axioms = Strings(t["axioms"], where + ".axioms");
      g.theorems.push_back(std::move(th));
    }
    if (root.contains("states")) {
      const json& states = root["states"];
      if (!states.is_array()) Fail("states", "expected an array");
      for (std::size_t i = 0; i < states.size(); ++i) {
        std::string where = "states[" + std::to_string(i) + "]";
        const json& s = states[i];
        CheckKeys(s, where, {"goals", "tactics"});
        if (!s.contains("goals")) Fail(where, "needs \"goals\"");
        std::string key;
        for (const std::string& goal : Strings(s["goals"], where + ".goals")) {
          if (!key.empty()) key += kGoalSeparator;
          key += goal;
        }
        Tactics* tactics_at = g.states.Add(std::move(key));
        if (!tactics_at) Fail(where, "a state with these goals is listed twice");
        Tactics& tactics = *tactics_at;
        if (s.contains("tactics")) {
          const json& ts = s["tactics"];
          if (!ts.is_object()) Fail(where + ".tactics", "expected an object");
          for (auto it = ts.begin(); it != ts.end(); ++it) {
            tactics[NormalizeSpace(it.key())] =
                ParseTransition(it.value(), where + ".tactics[\"" + it.key() + "\"]");
          }
        }
      }
    }
    g.unknown_tactic.is_error = true;
    g.unknown_tactic.shape = ErrorShape::kException;
    g.unknown_tactic.error = LeanTexts(kDefaultLeanVersion).Get(TextId::kUnknownTactic);
    if (root.contains("unknown_tactic")) {
      g.unknown_tactic = ParseTransition(root["unknown_tactic"], "unknown_tactic");
      if (!g.unknown_tactic.is_error) Fail("unknown_tactic", "must be an error");
    }
    return g;
  }

 private:
  std::string path_;
};

}  // namespace

std::string NormalizeSpace(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = true;
    } else {
      if (space && !out.empty()) out += ' ';
      space = false;
      out += c;
    }
  }
  return out;
}

const ScriptTheorem* ScriptGraph::FindTheorem(std::string_view name) const {
  for (const ScriptTheorem& t : theorems) {
    if (!name.empty() && t.name == name) return &t;
  }
  return nullptr;
}

namespace {

// Hashes a joined key piece by piece, the pieces being the text between
// separators, so that a goal list hashes as its joined key does (even when a
// goal itself contains the separator). Each piece goes through std::hash,
// which reads 8 bytes at a time.
class PieceHash {
 public:
  void Add(std::string_view s) {
    for (;;) {
      std::size_t sep = s.find(kGoalSeparator);
      h_ = (h_ ^ std::hash<std::string_view>{}(s.substr(0, sep))) * kPrime;
      if (sep == std::string_view::npos) return;
      s.remove_prefix(sep + 1);
    }
  }
  std::size_t value() const { return static_cast<std::size_t>(h_); }

 private:
  static constexpr std::uint64_t kPrime = 1099511628211ull;  // FNV's
  std::uint64_t h_ = 14695981039346656037ull;
};

std::size_t HashKey(std::string_view joined) {
  PieceHash h;
  h.Add(joined);
  return h.value();
}

std::size_t HashGoals(const std::vector<std::string>& goals) {
  PieceHash h;
  // No goals join to "", which is one (empty) piece.
  if (goals.empty()) h.Add("");
  for (const std::string& goal : goals) h.Add(goal);
  return h.value();
}

// Whether `joined` is `goals` joined by kGoalSeparator.
bool IsJoined(std::string_view joined, const std::vector<std::string>& goals) {
  for (std::size_t i = 0; i < goals.size(); ++i) {
    if (i > 0) {
      if (joined.empty() || joined.front() != kGoalSeparator) return false;
      joined.remove_prefix(1);
    }
    if (!joined.starts_with(goals[i])) return false;
    joined.remove_prefix(goals[i].size());
  }
  return joined.empty();
}

}  // namespace

Tactics* StateIndex::Add(std::string key) {
  if (2 * (states_.size() + 1) > slots_.size()) Grow();
  const std::size_t hash = HashKey(key);
  std::size_t i = SlotOf(hash);
  for (; slots_[i].state != 0; i = SlotOf(i + 1)) {
    if (slots_[i].hash == hash && states_[slots_[i].state - 1].key == key) return nullptr;
  }
  states_.push_back({std::move(key), {}});
  slots_[i] = {hash, states_.size()};
  return &states_.back().tactics;
}

const Tactics* StateIndex::Find(const std::vector<std::string>& goals) const {
  if (slots_.empty()) return nullptr;
  const std::size_t hash = HashGoals(goals);
  for (std::size_t i = SlotOf(hash); slots_[i].state != 0; i = SlotOf(i + 1)) {
    const State& s = states_[slots_[i].state - 1];
    if (slots_[i].hash == hash && IsJoined(s.key, goals)) return &s.tactics;
  }
  return nullptr;
}

void StateIndex::Grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 16 : 2 * old.size(), Slot{});
  for (const Slot& slot : old) {
    if (slot.state == 0) continue;
    std::size_t i = SlotOf(slot.hash);
    while (slots_[i].state != 0) i = SlotOf(i + 1);
    slots_[i] = slot;
  }
}

const ScriptGraph::Tactics* ScriptGraph::FindState(const std::vector<std::string>& goals) const {
  return states.Find(goals);
}

const Transition* ScriptGraph::FindTactic(const Tactics* state, std::string_view tactic) {
  if (!state) return nullptr;
  auto t = state->find(tactic);
  return t == state->end() ? nullptr : &t->second;
}

ScriptGraph LoadScriptGraph(const std::string& path) { return Loader(path).Load(); }

}  // namespace tatami::repl_double
