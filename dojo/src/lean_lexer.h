// A minimal scanner for Lean source text: enough to find identifiers and
// top-level keywords outside comments and string literals. Private to dojo.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

namespace tatami::dojo::internal {

// Decodes the UTF-8 code point at s[i] and its length; invalid bytes decode
// as themselves with length 1.
std::uint32_t DecodeUtf8(std::string_view s, std::size_t i, std::size_t* length);

// Lean's identifier characters (Lean.isLetterLike, subscripts, ASCII).
bool IsIdentStart(std::uint32_t c);
bool IsIdentRest(std::uint32_t c);

// A token the scanner reports: an identifier (dotted names are one token,
// «quoted» parts included) or a single other character, with its offset.
struct Token {
  std::string_view text;
  std::size_t offset = 0;
  bool identifier = false;
};

// Calls `visit` for each token outside comments, string and char literals.
// `visit` returns false to stop.
void ScanTokens(std::string_view code, const std::function<bool(const Token&)>& visit);

}  // namespace tatami::dojo::internal
