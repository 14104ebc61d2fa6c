#include "tatami/dojo/header.h"

#include <stdexcept>

#include <fmt/format.h>

namespace tatami::dojo {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// Characters that may appear in an unquoted identifier component. Bytes of
// multi-byte UTF-8 sequences are accepted wholesale: Lean allows most letters.
bool IsIdentChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || c == '_' ||
         c == '\'' || c == '!' || c == '?' || u >= 0x80;
}

// Checks that `name` is a (possibly dotted, possibly «quoted») Lean name.
bool IsModuleName(std::string_view name) {
  if (name.empty()) return false;
  std::size_t i = 0;
  while (true) {
    if (name.compare(i, 2, "\xC2\xAB") == 0) {                 // «
      const std::size_t close = name.find("\xC2\xBB", i + 2);  // »
      if (close == std::string_view::npos || close == i + 2) return false;
      i = close + 2;
    } else {
      const std::size_t start = i;
      while (i < name.size() && IsIdentChar(name[i])) ++i;
      if (i == start) return false;
      if (name[start] >= '0' && name[start] <= '9') return false;
      if (name[start] == '\'' || name[start] == '!' || name[start] == '?') return false;
    }
    if (i == name.size()) return true;
    if (name[i] != '.') return false;
    ++i;
    if (i == name.size()) return false;  // trailing dot
  }
}

// A scanner over the snippet that tracks line numbers.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  // Skips whitespace and comments. Throws for an unterminated block comment.
  void SkipTrivia() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (IsSpace(c)) {
        ++pos_;
      } else if (text_.compare(pos_, 2, "--") == 0) {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else if (text_.compare(pos_, 2, "/-") == 0) {
        const std::size_t open = pos_;
        int depth = 0;
        while (pos_ < text_.size()) {
          if (text_.compare(pos_, 2, "/-") == 0) {
            ++depth;
            pos_ += 2;
          } else if (text_.compare(pos_, 2, "-/") == 0) {
            pos_ += 2;
            if (--depth == 0) break;
          } else {
            ++pos_;
          }
        }
        if (depth != 0)
          throw std::invalid_argument(
              fmt::format("line {}: unterminated block comment", LineOf(open)));
      } else {
        return;
      }
    }
  }

  // The token at the current position (a run of non-space characters,
  // stopping before a comment), without consuming it.
  std::string_view PeekWord() const {
    std::size_t end = pos_;
    while (end < text_.size() && !IsSpace(text_[end]) && text_.compare(end, 2, "--") != 0 &&
           text_.compare(end, 2, "/-") != 0) {
      if (text_.compare(end, 2, "\xC2\xAB") == 0) {  // «...» may contain spaces
        const std::size_t close = text_.find("\xC2\xBB", end + 2);
        end = close == std::string_view::npos ? text_.size() : close + 2;
      } else {
        ++end;
      }
    }
    return text_.substr(pos_, end - pos_);
  }

  std::string_view TakeWord() {
    const std::string_view word = PeekWord();
    pos_ += word.size();
    return word;
  }

  std::size_t pos() const { return pos_; }
  void set_pos(std::size_t pos) { pos_ = pos; }
  bool done() const { return pos_ >= text_.size(); }

  std::size_t LineOf(std::size_t pos) const {
    std::size_t line = 1;
    for (std::size_t i = 0; i < pos && i < text_.size(); ++i)
      if (text_[i] == '\n') ++line;
    return line;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

bool IsImportPrefix(std::string_view w) { return w == "public" || w == "private" || w == "meta"; }

// Tries to read one import command at the scanner's position. Returns the
// normalised command, or "" (scanner unmoved) if the next token does not
// start an import. Throws for an import without a valid module name.
std::string ReadImport(Scanner& s) {
  const std::size_t start = s.pos();
  std::string command;
  // Modifiers before `import`: only commit to them if `import` follows.
  while (IsImportPrefix(s.PeekWord())) {
    command += std::string(s.TakeWord()) + " ";
    s.SkipTrivia();
  }
  if (s.PeekWord() != "import") {
    s.set_pos(start);
    return "";
  }
  const std::size_t line = s.LineOf(s.pos());
  s.TakeWord();
  command += "import";
  s.SkipTrivia();
  std::string_view word = s.TakeWord();
  if (word == "all" || word == "runtime") {
    const std::size_t after_modifier = s.pos();
    s.SkipTrivia();
    const std::string_view next = s.PeekWord();
    if (!next.empty() && next != "import" && IsModuleName(next)) {
      command.append(" ").append(word);
      word = s.TakeWord();
    } else {
      s.set_pos(after_modifier);  // `all` is the module's name
    }
  }
  if (word.empty())
    throw std::invalid_argument(fmt::format("line {}: `import` without a module name", line));
  if (!IsModuleName(word))
    throw std::invalid_argument(
        fmt::format("line {}: `{}` is not a valid module name in `import`", line, word));
  command.append(" ").append(word);
  return command;
}

}  // namespace

std::string ImportHeader::Key() const {
  std::string key;
  for (const std::string& line : lines) {
    if (!key.empty()) key += '\n';
    key += line;
  }
  return key;
}

std::vector<std::string> ImportHeader::Modules() const {
  // Lines are normalised: "[modifiers ]import [all |runtime ]Module".
  std::vector<std::string> modules;
  for (const std::string& line : lines) {
    const std::size_t at = line.find("import ");
    if (at == std::string::npos) continue;
    std::string_view rest = std::string_view(line).substr(at + 7);
    for (std::string_view modifier : {"all ", "runtime "})
      if (rest.substr(0, modifier.size()) == modifier) rest.remove_prefix(modifier.size());
    modules.emplace_back(rest);
  }
  return modules;
}

SplitSnippet SplitHeader(std::string_view snippet) {
  Scanner s(snippet);
  SplitSnippet result;
  std::size_t header_end = 0;  // just after the last header command
  s.SkipTrivia();
  const std::string_view first = s.PeekWord();
  if (first == "prelude" || first == "module") {
    result.header.lines.emplace_back(s.TakeWord());
    header_end = s.pos();
    s.SkipTrivia();
  }
  while (!s.done()) {
    std::string command = ReadImport(s);
    if (command.empty()) break;
    result.header.lines.push_back(std::move(command));
    header_end = s.pos();
    s.SkipTrivia();
  }
  if (result.header.empty()) {
    result.body = std::string(snippet);
    result.body_first_line = 1;
    return result;
  }
  // Start the body on the line after the header when the rest of the header's
  // last line holds only blanks or a line comment, so that lines map 1:1.
  std::size_t body_start = header_end;
  std::size_t i = header_end;
  while (i < snippet.size() && (snippet[i] == ' ' || snippet[i] == '\t' || snippet[i] == '\r')) ++i;
  if (snippet.compare(i, 2, "--") == 0)
    while (i < snippet.size() && snippet[i] != '\n') ++i;
  if (i >= snippet.size()) {
    body_start = snippet.size();
  } else if (snippet[i] == '\n') {
    body_start = i + 1;
  }
  result.body = std::string(snippet.substr(body_start));
  result.body_first_line = s.LineOf(body_start);
  return result;
}

ImportHeader ParseHeader(std::string_view text) {
  SplitSnippet split = SplitHeader(text);
  Scanner rest(split.body);
  rest.SkipTrivia();
  if (!rest.done())
    throw std::invalid_argument(fmt::format("line {}: `{}` is not an import in a header",
                                            split.body_first_line + rest.LineOf(rest.pos()) - 1,
                                            rest.PeekWord()));
  return std::move(split.header);
}

ImportHeader HeaderOf(std::vector<std::string> modules) {
  ImportHeader header;
  for (const std::string& module : modules) {
    if (!IsModuleName(module))
      throw std::invalid_argument(fmt::format("`{}` is not a valid module name", module));
    header.lines.push_back("import " + module);
  }
  return header;
}

}  // namespace tatami::dojo
