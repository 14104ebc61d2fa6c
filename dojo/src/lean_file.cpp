#include "tatami/dojo/lean_file.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "lean_lexer.h"
#include "tatami/dojo/header.h"

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

// True if the tokens on the keyword's line before it are only attributes
// (`@[...]`) and modifiers.
bool OnlyModifiersBefore(const std::vector<Token>& tokens, std::size_t k, std::size_t line_start) {
  int depth = 0;
  for (std::size_t j = k; j-- > 0;) {
    const Token& t = tokens[j];
    if (t.offset < line_start) return depth == 0;
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

}  // namespace

std::vector<TheoremSource> ListTheorems(std::string_view text) {
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

  std::vector<TheoremSource> found;
  std::vector<std::vector<std::string>> scopes;  // namespace components per open scope
  for (std::size_t k = 0; k < tokens.size(); ++k) {
    const Token& t = tokens[k];
    if (!t.identifier || t.offset < body_offset) continue;
    const std::size_t line_start = LineStart(text, t.offset);
    if (t.offset == line_start && (t.text == "namespace" || t.text == "section")) {
      std::vector<std::string> parts;
      if (t.text == "namespace" && k + 1 < tokens.size() && tokens[k + 1].identifier) {
        std::string_view n = tokens[k + 1].text;
        std::size_t s = 0;
        while (true) {
          const std::size_t dot = n.find('.', s);
          parts.emplace_back(n.substr(s, dot == std::string_view::npos ? n.npos : dot - s));
          if (dot == std::string_view::npos) break;
          s = dot + 1;
        }
      }
      scopes.push_back(std::move(parts));
      continue;
    }
    if (t.offset == line_start && t.text == "end") {
      if (!scopes.empty()) scopes.pop_back();
      continue;
    }
    if (!IsDeclKeyword(t.text) || !OnlyModifiersBefore(tokens, k, line_start)) continue;
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
    for (const auto& scope : scopes)
      for (const std::string& p : scope) thm.full_name += p + ".";
    thm.full_name += thm.name;
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
    found.push_back(std::move(thm));
  }
  return found;
}

TheoremSource FindTheorem(std::string_view text, std::string_view name, std::string_view source) {
  std::vector<TheoremSource> all = ListTheorems(text);
  std::vector<TheoremSource> matches;
  for (TheoremSource& t : all)
    if (t.name == name || t.full_name == name) matches.push_back(t);
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
