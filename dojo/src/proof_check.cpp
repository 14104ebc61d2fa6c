#include "tatami/dojo/proof_check.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <variant>

#include "lean_lexer.h"
#include "response_shape.h"
#include "tatami/dojo/lean_name.h"
#include "tatami/dojo/outcome.h"
#include "tatami/dojo/protocol.h"

namespace tatami::dojo {
namespace {

using nlohmann::json;

std::string Trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// A message as the protocol reads it. One that does not parse (e.g. no
// position) keeps its severity, read by the protocol's one spelling rule, and
// its text.
protocol::Message ReadMessage(const json& m) {
  auto parsed = protocol::ParseMessage(m);
  if (parsed.ok()) return std::move(parsed).value();
  protocol::Message loose;
  if (!m.is_object()) return loose;
  if (m.contains("data") && m["data"].is_string()) loose.data = m["data"];
  const auto severity = m.find("severity");
  loose.severity = severity != m.end() && severity->is_string()
                       ? protocol::ParseSeverity(severity->get_ref<const std::string&>())
                       : protocol::Severity::kOther;
  return loose;
}

std::string JoinList(const std::vector<std::string>& items) {
  std::string list;
  for (const std::string& s : items) list += (list.empty() ? "" : ", ") + s;
  return list;
}

}  // namespace

std::string_view ToString(FailedCheck check) {
  switch (check) {
    case FailedCheck::kNone:
      return "none";
    case FailedCheck::kBannedTactic:
      return "banned tactic";
    case FailedCheck::kNotChecked:
      return "not checked";
    case FailedCheck::kLeanError:
      return "lean error";
    case FailedCheck::kSorry:
      return "sorry";
    case FailedCheck::kAxiomsUnknown:
      return "axioms unknown";
    case FailedCheck::kAxioms:
      return "axioms";
  }
  return "unknown";
}

std::optional<AxiomsReport> ParseAxiomsMessage(std::string_view text) {
  // Lean quotes the name as 'x' (or `x`) and prints a `'` inside it as is
  // (`'Graphiti.run'_refines' depends on ...`), so the closing quote is the
  // one before the fixed wording, not the next quote character.
  if (text.size() < 3 || (text[0] != '\'' && text[0] != '`')) return std::nullopt;
  const char q = text[0];
  constexpr std::string_view kNone = " does not depend on any axioms";
  constexpr std::string_view kDepends = " depends on axioms: [";
  const std::string none_marker = q + std::string(kNone);
  const std::string depends_marker = q + std::string(kDepends);
  AxiomsReport report;
  if (const std::size_t at = text.find(depends_marker, 1); at != std::string_view::npos && at > 1) {
    report.name = std::string(text.substr(1, at - 1));
    const std::string list_and_close = Trim(text.substr(at + depends_marker.size()));
    if (list_and_close.empty() || list_and_close.back() != ']') return std::nullopt;
    std::string_view list(list_and_close);
    list.remove_suffix(1);
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = list.find(',', start);
      // Items are trimmed: a long list may be wrapped over lines.
      const std::string item =
          Trim(list.substr(start, comma == std::string_view::npos ? list.npos : comma - start));
      if (item.empty()) return std::nullopt;
      report.axioms.push_back(item);
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    return report;
  }
  if (const std::size_t at = text.find(none_marker, 1);
      at != std::string_view::npos && at > 1 &&
      Trim(text.substr(at + none_marker.size())).empty()) {
    report.name = std::string(text.substr(1, at - 1));
    return report;
  }
  return std::nullopt;
}

std::vector<std::string> FindBannedTactics(std::string_view code,
                                           const std::vector<std::string>& banned) {
  std::vector<std::string> found;
  internal::ScanTokens(code, [&](const internal::Token& t) {
    if (!t.identifier) return true;
    for (const std::string& b : banned)
      if (t.text == b && std::find(found.begin(), found.end(), b) == found.end())
        found.push_back(b);
    return true;
  });
  return found;
}

std::string SpliceProof(std::string_view statement, const std::vector<std::string>& tactics,
                        std::string_view full_name) {
  std::string out = Trim(statement);
  out += " := by\n";
  for (const std::string& tactic : tactics) {
    out += "  ";
    for (char c : tactic) {
      out += c;
      if (c == '\n') out += "  ";
    }
    out += '\n';
  }
  out += "\n#print axioms ";
  out += AxiomsQueryName(full_name);
  out += '\n';
  return out;
}

ProofVerdict JudgeProof(std::string_view code, const ReplOutcome& outcome,
                        const std::optional<std::string>& full_name,
                        const ProofCheckOptions& options, std::size_t first_line) {
  std::vector<std::string> declarations;
  if (full_name) declarations.push_back(*full_name);
  return JudgeProof(code, outcome, declarations, options, first_line);
}

ProofVerdict JudgeProof(std::string_view code, const ReplOutcome& outcome,
                        const std::vector<std::string>& declarations,
                        const ProofCheckOptions& options, std::size_t first_line) {
  auto before_first_line = [&](const json& item) {
    if (first_line == 0 || !item.is_object()) return false;
    const auto pos = item.find("pos");
    if (pos == item.end() || !pos->is_object() || !pos->contains("line") ||
        !(*pos)["line"].is_number_integer())
      return false;
    const auto line = (*pos)["line"].get<std::int64_t>();
    return line > 0 && static_cast<std::size_t>(line) < first_line;
  };
  ProofVerdict v;
  auto fail = [&](FailedCheck check, std::string reason) {
    v.ok = false;
    v.failed = check;
    v.reason = std::move(reason);
    return v;
  };

  v.banned = FindBannedTactics(code, options.banned_tactics);
  if (!v.banned.empty())
    fail(FailedCheck::kBannedTactic, "uses banned tactic(s): " + JoinList(v.banned));

  const auto* response = std::get_if<ReplResponse>(&outcome);
  if (!response) {
    v.timed_out = std::holds_alternative<ReplTimeout>(outcome);
    if (v.failed == FailedCheck::kBannedTactic) return v;
    return fail(FailedCheck::kNotChecked, Describe(outcome));
  }
  const json& r = response->json;
  if (!r.is_object()) {
    if (v.failed == FailedCheck::kBannedTactic) return v;
    return fail(FailedCheck::kNotChecked, "the REPL's answer is not a JSON object");
  }
  if (protocol::internal::ShapeOf(protocol::internal::KeysOf(r), protocol::RequestKind::kCommand) ==
      protocol::internal::ResponseShape::kError) {
    if (v.failed == FailedCheck::kBannedTactic) return v;
    const json& m = r["message"];
    return fail(FailedCheck::kNotChecked,
                "REPL error: " + (m.is_string() ? m.get<std::string>() : m.dump()));
  }

  // Collect the messages, setting aside the `#print axioms` answers for the
  // declarations (the first answer naming each).
  std::vector<std::optional<AxiomsReport>> answers(declarations.size());
  const json* error = nullptr;
  bool sorry_warning = false;
  if (const auto it = r.find("messages"); it != r.end() && it->is_array()) {
    for (const json& m : *it) {
      const protocol::Message message = ReadMessage(m);
      if (message.severity == protocol::Severity::kInfo && !declarations.empty()) {
        if (auto report = ParseAxiomsMessage(message.data)) {
          bool taken = false;
          for (std::size_t i = 0; i < declarations.size() && !taken; ++i)
            if (!answers[i] && NamesDeclaration(report->name, declarations[i])) {
              answers[i] = std::move(report);
              taken = true;
            }
          if (taken) continue;
        }
      }
      if (message.is_error() && !error) error = &m;
      if (IsSorryWarning(message) && !before_first_line(m)) sorry_warning = true;
      v.messages.push_back(m);
    }
  }
  std::vector<std::string> missing, with_sorry_axiom, extra;
  const std::set<std::string> allowed(options.allowed_axioms.begin(), options.allowed_axioms.end());
  for (std::size_t i = 0; i < declarations.size(); ++i) {
    if (!answers[i]) {
      missing.push_back(declarations[i]);
      continue;
    }
    for (const std::string& a : answers[i]->axioms) {
      if (std::find(v.axioms.begin(), v.axioms.end(), a) == v.axioms.end()) v.axioms.push_back(a);
      if (a == "sorryAx")
        with_sorry_axiom.push_back(declarations[i]);
      else if (!allowed.count(a))
        extra.push_back(declarations.size() == 1 ? a : declarations[i] + ": " + a);
    }
    v.reports.push_back(*answers[i]);
  }
  if (v.failed == FailedCheck::kBannedTactic) return v;

  if (error) {
    const json& d = (*error)["data"];
    std::string where;
    if (error->contains("pos") && (*error)["pos"].is_object())
      where = " (line " + (*error)["pos"].value("line", json(0)).dump() + ")";
    return fail(FailedCheck::kLeanError, (d.is_string() ? d.get<std::string>() : d.dump()) + where);
  }
  bool has_sorries = false;
  if (const auto it = r.find("sorries"); it != r.end() && it->is_array())
    for (const json& s : *it)
      if (!before_first_line(s)) has_sorries = true;
  if (has_sorries || sorry_warning || !with_sorry_axiom.empty())
    return fail(FailedCheck::kSorry, has_sorries ? "the proof contains sorry"
                                     : sorry_warning
                                         ? "declaration uses sorry"
                                         : "depends on sorryAx: " + JoinList(with_sorry_axiom));
  if (!missing.empty()) {
    std::vector<std::string> quoted;
    for (const std::string& m : missing) quoted.push_back("'" + m + "'");
    return fail(FailedCheck::kAxiomsUnknown, "no `#print axioms` answer for " + JoinList(quoted));
  }
  if (!extra.empty())
    return fail(FailedCheck::kAxioms,
                "depends on axioms outside the allowed set: " + JoinList(extra));
  v.ok = true;
  v.failed = FailedCheck::kNone;
  v.reason.clear();
  return v;
}

namespace {

// The identifiers `text` uses, each with every dotted suffix (`X.foo` also
// gives `foo`), so a new name can avoid them all.
std::set<std::string, std::less<>> UsedNames(std::string_view text) {
  std::set<std::string, std::less<>> used;
  internal::ScanTokens(text, [&](const internal::Token& t) {
    if (!t.identifier) return true;
    const std::vector<std::string> parts = SplitName(t.text);
    std::string suffix;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
      suffix = suffix.empty() ? *it : *it + "." + suffix;
      used.insert(suffix);
    }
    return true;
  });
  return used;
}

}  // namespace

CheckCommand PrepareCheck(std::string_view body) {
  CheckCommand command;
  const std::vector<ExampleSource> examples = ListExamples(body);
  const auto used = examples.empty() ? std::set<std::string, std::less<>>{} : UsedNames(body);
  std::string code;
  std::size_t copied = 0;
  std::vector<std::string> example_names;
  constexpr std::string_view kExample = "example";
  for (const ExampleSource& ex : examples) {
    // An `example` starts its line, so the line number alone is unique.
    std::string name = "tatami_example_" + std::to_string(ex.line);
    while (used.count(name)) name += "'";
    const std::string replacement = (ex.no_noncomputable ? "def " : "noncomputable def ") + name;
    code.append(body.substr(copied, ex.offset - copied));
    code += replacement;
    copied = ex.offset + kExample.size();
    command.named_examples.push_back({ex.line, ex.column, replacement.size() - kExample.size()});
    example_names.push_back(JoinName(ex.namespace_name, name));
  }
  code.append(body.substr(copied));
  // Theorems and examples in source order, so answers come back in the
  // order the declarations appear.
  std::vector<std::pair<std::size_t, std::string>> declared;
  for (const TheoremSource& t : ListTheorems(body)) declared.emplace_back(t.line, t.full_name);
  for (std::size_t i = 0; i < examples.size(); ++i)
    declared.emplace_back(examples[i].line, example_names[i]);
  std::stable_sort(declared.begin(), declared.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [line, full_name] : declared) {
    code += "\n#print axioms " + AxiomsQueryName(full_name);
    command.declarations.push_back(std::move(full_name));
  }
  command.code = std::move(code);
  return command;
}

void RestorePositions(const CheckCommand& command, json& items) {
  if (command.named_examples.empty() || !items.is_array()) return;
  auto restore = [&](json& pos) {
    if (!pos.is_object() || !pos.contains("line") || !pos.contains("column") ||
        !pos["line"].is_number_integer() || !pos["column"].is_number_integer())
      return;
    const auto line = pos["line"].get<std::int64_t>();
    auto column = pos["column"].get<std::int64_t>();
    std::int64_t shift = 0;
    for (const NamedExample& ex : command.named_examples) {
      if (static_cast<std::int64_t>(ex.line) != line) continue;
      const auto start = static_cast<std::int64_t>(ex.column) + shift;
      const auto added = static_cast<std::int64_t>(ex.added);
      if (column < start) break;
      // Inside the rewritten keyword: the keyword's own column.
      if (column < start + static_cast<std::int64_t>(sizeof("example") - 1) + added) {
        pos["column"] = static_cast<std::int64_t>(ex.column);
        return;
      }
      shift += added;
    }
    pos["column"] = column - shift;
  };
  for (json& item : items) {
    if (!item.is_object()) continue;
    for (const char* key : {"pos", "endPos"})
      if (item.contains(key)) restore(item[key]);
  }
}

}  // namespace tatami::dojo
