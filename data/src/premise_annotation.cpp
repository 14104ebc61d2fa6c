// AnnotateTactic (trace_assembly.h): premise mentions in a tactic's text.
#include <cctype>

#include "tatami/data/trace_assembly.h"

namespace tatami::data {

namespace {

bool IdentStart(unsigned char c) { return std::isalpha(c) || c == '_' || c >= 0x80; }
bool IdentChar(unsigned char c) {
  return std::isalnum(c) || c == '_' || c == '\'' || c == '!' || c == '?' || c >= 0x80;
}

// Non-ASCII characters that are notation, never part of an identifier.
bool IsNotationAt(std::string_view s, std::size_t i) {
  for (std::string_view op : {"←", "→", "↔", "⊢", "∀", "∃", "λ",  "·", "∘", "≤", "≥", "≠",
                              "⟨", "⟩", "∧", "∨", "¬", "×", "⁻¹", "∈", "∉", "⊆", "∣", "•"})
    if (s.substr(i, op.size()) == op) return true;
  return false;
}

// Length of the dotted identifier at s[i] (0 if none).
std::size_t IdentifierAt(std::string_view s, std::size_t i) {
  std::size_t j = i;
  while (true) {
    if (j >= s.size() || !IdentStart(static_cast<unsigned char>(s[j])) || IsNotationAt(s, j))
      return j > i ? j - i - 1 : 0;  // drop a trailing '.'
    while (j < s.size() && IdentChar(static_cast<unsigned char>(s[j])) && !IsNotationAt(s, j)) ++j;
    if (j < s.size() && s[j] == '.' && j + 1 < s.size() &&
        IdentStart(static_cast<unsigned char>(s[j + 1])) && !IsNotationAt(s, j + 1)) {
      ++j;
      continue;
    }
    return j - i;
  }
}

// The used constant `ident` names: its full name, else the one constant of
// which it is a dot-separated suffix.
const std::string* Resolve(std::string_view ident, const std::vector<std::string>& constants) {
  if (ident.substr(0, 7) == "_root_.") ident.remove_prefix(7);
  const std::string* suffix_match = nullptr;
  int suffix_matches = 0;
  for (const std::string& c : constants) {
    if (c == ident) return &c;
    if (c.size() > ident.size() && c.compare(c.size() - ident.size(), ident.size(), ident) == 0 &&
        c[c.size() - ident.size() - 1] == '.' && !(suffix_match && *suffix_match == c)) {
      suffix_match = &c;
      ++suffix_matches;
    }
  }
  return suffix_matches == 1 ? suffix_match : nullptr;
}

}  // namespace

std::pair<std::string, std::vector<AnnotatedPremise>> AnnotateTactic(
    std::string_view tactic, const std::vector<std::string>& used_constants,
    const DefinitionLookup& lookup) {
  std::string out;
  std::vector<AnnotatedPremise> premises;
  std::size_t i = 0;
  while (i < tactic.size()) {
    const auto c = static_cast<unsigned char>(tactic[i]);
    // After `.`, only generalized field notation on a bracketed term: `(h x).le`.
    const bool after_dot = i > 0 && tactic[i - 1] == '.';
    const bool boundary =
        i == 0 || (!after_dot && !IdentChar(static_cast<unsigned char>(tactic[i - 1]))) ||
        (after_dot && i > 1 &&
         (tactic[i - 2] == ')' || tactic[i - 2] == ']' || tactic.substr(0, i - 1).ends_with("⟩")));
    if (boundary && IdentStart(c) && !IsNotationAt(tactic, i)) {
      const std::size_t n = IdentifierAt(tactic, i);
      if (n > 0) {
        const std::string_view ident = tactic.substr(i, n);
        if (const std::string* name = Resolve(ident, used_constants)) {
          if (auto site = lookup ? lookup(*name) : std::nullopt) {
            out += "<a>";
            out += ident;
            out += "</a>";
            premises.push_back({*name, site->path, site->pos, site->end_pos});
            i += n;
            continue;
          }
        }
        out += ident;
        i += n;
        continue;
      }
    }
    out += tactic[i++];
  }
  return {std::move(out), std::move(premises)};
}

}  // namespace tatami::data
