// The small amount of Lean source structure --script needs: positions as the
// REPL reports them, top-level commands, and the tactics of a `by` block.
//
// Thread-safety: SourceMap is immutable after construction; functions are pure.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace tatami::repl_double {

// Maps byte offsets of a command's text to Lean positions: 1-based line,
// 0-based column counted in code points.
class SourceMap {
 public:
  explicit SourceMap(std::string_view text);
  nlohmann::json Pos(std::size_t offset) const;

 private:
  std::string_view text_;
  std::vector<std::size_t> line_starts_;
};

// A span of the command text, as byte offsets [begin, end).
struct Span {
  std::size_t begin = 0, end = 0;
};

// `text` with comments (`--` to the end of the line, `/- -/` blocks, nested,
// including doc comments) replaced by spaces, byte for byte, so offsets and
// line breaks stay those of `text`. String literals are kept.
std::string BlankComments(std::string_view text);

// A top-level command: a line starting in column 0 plus the indented or blank
// lines after it (trailing blank lines excluded).
std::vector<Span> SplitCommands(std::string_view text);

// One tactic of a `by` block: its text (continuation lines joined with "\n")
// and where it is.
struct TacticSpan {
  std::string text;
  Span span;
};

// Splits the tactic block that starts after `by` (at `after_by`) and ends at
// `end`: a tactic on the `by` line, then one tactic per line at the block's
// indentation, deeper-indented lines continuing the previous one; a focusing
// bullet `· ` is dropped and the tactics under it are walked in order. Blank lines
// and `--` comment lines are skipped.
std::vector<TacticSpan> SplitTactics(std::string_view text, std::size_t after_by, std::size_t end);

}  // namespace tatami::repl_double
