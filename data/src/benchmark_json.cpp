#include "tatami/data/benchmark_json.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace tatami::data {

namespace {

using nlohmann::json;

// Decodes one UTF-8 sequence at s[i]; invalid bytes decode to U+FFFD, one
// byte at a time, as Python's "replace" handler would.
char32_t NextCodePoint(std::string_view s, std::size_t* i) {
  const auto b = static_cast<unsigned char>(s[*i]);
  int len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
  if (len == 0 || *i + len > s.size()) {
    ++*i;
    return 0xFFFD;
  }
  char32_t cp = len == 1 ? b : b & (0x7F >> len);
  for (int k = 1; k < len; ++k) {
    const auto c = static_cast<unsigned char>(s[*i + k]);
    if ((c & 0xC0) != 0x80) {
      ++*i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  *i += len;
  return cp;
}

void AppendPos(const Pos& p, std::string* out) {
  *out += fmt::format("[{}, {}]", p.line, p.column);
}

void Key(std::string_view k, std::string* out) {
  *out += '"';
  *out += k;
  *out += "\": ";
}

const json& Field(const json& j, const char* key, std::string_view where) {
  if (!j.is_object()) throw std::invalid_argument(fmt::format("{}: expected a JSON object", where));
  auto it = j.find(key);
  if (it == j.end())
    throw std::invalid_argument(fmt::format("{}: missing field \"{}\"", where, key));
  return *it;
}

std::string Str(const json& j, const char* key, std::string_view where) {
  const json& v = Field(j, key, where);
  if (!v.is_string())
    throw std::invalid_argument(fmt::format("{}: field \"{}\" is not a string", where, key));
  return v.get<std::string>();
}

Pos PosOf(const json& j, const char* key, std::string_view where) {
  const json& v = Field(j, key, where);
  if (!v.is_array() || v.size() != 2 || !v[0].is_number_integer() || !v[1].is_number_integer())
    throw std::invalid_argument(
        fmt::format("{}: field \"{}\" is not a [line, column] pair", where, key));
  return Pos{v[0].get<long>(), v[1].get<long>()};
}

const json& Array(const json& j, const char* key, std::string_view where) {
  const json& v = Field(j, key, where);
  if (!v.is_array())
    throw std::invalid_argument(fmt::format("{}: field \"{}\" is not a list", where, key));
  return v;
}

}  // namespace

std::string PythonJsonString(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    const char32_t cp = NextCodePoint(s, &i);
    switch (cp) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      default:
        break;
    }
    if (cp < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(cp));
    } else if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x10000) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(cp));
    } else {
      const char32_t v = cp - 0x10000;
      out += fmt::format("\\u{:04x}\\u{:04x}", static_cast<unsigned>(0xD800 + (v >> 10)),
                         static_cast<unsigned>(0xDC00 + (v & 0x3FF)));
    }
  }
  out += '"';
  return out;
}

std::string ToJson(const TracedTheorem& t) {
  std::string out = "{";
  Key("url", &out);
  out += PythonJsonString(t.url) + ", ";
  Key("commit", &out);
  out += PythonJsonString(t.commit) + ", ";
  Key("file_path", &out);
  out += PythonJsonString(t.file_path) + ", ";
  Key("full_name", &out);
  out += PythonJsonString(t.full_name) + ", ";
  if (t.theorem_statement) {
    Key("theorem_statement", &out);
    out += PythonJsonString(*t.theorem_statement) + ", ";
  }
  Key("start", &out);
  AppendPos(t.start, &out);
  out += ", ";
  Key("end", &out);
  AppendPos(t.end, &out);
  out += ", ";
  Key("traced_tactics", &out);
  out += '[';
  for (std::size_t i = 0; i < t.traced_tactics.size(); ++i) {
    const TracedTactic& tac = t.traced_tactics[i];
    if (i) out += ", ";
    out += '{';
    Key("tactic", &out);
    out += PythonJsonString(tac.tactic) + ", ";
    Key("annotated_tactic", &out);
    out += '[' + PythonJsonString(tac.annotated_tactic) + ", [";
    for (std::size_t k = 0; k < tac.premises.size(); ++k) {
      const AnnotatedPremise& p = tac.premises[k];
      if (k) out += ", ";
      out += '{';
      Key("full_name", &out);
      out += PythonJsonString(p.full_name) + ", ";
      Key("def_path", &out);
      out += PythonJsonString(p.def_path) + ", ";
      Key("def_pos", &out);
      AppendPos(p.def_pos, &out);
      out += ", ";
      Key("def_end_pos", &out);
      AppendPos(p.def_end_pos, &out);
      out += '}';
    }
    out += "]], ";
    Key("state_before", &out);
    out += PythonJsonString(tac.state_before) + ", ";
    Key("state_after", &out);
    out += PythonJsonString(tac.state_after) + '}';
  }
  out += "]}";
  return out;
}

std::string ToJson(const CorpusFile& f) {
  std::string out = "{";
  Key("path", &out);
  out += PythonJsonString(f.path) + ", ";
  Key("imports", &out);
  out += '[';
  for (std::size_t i = 0; i < f.imports.size(); ++i)
    out += (i ? ", " : "") + PythonJsonString(f.imports[i]);
  out += "], ";
  Key("premises", &out);
  out += '[';
  for (std::size_t i = 0; i < f.premises.size(); ++i) {
    const PremiseDefinition& p = f.premises[i];
    if (i) out += ", ";
    out += '{';
    Key("full_name", &out);
    out += PythonJsonString(p.full_name) + ", ";
    Key("code", &out);
    out += PythonJsonString(p.code) + ", ";
    Key("start", &out);
    AppendPos(p.start, &out);
    out += ", ";
    Key("end", &out);
    AppendPos(p.end, &out);
    out += ", ";
    Key("kind", &out);
    out += PythonJsonString(p.kind) + '}';
  }
  out += "]}";
  return out;
}

std::string ToJson(const DatasetMetadata& m) {
  std::string out = "{";
  Key("dataset_name", &out);
  out += PythonJsonString(m.dataset_name) + ", ";
  Key("creation_time", &out);
  out += PythonJsonString(m.creation_time) + ", ";
  Key("from_repo", &out);
  out += "{";
  Key("url", &out);
  out += PythonJsonString(m.url) + ", ";
  Key("commit", &out);
  out += PythonJsonString(m.commit) + "}";
  auto optional = [&](const char* key, const std::string& value) {
    if (value.empty()) return;
    out += ", ";
    Key(key, &out);
    out += PythonJsonString(value);
  };
  optional("leandojo_version", m.leandojo_version);
  optional("toolchain", m.toolchain);
  optional("tatami_version", m.tatami_version);
  out += '}';
  return out;
}

std::string TracedFileLine(std::string_view path) {
  return "{\"traced_file_path\": " + PythonJsonString(path) + "}";
}

TracedTheorem TheoremFromJson(const json& j, std::string_view where) {
  TracedTheorem t;
  t.url = Str(j, "url", where);
  t.commit = Str(j, "commit", where);
  t.file_path = Str(j, "file_path", where);
  t.full_name = Str(j, "full_name", where);
  if (j.contains("theorem_statement")) t.theorem_statement = Str(j, "theorem_statement", where);
  t.start = PosOf(j, "start", where);
  t.end = PosOf(j, "end", where);
  const json& tactics = Array(j, "traced_tactics", where);
  for (std::size_t i = 0; i < tactics.size(); ++i) {
    const std::string at = fmt::format("{}: traced_tactics[{}]", where, i);
    const json& tj = tactics[i];
    TracedTactic tac;
    tac.tactic = Str(tj, "tactic", at);
    const json& ann = Array(tj, "annotated_tactic", at);
    if (ann.size() != 2 || !ann[0].is_string() || !ann[1].is_array())
      throw std::invalid_argument(at + ": annotated_tactic is not [text, [premises]]");
    tac.annotated_tactic = ann[0].get<std::string>();
    for (std::size_t k = 0; k < ann[1].size(); ++k) {
      const std::string pat = fmt::format("{}: annotated_tactic premise {}", at, k);
      const json& pj = ann[1][k];
      tac.premises.push_back({Str(pj, "full_name", pat), Str(pj, "def_path", pat),
                              PosOf(pj, "def_pos", pat), PosOf(pj, "def_end_pos", pat)});
    }
    tac.state_before = Str(tj, "state_before", at);
    tac.state_after = Str(tj, "state_after", at);
    t.traced_tactics.push_back(std::move(tac));
  }
  return t;
}

CorpusFile CorpusFileFromJson(const json& j, std::string_view where) {
  CorpusFile f;
  f.path = Str(j, "path", where);
  for (const json& i : Array(j, "imports", where)) {
    if (!i.is_string())
      throw std::invalid_argument(std::string(where) + ": an import is not a string");
    f.imports.push_back(i.get<std::string>());
  }
  const json& premises = Array(j, "premises", where);
  for (std::size_t k = 0; k < premises.size(); ++k) {
    const std::string at = fmt::format("{}: premises[{}]", where, k);
    const json& p = premises[k];
    f.premises.push_back({Str(p, "full_name", at), Str(p, "code", at), PosOf(p, "start", at),
                          PosOf(p, "end", at), Str(p, "kind", at)});
  }
  return f;
}

DatasetMetadata MetadataFromJson(const json& j, std::string_view where) {
  DatasetMetadata m;
  m.dataset_name = Str(j, "dataset_name", where);
  m.creation_time = Str(j, "creation_time", where);
  const json& repo = Field(j, "from_repo", where);
  const std::string at = std::string(where) + ": from_repo";
  m.url = Str(repo, "url", at);
  m.commit = Str(repo, "commit", at);
  if (j.contains("leandojo_version")) m.leandojo_version = Str(j, "leandojo_version", where);
  if (j.contains("toolchain")) m.toolchain = Str(j, "toolchain", where);
  if (j.contains("tatami_version")) m.tatami_version = Str(j, "tatami_version", where);
  return m;
}

std::vector<TracedTheorem> ReadTheoremList(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  json j;
  try {
    j = json::parse(in);
  } catch (const json::exception& e) {
    throw std::runtime_error(path + ": not valid JSON (" + e.what() + ")");
  }
  if (!j.is_array()) throw std::invalid_argument(path + ": expected a JSON list of theorems");
  std::vector<TracedTheorem> out;
  out.reserve(j.size());
  for (std::size_t i = 0; i < j.size(); ++i)
    out.push_back(TheoremFromJson(j[i], fmt::format("{}: theorem {}", path, i)));
  return out;
}

void WriteTheoremList(const std::vector<TracedTheorem>& theorems, std::ostream& out) {
  out << '[';
  for (std::size_t i = 0; i < theorems.size(); ++i) {
    if (i) out << ", ";
    out << ToJson(theorems[i]);
  }
  out << ']';
}

}  // namespace tatami::data
