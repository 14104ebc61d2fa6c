// Finding a theorem by name in a Lean source file.
//
// The Dojo enters a theorem by re-elaborating the file's text up to the
// theorem, then the theorem's statement with `:= by sorry`. This file does
// the textual part: it finds `theorem`/`lemma` declarations (with their
// attributes and modifiers, inside `namespace`s), and cuts the file into the
// import header, the context before the declaration, and the statement. It
// is a scanner, not a Lean parser: it skips comments and string literals and
// tracks brackets, but whether the text elaborates is for Lean to say.
//
// Thread-safety: pure functions and value types; safe to use concurrently.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace tatami::dojo {

// One theorem declaration found in a file.
struct TheoremSource {
  std::string name;       // as written after the keyword, e.g. `add_zero'`
  std::string full_name;  // with the enclosing namespaces, e.g. `Examples.add_zero'`
  std::string header;     // the file's import lines (may be empty)
  // Everything between the header and the declaration: `open`s, namespaces,
  // earlier declarations, and the declaration's own attributes/modifiers.
  std::string context;
  // From the keyword up to (not including) the top-level `:=`.
  std::string statement;
  // The text after `:=` up to the next line that starts in column 0.
  std::string proof;
  std::size_t line = 0;  // 1-based line of the keyword
};

// All `theorem`/`lemma` declarations of `text`, in order. Declarations whose
// keyword follows something other than attributes and modifiers on its line,
// or that have no top-level `:=`, are skipped.
std::vector<TheoremSource> ListTheorems(std::string_view text);

// The theorem called `name` (its short or its full name). `source` names the
// text in errors. Throws std::invalid_argument naming `name` and `source` if
// there is no such theorem (listing the ones there are) or several.
TheoremSource FindTheorem(std::string_view text, std::string_view name, std::string_view source);

// Reads `path` and finds `name` in it. Throws std::runtime_error naming the
// path if it cannot be read, std::invalid_argument as FindTheorem.
TheoremSource LoadTheorem(const std::filesystem::path& path, std::string_view name);

}  // namespace tatami::dojo
