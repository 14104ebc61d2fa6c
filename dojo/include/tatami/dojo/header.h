// Import headers: the `import ...` lines that open a Lean file or snippet.
//
// Importing is what makes a Lean REPL expensive to start (`import Mathlib`
// takes seconds and gigabytes), so workers are kept warm per header. Two
// snippets share a worker exactly when their normalised headers are equal.
//
// Normalisation keeps the order of the imports (it is semantically visible:
// it decides the order of initialisers and of scoped extensions), trims
// whitespace, and writes one module per line, so `import A B` and
// "import A\n  import B" give the same key, "import A\nimport B".
//
// Thread-safety: all functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tatami::dojo {

// The normalised header of a snippet: the imported modules, in order.
struct ImportHeader {
  // Module names in the order they are imported, e.g. {"Mathlib", "Aesop"}.
  // Empty for a snippet without imports (it runs on Lean's prelude).
  std::vector<std::string> modules;
  // True when the snippet starts with `prelude` (no implicit `import Init`).
  bool prelude = false;

  // The key the worker pool uses: "import M1\nimport M2..." (no trailing
  // newline, preceded by "prelude\n" if set), or "" when there are no imports. It is also a valid
  // Lean header, which is what a worker is started with.
  std::string Key() const;
  bool empty() const { return modules.empty() && !prelude; }

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
// (nested) `/- ... -/` block comments, and an optional leading `prelude`.
// An import line may name several modules and may end in a line comment.
// Throws std::invalid_argument, naming the line, for an `import` with no
// module name or a module name that is not a Lean identifier.
SplitSnippet SplitHeader(std::string_view snippet);

// Normalises header text (the import lines only) to an ImportHeader. Same
// rules and errors as SplitHeader; throws std::invalid_argument if `text`
// contains anything after its imports.
ImportHeader ParseHeader(std::string_view text);

// Builds a header from module names, validating each (throws
// std::invalid_argument naming the bad one).
ImportHeader HeaderOf(std::vector<std::string> modules);

}  // namespace tatami::dojo
