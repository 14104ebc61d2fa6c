#include "lean_lexer.h"

namespace tatami::dojo::internal {

std::uint32_t DecodeUtf8(std::string_view s, std::size_t i, std::size_t* length) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  auto cont = [&](std::size_t k) -> int {
    if (i + k >= s.size()) return -1;
    const auto b = static_cast<unsigned char>(s[i + k]);
    return (b & 0xC0) == 0x80 ? (b & 0x3F) : -1;
  };
  if (b0 < 0x80) {
    *length = 1;
    return b0;
  }
  std::size_t n = (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
  if (n == 0) {
    *length = 1;
    return b0;
  }
  std::uint32_t c = b0 & (0x7F >> n);
  for (std::size_t k = 1; k < n; ++k) {
    const int v = cont(k);
    if (v < 0) {
      *length = 1;
      return b0;
    }
    c = (c << 6) | static_cast<std::uint32_t>(v);
  }
  *length = n;
  return c;
}

namespace {
bool IsLetterLike(std::uint32_t c) {
  return (0x3b1 <= c && c <= 0x3c9 && c != 0x3bb) ||                // Greek lower, not λ
         (0x391 <= c && c <= 0x3A9 && c != 0x3A0 && c != 0x3A3) ||  // Greek upper, not Π Σ
         (0x3ca <= c && c <= 0x3fb) ||                              // Coptic
         (0x1f00 <= c && c <= 0x1ffe) ||                            // Greek extended
         (0x2100 <= c && c <= 0x214f) ||                            // letter-like symbols
         (0x1d49c <= c && c <= 0x1d59f);  // script, fraktur, double-struck
}
bool IsSubscript(std::uint32_t c) {
  return (0x2080 <= c && c <= 0x2089) || (0x2090 <= c && c <= 0x209c) ||
         (0x1d62 <= c && c <= 0x1d6a);
}
bool IsAsciiAlpha(std::uint32_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
}  // namespace

bool IsIdentStart(std::uint32_t c) { return IsAsciiAlpha(c) || c == '_' || IsLetterLike(c); }
bool IsIdentRest(std::uint32_t c) {
  return IsIdentStart(c) || (c >= '0' && c <= '9') || c == '\'' || c == '!' || c == '?' ||
         IsSubscript(c);
}

void ScanTokens(std::string_view code, const std::function<bool(const Token&)>& visit) {
  std::size_t i = 0;
  const std::size_t n = code.size();
  while (i < n) {
    const char ch = code[i];
    if (ch == '-' && i + 1 < n && code[i + 1] == '-') {  // line comment
      while (i < n && code[i] != '\n') ++i;
      continue;
    }
    if (ch == '/' && i + 1 < n && code[i + 1] == '-') {  // block comment, nested
      int depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (code[i] == '/' && i + 1 < n && code[i + 1] == '-') {
          ++depth;
          i += 2;
        } else if (code[i] == '-' && i + 1 < n && code[i + 1] == '/') {
          --depth;
          i += 2;
        } else {
          ++i;
        }
      }
      continue;
    }
    if (ch == '"') {  // string literal
      ++i;
      while (i < n && code[i] != '"') i += code[i] == '\\' ? 2 : 1;
      ++i;
      continue;
    }
    if (ch == '\'' &&
        i + 2 < n) {  // char literal: 'a', '\n' (an identifier's ' is consumed with it)
      const std::size_t close = code[i + 1] == '\\' ? i + 3 : code.find('\'', i + 1);
      if (close != std::string_view::npos && close < n && code[close] == '\'' && close - i <= 5) {
        i = close + 1;
        continue;
      }
    }
    std::size_t len = 0;
    const std::uint32_t c = DecodeUtf8(code, i, &len);
    if (IsIdentStart(c) || (c == 0xAB /* « */)) {
      const std::size_t start = i;
      while (i < n) {
        std::size_t l = 0;
        const std::uint32_t d = DecodeUtf8(code, i, &l);
        if (d == 0xAB) {  // «quoted part»
          const std::size_t close = code.find("\xC2\xBB", i + l);
          i = close == std::string_view::npos ? n : close + 2;
        } else if (IsIdentRest(d)) {
          i += l;
        } else if (d == '.' && i + 1 < n) {
          std::size_t l2 = 0;
          const std::uint32_t e = DecodeUtf8(code, i + 1, &l2);
          if (!(IsIdentStart(e) || e == 0xAB)) break;
          i += 1;
        } else {
          break;
        }
      }
      if (!visit(Token{code.substr(start, i - start), start, true})) return;
      continue;
    }
    if (!visit(Token{code.substr(i, len), i, false})) return;
    i += len;
  }
}

}  // namespace tatami::dojo::internal
