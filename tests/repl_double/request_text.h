// Which requests the REPL skips without an answer. (Its lines are joined by
// framing.h's BlankLineSplitter, the one rule for reading requests.)
//
// Thread-safety: the functions are thread-safe.
#pragma once

#include <string_view>

namespace tatami::repl_double {

// The REPL silently skips a request starting with "#" or "--".
inline bool IsCommentRequest(std::string_view text) {
  return text.substr(0, 1) == "#" || text.substr(0, 2) == "--";
}

}  // namespace tatami::repl_double
