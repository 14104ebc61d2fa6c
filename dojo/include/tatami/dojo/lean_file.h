// Finding a theorem by name in a Lean source file.
//
// The Dojo enters a theorem by re-elaborating the file's text up to the
// theorem, then the theorem's statement with `:= by sorry`. This file does
// the textual part: it finds `theorem`/`lemma` declarations (with their
// attributes and modifiers) and `example`s, resolves the full name each
// declares, and cuts the file into the import header, the context before the
// declaration, and the statement. It is a scanner, not a Lean parser: it
// skips comments and string literals and tracks brackets, but whether the
// text elaborates is for Lean to say.
//
// Full names follow Lean's rules for declaring: the name written after the
// keyword (which may itself be dotted, `theorem X.foo`) goes under the
// namespaces open at that point (`namespace A.B` opens two, `end A.B` or two
// `end`s close them); `section`s and `mutual` blocks open no namespace;
// `_root_.foo` declares `foo` whatever is open; `open` changes how names are
// looked up, never what a declaration is called; `private`/`protected`
// change visibility, not the name.
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
  std::string name;       // as written after the keyword, e.g. `add_zero'`, `_root_.foo`
  std::string full_name;  // the name it declares, e.g. `Examples.add_zero'`, `foo`
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

// One `example` of a file. It declares no name, so a check that must ask
// Lean about its axioms first gives it one (proof_check.h, NameExamples).
struct ExampleSource {
  std::size_t offset = 0;      // byte offset of the `example` keyword in the text
  std::size_t line = 0;        // 1-based line of the keyword
  std::size_t column = 0;      // 0-based column of the keyword, in code points (as Lean counts)
  std::string namespace_name;  // the namespace open at the keyword ("" at the root)
  // The modifiers before the keyword rule out adding `noncomputable`: it is
  // already there, or `unsafe`/`partial`/`nonrec` would then be out of order.
  bool no_noncomputable = false;
};

// All `example`s of `text` after its import header, in order.
std::vector<ExampleSource> ListExamples(std::string_view text);

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
