#include "tatami/dojo/lean_file.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "lean_lexer.h"
#include "tatami/dojo/header.h"
#include "tatami/dojo/lean_name.h"

namespace tatami::dojo {
namespace {

using internal::Token;

bool IsModifier(std::string_view w) {
  return w == "private" || w == "protected" || w == "noncomputable" || w == "nonrec" ||
         w == "unsafe" || w == "partial" || w == "public";
}

bool IsDeclKeyword(std::string_view w) { return w == "theorem" || w == "lemma"; }

bool IsOpenBracket(std::string_view t) {
  return t == "(" || t == "[" || t == "{" || t == "⟨" || t == "⦃" || t == "⟮" || t == "⸨";
}
bool IsCloseBracket(std::string_view t) {
  return t == ")" || t == "]" || t == "}" || t == "⟩" || t == "⦄" || t == "⟯" || t == "⸩";
}

std::size_t LineStart(std::string_view text, std::size_t offset) {
  const std::size_t nl = offset == 0 ? std::string_view::npos : text.rfind('\n', offset - 1);
  return nl == std::string_view::npos ? 0 : nl + 1;
}

std::size_t LineNumber(std::string_view text, std::size_t offset) {
  std::size_t line = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i)
    if (text[i] == '\n') ++line;
  return line;
}

// True if the line's tokens from `from` up to `in` (at `in_index`) are a
// command prefix that Lean's `CMD in DECL` applies to the declaration alone:
// `open ... in` or `set_option ... in`, possibly several.
bool CommandPrefixUpTo(const std::vector<Token>& tokens, std::size_t in_index,
                       std::size_t line_start) {
  std::size_t first = in_index;
  while (first > 0 && tokens[first - 1].offset >= line_start) --first;
  return first < in_index && (tokens[first].text == "open" || tokens[first].text == "set_option");
}

// True if the tokens on the keyword's line before it are only attributes
// (`@[...]`) and modifiers, optionally after an `open ... in` or
// `set_option ... in` prefix (`open X in theorem foo ...` declares `foo`).
bool OnlyModifiersBefore(const std::vector<Token>& tokens, std::size_t k, std::size_t line_start) {
  int depth = 0;
  for (std::size_t j = k; j-- > 0;) {
    const Token& t = tokens[j];
    if (t.offset < line_start) return depth == 0;
    if (depth == 0 && t.text == "in") return CommandPrefixUpTo(tokens, j, line_start);
    if (t.text == "]")
      ++depth;
    else if (t.text == "[")
      --depth;
    else if (depth > 0)
      continue;
    else if (t.text == "@")
      continue;
    else if (!(t.identifier && IsModifier(t.text)))
      return false;
  }
  return depth == 0;
}

// True if `tokens[k]` is the first token of its line, after attributes and
// modifiers only.
bool StartsCommand(std::string_view text, const std::vector<Token>& tokens, std::size_t k) {
  return OnlyModifiersBefore(tokens, k, LineStart(text, tokens[k].offset));
}

// The identifier after tokens[k] on the same line, or "" if there is none.
std::string_view NameOnSameLine(std::string_view text, const std::vector<Token>& tokens,
                                std::size_t k) {
  if (k + 1 >= tokens.size() || !tokens[k + 1].identifier) return {};
  const std::size_t from = tokens[k].offset, to = tokens[k + 1].offset;
  if (text.substr(from, to - from).find('\n') != std::string_view::npos) return {};
  return tokens[k + 1].text;
}

// The modifiers (identifiers) on the keyword's line before it.
std::vector<std::string_view> ModifiersBefore(const std::vector<Token>& tokens, std::size_t k,
                                              std::size_t line_start) {
  std::vector<std::string_view> out;
  for (std::size_t j = k; j-- > 0 && tokens[j].offset >= line_start;)
    if (tokens[j].identifier && IsModifier(tokens[j].text)) out.push_back(tokens[j].text);
  return out;
}

std::size_t CodePointColumn(std::string_view text, std::size_t offset) {
  std::size_t column = 0;
  for (std::size_t i = LineStart(text, offset); i < offset; ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++column;
  return column;
}

// The namespaces and sections open while scanning, one entry per name
// component (`namespace A.B` is two scopes in Lean, closed by `end A.B`).
class Scopes {
 public:
  void Open(bool is_namespace, std::string_view name) {
    if (name.empty()) {
      entries_.push_back({false, ""});
      return;
    }
    for (std::string& part : SplitName(name)) entries_.push_back({is_namespace, std::move(part)});
  }
  // `end` closes one scope; `end A.B` closes as many as the name has parts.
  void Close(std::string_view name) {
    std::size_t n = name.empty() ? 1 : SplitName(name).size();
    while (n-- > 0 && !entries_.empty()) entries_.pop_back();
  }
  std::string Namespace() const {
    std::string out;
    for (const Entry& e : entries_)
      if (e.is_namespace) out = JoinName(out, QuoteIfNeeded(e.part));
    return out;
  }

 private:
  struct Entry {
    bool is_namespace;
    std::string part;
  };
  // A part from «» keeps its quotes when it needs them to read back as one part.
  static std::string QuoteIfNeeded(const std::string& part) {
    if (part.find_first_of(". ") == std::string::npos) return part;
    return "\xC2\xAB" + part + "\xC2\xBB";
  }
  std::vector<Entry> entries_;
};

// The full name declared by `written` (the name after the keyword) inside
// namespace `ns`.
std::string DeclaredName(std::string_view ns, std::string_view written) {
  constexpr std::string_view kRoot = "_root_.";
  if (written.substr(0, kRoot.size()) == kRoot) return std::string(written.substr(kRoot.size()));
  return JoinName(ns, written);
}

struct Declarations {
  std::vector<TheoremSource> theorems;
  std::vector<ExampleSource> examples;
};

Declarations ScanDeclarations(std::string_view text) {
  std::vector<Token> tokens;
  internal::ScanTokens(text, [&](const Token& t) {
    if (t.text != " " && t.text != "\n" && t.text != "\t" && t.text != "\r") tokens.push_back(t);
    return true;
  });

  // The header is what SplitHeader cuts off; declarations are searched after it.
  std::string header;
  std::size_t body_offset = 0;
  try {
    SplitSnippet split = SplitHeader(text);
    header = split.header.Key();
    body_offset = text.size() - split.body.size();
  } catch (const std::invalid_argument&) {
    // A malformed import line: leave it in the context, Lean will report it.
  }

  Declarations found;
  Scopes scopes;
  for (std::size_t k = 0; k < tokens.size(); ++k) {
    const Token& t = tokens[k];
    if (!t.identifier || t.offset < body_offset) continue;
    const bool scope_word = t.text == "namespace" || t.text == "section" || t.text == "end" ||
                            t.text == "mutual" || t.text == "example" || IsDeclKeyword(t.text);
    if (!scope_word || !StartsCommand(text, tokens, k)) continue;
    const std::size_t line_start = LineStart(text, t.offset);
    if (t.text == "namespace" || t.text == "section" || t.text == "mutual") {
      scopes.Open(t.text == "namespace",
                  t.text == "mutual" ? std::string_view() : NameOnSameLine(text, tokens, k));
      continue;
    }
    if (t.text == "end") {
      scopes.Close(NameOnSameLine(text, tokens, k));
      continue;
    }
    if (t.text == "example") {
      ExampleSource ex;
      ex.offset = t.offset;
      ex.line = LineNumber(text, t.offset);
      ex.column = CodePointColumn(text, t.offset);
      ex.namespace_name = scopes.Namespace();
      for (std::string_view m : ModifiersBefore(tokens, k, line_start))
        if (m == "noncomputable" || m == "unsafe" || m == "partial" || m == "nonrec")
          ex.no_noncomputable = true;
      found.examples.push_back(std::move(ex));
      continue;
    }
    if (k + 1 >= tokens.size() || !tokens[k + 1].identifier) continue;

    // The statement ends at the first `:=` outside brackets.
    int depth = 0;
    std::size_t assign = std::string_view::npos;
    for (std::size_t j = k + 2; j + 1 < tokens.size(); ++j) {
      const Token& u = tokens[j];
      if (IsOpenBracket(u.text))
        ++depth;
      else if (IsCloseBracket(u.text))
        --depth;
      else if (depth == 0 && u.text == ":" && tokens[j + 1].text == "=" &&
               tokens[j + 1].offset == u.offset + 1) {
        assign = u.offset;
        break;
      } else if (depth == 0 && u.identifier && (IsDeclKeyword(u.text) || u.text == "def") &&
                 LineStart(text, u.offset) == u.offset) {
        break;  // ran into the next declaration
      }
    }
    if (assign == std::string_view::npos) continue;

    TheoremSource thm;
    thm.name = std::string(tokens[k + 1].text);
    thm.full_name = DeclaredName(scopes.Namespace(), thm.name);
    thm.header = header;
    // Attributes and modifiers on the keyword's line belong to the context.
    thm.context = std::string(text.substr(body_offset, t.offset - body_offset));
    std::string_view statement = text.substr(t.offset, assign - t.offset);
    while (!statement.empty() && (statement.back() == ' ' || statement.back() == '\n' ||
                                  statement.back() == '\t' || statement.back() == '\r'))
      statement.remove_suffix(1);
    thm.statement = std::string(statement);
    std::size_t proof_end = assign + 2;
    while (true) {
      const std::size_t nl = text.find('\n', proof_end);
      if (nl == std::string_view::npos) {
        proof_end = text.size();
        break;
      }
      proof_end = nl + 1;
      if (proof_end < text.size() && text[proof_end] != ' ' && text[proof_end] != '\t' &&
          text[proof_end] != '\n' && text[proof_end] != '\r')
        break;
    }
    thm.proof = std::string(text.substr(assign + 2, proof_end - (assign + 2)));
    thm.line = LineNumber(text, t.offset);
    found.theorems.push_back(std::move(thm));
  }
  return found;
}

}  // namespace

std::vector<TheoremSource> ListTheorems(std::string_view text) {
  return ScanDeclarations(text).theorems;
}

std::vector<ExampleSource> ListExamples(std::string_view text) {
  return ScanDeclarations(text).examples;
}

TheoremSource FindTheorem(std::string_view text, std::string_view name, std::string_view source) {
  std::vector<TheoremSource> all = ListTheorems(text);
  std::vector<TheoremSource> matches;
  for (TheoremSource& t : all)
    if (SplitName(t.name) == SplitName(name) || NamesDeclaration(t.full_name, name))
      matches.push_back(t);
  if (matches.size() == 1) return std::move(matches[0]);
  std::ostringstream msg;
  if (matches.empty()) {
    msg << "theorem '" << name << "' not found in " << source;
    if (all.empty()) {
      msg << " (it declares no theorems)";
    } else {
      msg << " (it declares:";
      std::size_t shown = 0;
      for (const TheoremSource& t : all) {
        if (shown++ == 20) {
          msg << " ...";
          break;
        }
        msg << ' ' << t.full_name;
      }
      msg << ')';
    }
  } else {
    msg << "theorem name '" << name << "' is ambiguous in " << source << ": lines";
    for (const TheoremSource& t : matches) msg << ' ' << t.line << " (" << t.full_name << ")";
    msg << "; use the full name";
  }
  throw std::invalid_argument(msg.str());
}

TheoremSource LoadTheorem(const std::filesystem::path& path, std::string_view name) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read Lean file " + path.string() +
                             ": no such file or unreadable");
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) throw std::runtime_error("error reading Lean file " + path.string());
  return FindTheorem(buf.str(), name, path.string());
}

}  // namespace tatami::dojo
