#include "tatami/data/trace_assembly.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "tatami/data/declarations.h"
#include "text_positions.h"

namespace tatami::data {

namespace {

using nlohmann::json;

LeanPos PosOf(const json& j) {
  if (!j.is_object()) return {};
  return LeanPos{j.value("line", 0L), j.value("column", 0L)};
}

// LeanDojo's rendering of a goal list.
std::string JoinGoals(const json& goals) {
  if (!goals.is_array() || goals.empty()) return "no goals";
  std::string out;
  for (const json& g : goals) {
    if (!out.empty()) out += "\n\n";
    out += g.is_string() ? g.get<std::string>() : g.dump();
  }
  return out;
}

void CollectInfoTree(const json& node, std::vector<ReplTactic>* out) {
  if (node.is_array()) {
    for (const json& n : node) CollectInfoTree(n, out);
    return;
  }
  if (!node.is_object()) return;
  if (node.value("kind", "") == "TacticInfo" && node.contains("node")) {
    const json& n = node["node"];
    const json* range = nullptr;
    if (n.contains("stx") && n["stx"].is_object() && n["stx"].contains("range"))
      range = &n["stx"]["range"];
    if (range && range->is_object()) {
      ReplTactic t;
      t.pos = PosOf(range->value("start", json()));
      t.end_pos = PosOf(range->value("finish", json()));
      t.synthetic = range->value("synthetic", false);
      t.state_before = JoinGoals(n.value("goalsBefore", json::array()));
      t.state_after = JoinGoals(n.value("goalsAfter", json::array()));
      out->push_back(std::move(t));
    }
  }
  if (node.contains("children")) CollectInfoTree(node["children"], out);
}

bool IsIdent(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '\'' ||
         (static_cast<unsigned char>(c) & 0x80);
}

// Whether the tactic at `off` starts an item of a tactic sequence nested in
// the tactic that starts at `outer` (see the file comment of the header).
bool StartsSequenceItem(std::string_view text, std::size_t outer, std::size_t off) {
  std::size_t i = off;
  bool crossed_newline = false;
  while (i > outer && std::isspace(static_cast<unsigned char>(text[i - 1]))) {
    if (text[i - 1] == '\n') crossed_newline = true;
    --i;
  }
  if (i <= outer) return false;  // same start as the outer tactic: the same item
  const std::string_view before = text.substr(outer, i - outer);
  auto ends_with = [&](std::string_view s) {
    return before.size() >= s.size() && before.substr(before.size() - s.size()) == s;
  };
  if (ends_with("by") && (before.size() == 2 || !IsIdent(before[before.size() - 3]))) return true;
  if (ends_with("·") || ends_with("=>") || ends_with("{") || ends_with("(") || ends_with(";"))
    return true;
  if (ends_with(".") &&
      (before.size() == 1 || std::isspace(static_cast<unsigned char>(before[before.size() - 2]))))
    return true;
  return crossed_newline && !ends_with(",") && !ends_with("[") && !ends_with(":=");
}

std::string StatementOf(std::string_view code) {
  int depth = 0;
  for (std::size_t i = 0; i + 1 < code.size(); ++i) {
    const char c = code[i];
    if (c == '(' || c == '[' || c == '{') ++depth;
    if (c == ')' || c == ']' || c == '}') --depth;
    if (depth == 0 && c == ':' && code[i + 1] == '=') {
      std::string_view s = code.substr(0, i);
      while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
      return std::string(s);
    }
  }
  return std::string(code);
}

}  // namespace

std::string DedentTactic(std::string_view source, long column) {
  std::string out;
  out.reserve(source.size());
  for (std::size_t i = 0; i < source.size(); ++i) {
    out += source[i];
    if (source[i] != '\n') continue;
    long skipped = 0;
    while (skipped < column && i + 1 < source.size() && source[i + 1] == ' ') {
      ++i;
      ++skipped;
    }
  }
  return out;
}

std::vector<ReplTactic> TacticsFromInfoTree(const json& infotree) {
  std::vector<ReplTactic> out;
  CollectInfoTree(infotree, &out);
  return out;
}

std::vector<ReplTactic> TacticsFromAllTactics(const json& tactics) {
  std::vector<ReplTactic> out;
  if (!tactics.is_array()) return out;
  for (const json& t : tactics) {
    if (!t.is_object()) continue;
    ReplTactic r;
    r.pos = PosOf(t.value("pos", json()));
    r.end_pos = PosOf(t.value("endPos", json()));
    const json goals = t.value("goals", json());
    r.state_before = goals.is_string() ? goals.get<std::string>() : JoinGoals(goals);
    if (t.contains("usedConstants") && t["usedConstants"].is_array())
      for (const json& c : t["usedConstants"])
        if (c.is_string()) r.used_constants.push_back(c.get<std::string>());
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<TracedTheorem> AssembleTheorems(const FileTraceInput& input,
                                            const DefinitionLookup& lookup) {
  const json empty = json::object();
  const json& response = input.response ? *input.response : empty;
  std::vector<ReplTactic> infotree, all;
  if (response.contains("infotree")) infotree = TacticsFromInfoTree(response["infotree"]);
  if (response.contains("tactics")) all = TacticsFromAllTactics(response["tactics"]);
  const long shift = input.body_first_line - 1;
  for (auto* list : {&infotree, &all})
    for (ReplTactic& t : *list) {
      t.pos.line += shift;
      t.end_pos.line += shift;
    }
  std::vector<ReplTactic> tactics = infotree.empty() ? all : infotree;
  if (!infotree.empty())
    for (ReplTactic& t : tactics)
      for (const ReplTactic& a : all)
        if (a.pos == t.pos && a.end_pos == t.end_pos) t.used_constants = a.used_constants;
  // Pre-order: outer tactics before the tactics inside them.
  std::stable_sort(tactics.begin(), tactics.end(), [](const ReplTactic& a, const ReplTactic& b) {
    return a.pos != b.pos ? a.pos < b.pos : b.end_pos < a.end_pos;
  });

  const TextPositions positions(input.text);
  struct Kept {
    ReplTactic tactic;
    std::size_t begin, end;
    long parent;  // index into kept, -1 = none
  };
  std::vector<Kept> kept;
  std::vector<std::size_t> stack;  // kept tactics enclosing the current one
  for (ReplTactic& t : tactics) {
    if (t.synthetic) continue;
    const std::size_t b = positions.Offset(t.pos.line, t.pos.column);
    const std::size_t e = positions.Offset(t.end_pos.line, t.end_pos.column);
    if (e <= b) continue;
    while (!stack.empty() && kept[stack.back()].end <= b) stack.pop_back();
    if (!stack.empty()) {
      const Kept& outer = kept[stack.back()];
      if (outer.begin == b && outer.end == e) continue;  // the same syntax, seen again
      if (!StartsSequenceItem(input.text, outer.begin, b)) continue;
    }
    if (t.state_after && *t.state_after == t.state_before) continue;  // changed nothing
    kept.push_back({std::move(t), b, e, stack.empty() ? -1 : static_cast<long>(stack.back())});
    stack.push_back(kept.size() - 1);
  }
  // Without an infotree: the goals before the next tactic of the same block.
  for (std::size_t i = 0; i < kept.size(); ++i) {
    if (kept[i].tactic.state_after) continue;
    std::string after = "no goals";
    for (std::size_t j = i + 1; j < kept.size(); ++j)
      if (kept[j].parent == kept[i].parent && kept[j].begin >= kept[i].end) {
        after = kept[j].tactic.state_before;
        break;
      }
    kept[i].tactic.state_after = after;
  }

  std::vector<TracedTheorem> theorems;
  for (const Declaration& d : ListDeclarations(input.text)) {
    if (d.premise.kind != "theorem" && d.premise.kind != "lemma") continue;
    TracedTheorem th;
    th.url = input.url;
    th.commit = input.commit;
    th.file_path = input.file_path;
    th.full_name = d.premise.full_name;
    th.theorem_statement = StatementOf(d.premise.code);
    th.start = d.premise.start;
    th.end = d.premise.end;
    const std::size_t b = positions.Offset(th.start.line, th.start.column - 1);
    const std::size_t e = positions.Offset(th.end.line, th.end.column - 1);
    for (const Kept& k : kept) {
      if (k.begin < b || k.end > e) continue;
      TracedTactic tt;
      const std::string_view source = std::string_view(input.text).substr(k.begin, k.end - k.begin);
      tt.tactic = DedentTactic(source, k.tactic.pos.column);
      auto [annotated, premises] = AnnotateTactic(source, k.tactic.used_constants, lookup);
      tt.annotated_tactic = std::move(annotated);
      tt.premises = std::move(premises);
      tt.state_before = k.tactic.state_before;
      tt.state_after = *k.tactic.state_after;
      th.traced_tactics.push_back(std::move(tt));
    }
    theorems.push_back(std::move(th));
  }
  return theorems;
}

}  // namespace tatami::data
