#include "tatami/data/declarations.h"

#include <cctype>
#include <set>
#include <string>

#include "text_positions.h"

namespace tatami::data {

namespace {

bool IsIdentChar(unsigned char c) {
  return std::isalnum(c) || c == '_' || c == '\'' || c == '.' || c == '!' || c == '?' || c >= 0x80;
}

// The whitespace-separated words of a line, with their byte offsets.
std::vector<std::pair<std::size_t, std::string_view>> Words(std::string_view line) {
  std::vector<std::pair<std::size_t, std::string_view>> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    const std::size_t b = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i > b) words.emplace_back(b, line.substr(b, i - b));
  }
  return words;
}

const std::set<std::string_view> kKinds = {"theorem",   "lemma", "def",       "abbrev", "instance",
                                           "structure", "class", "inductive", "opaque", "axiom"};
const std::set<std::string_view> kModifiers = {"private", "protected", "noncomputable",
                                               "partial", "unsafe",    "nonrec"};

// Skips `@[...]` attribute blocks (brackets balanced) at `i`.
std::size_t SkipAttributes(std::string_view line, std::size_t i) {
  while (true) {
    while (i < line.size() && line[i] == ' ') ++i;
    if (line.substr(i, 2) != "@[") return i;
    int depth = 0;
    for (; i < line.size(); ++i) {
      if (line[i] == '[') ++depth;
      if (line[i] == ']' && --depth == 0) {
        ++i;
        break;
      }
    }
  }
}

}  // namespace

std::vector<Declaration> ListDeclarations(std::string_view text) {
  const TextPositions positions(text);
  std::vector<Declaration> out;
  std::vector<std::vector<std::string>> scopes;  // namespace components opened per scope
  // Open declaration waiting for its end (the next column-0 command).
  bool open = false;
  Declaration current;
  std::size_t current_start = 0, last_content_end = 0;
  int comment_depth = 0;
  auto close = [&]() {
    if (!open) return;
    open = false;
    std::string_view code = text.substr(current_start, last_content_end - current_start);
    current.premise.code = std::string(code);
    const auto [l, c] = positions.Position(last_content_end);
    current.premise.end = Pos{l, c + 1};
    out.push_back(std::move(current));
    current = Declaration{};
  };
  auto current_namespace = [&]() {
    std::string ns;
    for (const auto& s : scopes)
      for (const auto& part : s) ns += (ns.empty() ? "" : ".") + part;
    return ns;
  };

  std::size_t line_start = 0;
  while (line_start <= text.size()) {
    std::size_t nl = text.find('\n', line_start);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string_view line = text.substr(line_start, nl - line_start);
    const bool in_comment = comment_depth > 0;
    // Track block comments (nesting) over the line.
    for (std::size_t i = 0; i + 1 < line.size(); ++i) {
      if (comment_depth == 0 && line[i] == '-' && line[i + 1] == '-') break;
      if (line[i] == '/' && line[i + 1] == '-') {
        ++comment_depth;
        ++i;
      } else if (comment_depth > 0 && line[i] == '-' && line[i + 1] == '/') {
        --comment_depth;
        ++i;
      }
    }
    const bool blank = line.find_first_not_of(" \t\r") == std::string_view::npos;
    const bool command_start = !in_comment && !blank && line[0] != ' ' && line[0] != '\t' &&
                               line.substr(0, 2) != "--" && line.substr(0, 2) != "/-" &&
                               line[0] != ')' && line[0] != ']' && line[0] != '}' && line[0] != '|';
    if (command_start) {
      close();
      const std::size_t after_attrs = SkipAttributes(line, 0);
      auto words = Words(line.substr(after_attrs));
      std::size_t k = 0;
      while (k < words.size() && kModifiers.count(words[k].second)) ++k;
      if (!words.empty() && words[0].second == "namespace" && words.size() > 1) {
        std::vector<std::string> parts;
        std::string_view n = words[1].second;
        for (std::size_t p = 0; p <= n.size();) {
          std::size_t d = n.find('.', p);
          if (d == std::string_view::npos) d = n.size();
          parts.emplace_back(n.substr(p, d - p));
          p = d + 1;
        }
        scopes.push_back(std::move(parts));
      } else if (!words.empty() && words[0].second == "section") {
        scopes.emplace_back();
      } else if (!words.empty() && words[0].second == "end") {
        if (!scopes.empty()) scopes.pop_back();
      } else if (k + 1 < words.size() && kKinds.count(words[k].second)) {
        std::string_view name = words[k + 1].second;
        std::size_t len = 0;
        while (len < name.size() && IsIdentChar(static_cast<unsigned char>(name[len]))) ++len;
        name = name.substr(0, len);
        if (!name.empty() && name[0] != '(' && name[0] != '[' && name[0] != '{') {
          open = true;
          current.premise.kind = std::string(words[k].second);
          std::string full;
          if (name.substr(0, 7) == "_root_.") {
            full = std::string(name.substr(7));
          } else {
            full = current_namespace();
            if (!full.empty()) full += '.';
            full += name;
          }
          current.premise.full_name = full;
          current_start = line_start;
          const auto [sl, sc] = positions.Position(line_start);
          current.premise.start = Pos{sl, sc + 1};
          const std::size_t name_off = line_start + after_attrs + words[k + 1].first;
          const auto [nl0, nc0] = positions.Position(name_off);
          const auto [nl1, nc1] = positions.Position(name_off + name.size());
          current.name_pos = Pos{nl0, nc0 + 1};
          current.name_end = Pos{nl1, nc1 + 1};
        }
      }
    }
    if (!blank && !in_comment && line.substr(0, 2) != "--" && line.substr(0, 2) != "/-") {
      std::size_t e = line.find_last_not_of(" \t\r");
      last_content_end = line_start + e + 1;
    }
    if (nl == text.size()) break;
    line_start = nl + 1;
  }
  close();
  return out;
}

}  // namespace tatami::data
