#include "tatami/retriever/premise_text.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tatami::retriever {
namespace {

using Text = std::u32string;

Text Decode(std::string_view s) {
  Text out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (i + len > s.size()) len = s.size() - i;
    char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (std::size_t k = 1; k < len; ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += len;
  }
  return out;
}

void Append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string Encode(const Text& t) {
  std::string out;
  out.reserve(t.size());
  for (char32_t cp : t) Append(out, cp);
  return out;
}

// Python's str.isspace(), which is what \s matches in a str pattern.
bool IsSpace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

constexpr char32_t kOpenQuote = U'\u00AB';   // «
constexpr char32_t kCloseQuote = U'\u00BB';  // »

// One element of the pattern «?<suffix>»?: a character (or "any character
// but newline", Python's "."), repeated between min and max times, greedily.
struct Atom {
  bool any = false;
  char32_t c = 0;
  int min = 1;
  int max = 1;  // -1: unbounded
};

bool HasOtherRegexSyntax(const Text& suffix) {
  for (char32_t c : suffix) {
    switch (c) {
      case U'\\':
      case U'(':
      case U')':
      case U'[':
      case U']':
      case U'{':
      case U'}':
      case U'|':
      case U'^':
      case U'$':
        return true;
      default:
        break;
    }
  }
  return false;
}

// Compiles «?suffix»? the way Python's re reads it (only ".", "?", "*", "+"
// are special here; see HasOtherRegexSyntax).
std::vector<Atom> Compile(const Text& suffix, bool literal) {
  std::vector<Atom> atoms;
  atoms.push_back({false, kOpenQuote, 0, 1});
  for (char32_t c : suffix) {
    if (!literal && (c == U'?' || c == U'*' || c == U'+') && atoms.size() > 1 &&
        atoms.back().min == 1 && atoms.back().max == 1) {
      if (c == U'?') atoms.back().min = 0;
      if (c == U'*') atoms.back().min = 0, atoms.back().max = -1;
      if (c == U'+') atoms.back().max = -1;
      continue;
    }
    atoms.push_back({!literal && c == U'.', c, 1, 1});
  }
  atoms.push_back({false, kCloseQuote, 0, 1});
  return atoms;
}

bool AtomMatches(const Atom& a, char32_t c) { return a.any ? c != U'\n' : c == a.c; }

// Length of the greedy-first backtracking match of atoms[k..] at text[i..],
// or -1.
long MatchAt(const std::vector<Atom>& atoms, std::size_t k, const Text& text, std::size_t i) {
  if (k == atoms.size()) return 0;
  const Atom& a = atoms[k];
  std::size_t n = 0;
  while ((a.max < 0 || n < static_cast<std::size_t>(a.max)) && i + n < text.size() &&
         AtomMatches(a, text[i + n])) {
    ++n;
  }
  for (long taken = static_cast<long>(n); taken >= a.min; --taken) {
    long rest = MatchAt(atoms, k + 1, text, i + taken);
    if (rest >= 0) return taken + rest;
  }
  return -1;
}

// re.sub("(?<=\s)«?suffix»?", mark, code): returns true if anything changed.
bool SubstituteAfterSpace(const Text& suffix, const Text& mark, Text& code) {
  const auto atoms = Compile(suffix, HasOtherRegexSyntax(suffix));
  Text out;
  bool changed = false;
  std::size_t i = 0;
  while (i < code.size()) {
    if (i > 0 && IsSpace(code[i - 1])) {
      long len = MatchAt(atoms, 0, code, i);
      if (len > 0) {
        out += mark;
        i += static_cast<std::size_t>(len);
        changed = true;
        continue;
      }
    }
    out.push_back(code[i++]);
  }
  if (changed) code = std::move(out);
  return changed;
}

void ReplaceAll(Text& s, const Text& from, const Text& to) {
  if (from.empty()) return;
  Text out;
  std::size_t i = 0;
  for (std::size_t at; (at = s.find(from, i)) != Text::npos; i = at + from.size()) {
    out.append(s, i, at - i);
    out += to;
  }
  if (i == 0) return;
  out.append(s, i);
  s = std::move(out);
}

}  // namespace

std::string PremiseText(std::string_view full_name, std::string_view code) {
  const Text name = Decode(full_name);
  const Text mark = U"<a>" + name + U"</a>";
  Text text = Decode(code);
  ReplaceAll(text, U"_root_." + name, mark);
  std::vector<Text> fields(1);
  for (char32_t c : name) {
    if (c == U'.') {
      fields.emplace_back();
    } else {
      fields.back().push_back(c);
    }
  }
  for (std::size_t i = 0; i < fields.size(); ++i) {
    Text suffix;
    for (std::size_t j = i; j < fields.size(); ++j) {
      if (j > i) suffix.push_back(U'.');
      suffix += fields[j];
    }
    if (SubstituteAfterSpace(suffix, mark, text)) break;
  }
  return Encode(text);
}

}  // namespace tatami::retriever
