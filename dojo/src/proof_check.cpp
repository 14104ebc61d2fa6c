#include "tatami/dojo/proof_check.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <variant>

#include "lean_lexer.h"

namespace tatami::dojo {
namespace {

using nlohmann::json;

std::string Trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// Lean quotes the name as 'x' (or `x` in some versions); «» survive inside.
std::optional<std::string> QuotedName(std::string_view text, std::size_t* end) {
  if (text.empty() || (text[0] != '\'' && text[0] != '`')) return std::nullopt;
  const char q = text[0];
  const std::size_t close = text.find(q, 1);
  if (close == std::string_view::npos || close == 1) return std::nullopt;
  *end = close + 1;
  return std::string(text.substr(1, close - 1));
}

bool IsSorryWarningText(std::string_view data) {
  return data == "declaration uses `sorry`" || data == "declaration uses 'sorry'";
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
  std::size_t end = 0;
  std::optional<std::string> name = QuotedName(text, &end);
  if (!name) return std::nullopt;
  std::string_view rest = text.substr(end);
  AxiomsReport report{*name, {}};
  if (Trim(rest) == "does not depend on any axioms") return report;
  constexpr std::string_view kDepends = " depends on axioms: [";
  if (rest.substr(0, kDepends.size()) != kDepends) return std::nullopt;
  rest.remove_prefix(kDepends.size());
  const std::string list_and_close = Trim(rest);
  if (list_and_close.empty() || list_and_close.back() != ']') return std::nullopt;
  std::string_view list(list_and_close);
  list.remove_suffix(1);
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = list.find(',', start);
    const std::string item =
        Trim(list.substr(start, comma == std::string_view::npos ? list.npos : comma - start));
    if (item.empty()) return std::nullopt;
    report.axioms.push_back(item);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return report;
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
                        std::string_view theorem_name) {
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
  out += theorem_name;
  out += '\n';
  return out;
}

ProofVerdict JudgeProof(std::string_view code, const ReplOutcome& outcome,
                        const std::optional<std::string>& theorem_name,
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
  if (!v.banned.empty()) {
    std::string list;
    for (const std::string& b : v.banned) list += (list.empty() ? "" : ", ") + b;
    fail(FailedCheck::kBannedTactic, "uses banned tactic(s): " + list);
  }

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
  if (r.contains("message") && !r.contains("env")) {
    if (v.failed == FailedCheck::kBannedTactic) return v;
    const json& m = r["message"];
    return fail(FailedCheck::kNotChecked,
                "REPL error: " + (m.is_string() ? m.get<std::string>() : m.dump()));
  }

  // Collect the messages, setting aside the `#print axioms` answer for the theorem.
  std::optional<AxiomsReport> axioms;
  const json* error = nullptr;
  bool sorry_warning = false;
  if (const auto it = r.find("messages"); it != r.end() && it->is_array()) {
    for (const json& m : *it) {
      const std::string data = m.is_object() && m.contains("data") && m["data"].is_string()
                                   ? m["data"].get<std::string>()
                                   : "";
      const std::string severity =
          m.is_object() && m.contains("severity") && m["severity"].is_string()
              ? m["severity"].get<std::string>()
              : "";
      if (theorem_name && !axioms && severity == "info") {
        if (auto report = ParseAxiomsMessage(data); report && report->name == *theorem_name) {
          axioms = std::move(report);
          continue;
        }
      }
      if (severity == "error" && !error) error = &m;
      if (severity == "warning" && IsSorryWarningText(data) && !before_first_line(m))
        sorry_warning = true;
      v.messages.push_back(m);
    }
  }
  if (axioms) v.axioms = axioms->axioms;
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
  const bool sorry_axiom =
      axioms && std::count(axioms->axioms.begin(), axioms->axioms.end(), "sorryAx") > 0;
  if (has_sorries || sorry_warning || sorry_axiom)
    return fail(FailedCheck::kSorry, has_sorries     ? "the proof contains sorry"
                                     : sorry_warning ? "declaration uses sorry"
                                                     : "depends on sorryAx");
  if (theorem_name) {
    if (!axioms)
      return fail(FailedCheck::kAxiomsUnknown,
                  "no `#print axioms` answer for '" + *theorem_name + "'");
    std::vector<std::string> extra;
    const std::set<std::string> allowed(options.allowed_axioms.begin(),
                                        options.allowed_axioms.end());
    for (const std::string& a : axioms->axioms)
      if (!allowed.count(a)) extra.push_back(a);
    if (!extra.empty()) {
      std::string list;
      for (const std::string& a : extra) list += (list.empty() ? "" : ", ") + a;
      return fail(FailedCheck::kAxioms, "depends on axioms outside the allowed set: " + list);
    }
  }
  v.ok = true;
  v.failed = FailedCheck::kNone;
  v.reason.clear();
  return v;
}

}  // namespace tatami::dojo
