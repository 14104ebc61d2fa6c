// Import headers: the `import ...` lines that open a Lean file or snippet.
//
// Importing is what makes a Lean REPL expensive to start (`import Mathlib`
// takes seconds and gigabytes), so workers are kept warm per header. Two
// snippets share a worker exactly when their normalised headers are equal.
//
// Normalisation keeps the order of the imports (it is semantically visible:
// it decides the order of initialisers and of scoped extensions), trims
// whitespace and comments, and writes one import per line, so
// "  import   A -- why\nimport B" and "import A import B" give the same key,
// "import A\nimport B".
//
// Thread-safety: all functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tatami::dojo {

// The normalised header of a snippet: its header commands, in order.
struct ImportHeader {
  // One normalised command per entry, single-spaced, one module per import:
  // "import Mathlib", "public import Foo.Bar", "import all Baz", and the
  // header keywords "prelude" / "module" where present. Empty for a snippet
  // without imports (it runs on Lean's prelude).
  std::vector<std::string> lines;

  // The key the worker pool uses: `lines` joined with '\n' (no trailing
  // newline), "" when there are no imports. It is also a valid Lean header,
  // which is what a worker is started with.
  std::string Key() const;
  // The imported module names, in order.
  std::vector<std::string> Modules() const;
  bool empty() const { return lines.empty(); }

  friend bool operator==(const ImportHeader&, const ImportHeader&) = default;
};

// A snippet cut into its header and the rest.
struct SplitSnippet {
  ImportHeader header;
  // Everything after the last import line (the comments and blank lines in
  // front of the imports are dropped with them).
  std::string body;
  // 1-based line of the original snippet on which `body` starts, so that
  // positions the REPL reports for `body` can be mapped back (add
  // body_first_line - 1 to a reported line).
  std::size_t body_first_line = 1;
};

// Cuts `snippet` into header and body. The header is the run of `import`
// commands at the start, after any blank lines, `--` line comments and
// (nested) `/- ... -/` block comments, with an optional leading `module` or
// `prelude`. An import is `import M`, optionally with the module-system
// modifiers (`public`/`private`/`meta` before, `all`/`runtime` after); several
// may share a line, and a line may end in a comment.
// Throws std::invalid_argument, naming the line, for an `import` with no
// module name or a module name that is not a Lean identifier.
SplitSnippet SplitHeader(std::string_view snippet);

// Normalises header text (the import lines only) to an ImportHeader. Same
// rules and errors as SplitHeader; throws std::invalid_argument if `text`
// contains anything after its imports.
ImportHeader ParseHeader(std::string_view text);

// Builds the header `import M` for each of `modules`, validating each name
// (throws std::invalid_argument naming the bad one).
ImportHeader HeaderOf(std::vector<std::string> modules);

}  // namespace tatami::dojo
