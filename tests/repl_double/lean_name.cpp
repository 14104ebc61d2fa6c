#include "lean_name.h"

namespace tatami::repl_double {

namespace {

constexpr std::string_view kOpenEscape = "\xC2\xAB";   // «
constexpr std::string_view kCloseEscape = "\xC2\xBB";  // »

bool IsIdFirst(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

bool IsIdRest(unsigned char c) {
  return IsIdFirst(c) || (c >= '0' && c <= '9') || c == '\'' || c == '!' || c == '?';
}

// `«` and `»` are non-ASCII but never part of a plain component.
bool StartsEscape(std::string_view text, std::size_t pos) {
  return text.substr(pos, kOpenEscape.size()) == kOpenEscape ||
         text.substr(pos, kCloseEscape.size()) == kCloseEscape;
}

bool IsPlainComponent(std::string_view s) {
  if (s.empty() || !IsIdFirst(static_cast<unsigned char>(s[0]))) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!IsIdRest(static_cast<unsigned char>(s[i])) || StartsEscape(s, i)) return false;
  }
  return true;
}

}  // namespace

LeanName LeanName::operator+(const LeanName& other) const {
  LeanName out = *this;
  out.parts.insert(out.parts.end(), other.parts.begin(), other.parts.end());
  return out;
}

LeanName LeanName::Prefix() const {
  LeanName out = *this;
  if (!out.parts.empty()) out.parts.pop_back();
  return out;
}

std::string LeanName::ToString() const {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += '.';
    if (IsPlainComponent(parts[i])) {
      out += parts[i];
    } else {
      out.append(kOpenEscape).append(parts[i]).append(kCloseEscape);
    }
  }
  return out;
}

std::optional<LeanName> ReadIdentifier(std::string_view text, std::size_t pos, std::size_t* end) {
  LeanName name;
  while (true) {
    if (text.substr(pos, kOpenEscape.size()) == kOpenEscape) {
      std::size_t close = text.find(kCloseEscape, pos + kOpenEscape.size());
      if (close == std::string_view::npos) return std::nullopt;
      std::size_t b = pos + kOpenEscape.size();
      name.parts.emplace_back(text.substr(b, close - b));
      pos = close + kCloseEscape.size();
    } else {
      if (pos >= text.size() || !IsIdFirst(static_cast<unsigned char>(text[pos])) ||
          StartsEscape(text, pos)) {
        return std::nullopt;
      }
      std::size_t b = pos;
      while (pos < text.size() && IsIdRest(static_cast<unsigned char>(text[pos])) &&
             !StartsEscape(text, pos)) {
        ++pos;
      }
      name.parts.emplace_back(text.substr(b, pos - b));
    }
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      continue;
    }
    *end = pos;
    return name;
  }
}

std::optional<LeanName> ParseIdentifier(std::string_view text) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  std::size_t end = 0;
  auto name = ReadIdentifier(text, 0, &end);
  if (!name || end != text.size()) return std::nullopt;
  return name;
}

bool NameLess(const LeanName& a, const LeanName& b) {
  if (a.parts.size() != b.parts.size()) return a.parts.size() < b.parts.size();
  return a.parts < b.parts;
}

}  // namespace tatami::repl_double
