#include "tatami/dojo/goal.h"

#include <stdexcept>

namespace tatami::dojo {
namespace {

constexpr std::string_view kTurnstile = "⊢ ";
constexpr std::string_view kCase = "case ";

std::string Quote(std::string_view text) {
  constexpr std::size_t kMax = 200;
  std::string q(text.substr(0, kMax));
  if (text.size() > kMax) q += "...";
  return "\"" + q + "\"";
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (true) {
    const std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      lines.push_back(text.substr(start));
      return lines;
    }
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Lean indents the continuation of a wrapped hypothesis or target.
bool IsContinuation(std::string_view line) {
  return !line.empty() && (line[0] == ' ' || line[0] == '\t');
}

Hypothesis ParseHypothesis(std::string_view text, std::string_view whole) {
  // Names never contain spaces, so the first ` : ` ends them (types may contain more).
  // A long type goes on the next line: `h :\n  ∀ x, ...`.
  std::size_t colon = 0;
  while ((colon = text.find(" :", colon)) != std::string_view::npos) {
    if (colon + 2 < text.size() && (text[colon + 2] == ' ' || text[colon + 2] == '\n')) break;
    colon += 2;
  }
  if (colon == std::string_view::npos || colon == 0)
    throw std::invalid_argument("goal hypothesis " + Quote(text) + " has no ` : ` (in goal " +
                                Quote(whole) + ")");
  Hypothesis h;
  std::string_view names = text.substr(0, colon);
  std::size_t start = 0;
  while (start <= names.size()) {
    const std::size_t sp = names.find(' ', start);
    const std::string_view name =
        names.substr(start, sp == std::string_view::npos ? names.npos : sp - start);
    if (name.empty())
      throw std::invalid_argument("goal hypothesis " + Quote(text) +
                                  " has an empty name (in goal " + Quote(whole) + ")");
    h.names.emplace_back(name);
    if (sp == std::string_view::npos) break;
    start = sp + 1;
  }
  h.type_on_new_line = text[colon + 2] == '\n';
  h.type = std::string(text.substr(colon + 3));
  return h;
}

}  // namespace

Goal ParseGoal(std::string_view text) {
  Goal goal;
  const std::vector<std::string_view> lines = Lines(text);
  std::size_t i = 0;
  if (i < lines.size() && StartsWith(lines[i], kCase)) {
    goal.case_tag = std::string(lines[i].substr(kCase.size()));
    ++i;
  }
  // A hypothesis (or the target) extends over the indented lines after it.
  std::string pending;
  bool have_pending = false;
  auto flush = [&] {
    if (have_pending) goal.hypotheses.push_back(ParseHypothesis(pending, text));
    have_pending = false;
    pending.clear();
  };
  for (; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (StartsWith(line, kTurnstile)) {
      flush();
      std::string target(line.substr(kTurnstile.size()));
      for (++i; i < lines.size(); ++i) {
        target += '\n';
        target += lines[i];
      }
      goal.target = std::move(target);
      return goal;
    }
    if (have_pending && IsContinuation(line)) {
      pending += '\n';
      pending += line;
      continue;
    }
    flush();
    pending = std::string(line);
    have_pending = true;
  }
  throw std::invalid_argument("goal " + Quote(text) + " has no target line starting with `⊢ `");
}

std::string FormatGoal(const Goal& goal) {
  std::string out;
  if (goal.case_tag) out += std::string(kCase) + *goal.case_tag + "\n";
  for (const Hypothesis& h : goal.hypotheses) {
    for (std::size_t n = 0; n < h.names.size(); ++n) {
      if (n) out += ' ';
      out += h.names[n];
    }
    out += h.type_on_new_line ? " :\n" : " : ";
    out += h.type;
    out += '\n';
  }
  out += kTurnstile;
  out += goal.target;
  return out;
}

std::vector<std::string> SplitGoals(std::string_view state) {
  std::vector<std::string> goals;
  if (state.empty() || state == kNoGoals) return goals;
  std::size_t start = 0;
  while (true) {
    const std::size_t sep = state.find("\n\n", start);
    if (sep == std::string_view::npos) {
      goals.emplace_back(state.substr(start));
      return goals;
    }
    goals.emplace_back(state.substr(start, sep - start));
    start = sep + 2;
  }
}

std::string JoinGoals(const std::vector<std::string>& goals) {
  if (goals.empty()) return std::string(kNoGoals);
  std::string out;
  for (std::size_t i = 0; i < goals.size(); ++i) {
    if (i) out += "\n\n";
    out += goals[i];
  }
  return out;
}

std::vector<Goal> ParseState(std::string_view state) {
  std::vector<Goal> goals;
  for (const std::string& g : SplitGoals(state)) goals.push_back(ParseGoal(g));
  return goals;
}

}  // namespace tatami::dojo
