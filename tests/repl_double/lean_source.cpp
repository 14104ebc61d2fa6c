#include "lean_source.h"

#include <algorithm>

namespace tatami::repl_double {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::size_t LineEnd(std::string_view text, std::size_t pos) {
  std::size_t nl = text.find('\n', pos);
  return nl == std::string_view::npos ? text.size() : nl;
}

// [begin, end) with trailing whitespace removed.
std::size_t TrimEnd(std::string_view text, std::size_t begin, std::size_t end) {
  while (end > begin && (IsSpace(text[end - 1]) || text[end - 1] == '\n')) --end;
  return end;
}

}  // namespace

SourceMap::SourceMap(std::string_view text) : text_(text) {
  line_starts_.push_back(0);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') line_starts_.push_back(i + 1);
  }
}

nlohmann::json SourceMap::Pos(std::size_t offset) const {
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  std::size_t line = static_cast<std::size_t>(it - line_starts_.begin());
  std::size_t column = 0;
  for (std::size_t i = line_starts_[line - 1]; i < offset && i < text_.size(); ++i) {
    column += (static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80;
  }
  return {{"line", line}, {"column", column}};
}

std::string BlankComments(std::string_view text) {
  std::string out(text);
  int depth = 0;  // of nested block comments
  bool in_string = false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (depth == 0 && in_string) {
      if (out[i] == '\\') {
        ++i;
      } else if (out[i] == '"') {
        in_string = false;
      }
      continue;
    }
    std::string_view two = std::string_view(out).substr(i, 2);
    if (two == "/-") {
      ++depth;
      out[i] = out[i + 1] = ' ';
      ++i;
    } else if (depth > 0 && two == "-/") {
      --depth;
      out[i] = out[i + 1] = ' ';
      ++i;
    } else if (depth > 0) {
      if (out[i] != '\n') out[i] = ' ';
    } else if (two == "--") {
      while (i < out.size() && out[i] != '\n') out[i++] = ' ';
    } else if (out[i] == '"') {
      in_string = true;
    }
  }
  return out;
}

std::vector<Span> SplitCommands(std::string_view text) {
  std::vector<Span> commands;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = LineEnd(text, pos);
    bool top = end > pos && !IsSpace(text[pos]);
    if (top) {
      commands.push_back({pos, end});
    } else if (!commands.empty()) {
      commands.back().end = end;
    }
    pos = end + 1;
  }
  for (Span& c : commands) c.end = TrimEnd(text, c.begin, c.end);
  return commands;
}

std::vector<TacticSpan> SplitTactics(std::string_view text, std::size_t after_by, std::size_t end) {
  std::vector<TacticSpan> tactics;
  // Columns (in spaces) where a tactic may start: the block's, then one more
  // per enclosing focusing bullet `· `.
  std::vector<std::size_t> columns;
  std::size_t pos = after_by;
  bool first_line = true;
  while (pos < end) {
    std::size_t line_end = std::min(LineEnd(text, pos), end);
    std::size_t start = pos;
    while (start < line_end && IsSpace(text[start])) ++start;
    std::size_t stop = TrimEnd(text, start, line_end);
    bool skip = start == stop || text.substr(start, 2) == "--";
    if (!skip) {
      std::size_t indent = start - pos;  // meaningless on the `by` line
      bool new_tactic = true;
      if (!first_line) {
        while (!columns.empty() && columns.back() > indent) columns.pop_back();
        if (columns.empty()) {
          columns.push_back(indent);
        } else if (columns.back() < indent && !tactics.empty()) {
          new_tactic = false;  // deeper: continues the previous tactic
        }
      }
      if (new_tactic) {
        // A focusing bullet runs the tactics after it on the main goal; the
        // double walks them in order, as if unfocused.
        while (text.substr(start, 3) == "\xC2\xB7 " || text.substr(start, 2) == ". ") {
          std::size_t width = text[start] == '.' ? 2 : 3;
          start += width;
          while (start < stop && IsSpace(text[start])) ++start;
          if (!first_line) columns.push_back(indent + 2);
          indent += 2;
        }
        if (start < stop)
          tactics.push_back({std::string(text.substr(start, stop - start)), {start, stop}});
      } else {
        TacticSpan& t = tactics.back();
        t.text += '\n';
        t.text.append(text.substr(start, stop - start));
        t.span.end = stop;
      }
    }
    first_line = false;
    pos = line_end + 1;
  }
  return tactics;
}

}  // namespace tatami::repl_double
