// How the REPL turns the lines of one request into the text it parses.
//
// Thread-safety: the functions are thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace tatami::repl_double {

// The REPL reads a request line by line until a blank line and joins the lines
// with their trailing whitespace removed and WITHOUT newlines (so a raw
// newline inside a JSON string disappears). Writes the result to `*out`.
inline void JoinRequestLines(std::string_view frame, std::string* out) {
  out->clear();
  std::size_t start = 0;
  while (start <= frame.size()) {
    std::size_t nl = frame.find('\n', start);
    if (nl == std::string_view::npos) nl = frame.size();
    std::string_view line = frame.substr(start, nl - start);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) {
      line.remove_suffix(1);
    }
    out->append(line);
    start = nl + 1;
  }
}

// The REPL silently skips a request starting with "#" or "--".
inline bool IsCommentRequest(std::string_view text) {
  return text.substr(0, 1) == "#" || text.substr(0, 2) == "--";
}

}  // namespace tatami::repl_double
