#include "tatami/retriever/corpus.h"

#include <cerrno>
#include <fstream>
#include <istream>
#include <limits>
#include <system_error>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace tatami::retriever {
namespace {

using nlohmann::json;

[[noreturn]] void Fail(std::string_view source, std::size_t line, const std::string& what) {
  throw CorpusError(fmt::format("{}:{}: {}", source, line, what), line);
}

const json& Field(const json& object, const char* name, std::string_view where,
                  std::string_view source, std::size_t line) {
  auto it = object.find(name);
  if (it == object.end()) Fail(source, line, fmt::format("{}missing field \"{}\"", where, name));
  return *it;
}

std::string StringField(const json& object, const char* name, std::string_view where,
                        std::string_view source, std::size_t line) {
  const json& v = Field(object, name, where, source, line);
  if (!v.is_string()) {
    Fail(source, line,
         fmt::format("{}field \"{}\" must be a string, got {}", where, name, v.type_name()));
  }
  return v.get<std::string>();
}

Pos PosField(const json& object, const char* name, std::string_view where, std::string_view source,
             std::size_t line) {
  const json& v = Field(object, name, where, source, line);
  if (!v.is_array() || v.size() != 2 || !v[0].is_number_integer() || !v[1].is_number_integer()) {
    Fail(source, line,
         fmt::format("{}field \"{}\" must be [line, column], got {}", where, name, v.dump()));
  }
  const auto l = v[0].get<std::int64_t>();
  const auto c = v[1].get<std::int64_t>();
  constexpr std::int64_t kMax = std::numeric_limits<std::int32_t>::max();
  if (l < 0 || c < 0 || l > kMax || c > kMax) {
    Fail(source, line, fmt::format("{}field \"{}\" out of range: {}", where, name, v.dump()));
  }
  return Pos{static_cast<std::int32_t>(l), static_cast<std::int32_t>(c)};
}

// Why ReProver would drop this premise, or nullptr.
const char* IllFormedReason(const json& premise) {
  auto name = premise.find("full_name");
  if (name != premise.end() && name->is_null()) return "null full_name";
  if (name != premise.end() && name->is_string()) {
    const auto& s = name->get_ref<const std::string&>();
    if (s.find("user__.n") != std::string::npos) return "auto-generated name";
    if (s.size() >= 2 && s.front() == '[' && s.back() == ']') return "mutual block";
  }
  auto code = premise.find("code");
  if (code != premise.end() && code->is_string() && code->get_ref<const std::string&>().empty()) {
    return "empty code";
  }
  return nullptr;
}

}  // namespace

Corpus Corpus::Load(const std::filesystem::path& path, const CorpusOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw CorpusError(fmt::format("{}: cannot open corpus: {}", path.string(),
                                  std::error_code(errno, std::generic_category()).message()),
                      0);
  }
  return Parse(in, path.string(), options);
}

Corpus Corpus::Parse(std::istream& in, std::string_view source, const CorpusOptions& options) {
  Corpus corpus;
  std::string text;
  std::size_t line = 0;
  while (std::getline(in, text)) {
    ++line;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    json doc;
    try {
      doc = json::parse(text);
    } catch (const json::parse_error& e) {
      Fail(source, line, fmt::format("not valid JSON: {}", e.what()));
    }
    if (!doc.is_object()) Fail(source, line, "expected a JSON object per line");
    CorpusFile file;
    file.path = StringField(doc, "path", "", source, line);
    if (corpus.by_path_.contains(file.path)) {
      Fail(source, line, fmt::format("file \"{}\" appears twice", file.path));
    }
    const json& imports = Field(doc, "imports", "", source, line);
    if (!imports.is_array()) Fail(source, line, "field \"imports\" must be an array");
    for (const json& imp : imports) {
      if (!imp.is_string()) Fail(source, line, "field \"imports\" must hold strings");
      file.imports.push_back(imp.get<std::string>());
    }
    const json& premises = Field(doc, "premises", "", source, line);
    if (!premises.is_array()) Fail(source, line, "field \"premises\" must be an array");
    const auto file_index = static_cast<std::uint32_t>(corpus.files_.size());
    file.first_premise = static_cast<std::uint32_t>(corpus.premises_.size());
    for (std::size_t i = 0; i < premises.size(); ++i) {
      const json& p = premises[i];
      const std::string where = fmt::format("premise {}: ", i);
      if (!p.is_object()) Fail(source, line, where + "expected an object");
      if (options.skip_ill_formed) {
        if (const char* why = IllFormedReason(p)) {
          const auto name = p.find("full_name");
          corpus.issues_.push_back(
              {line, fmt::format("skipped premise {} ({}) of {}: {}", i,
                                 name != p.end() && name->is_string() ? name->get<std::string>()
                                                                      : std::string("?"),
                                 file.path, why)});
          continue;
        }
      }
      Premise premise;
      premise.full_name = StringField(p, "full_name", where, source, line);
      premise.file = file_index;
      premise.start = PosField(p, "start", where, source, line);
      premise.end = PosField(p, "end", where, source, line);
      if (premise.end < premise.start) Fail(source, line, where + "\"end\" is before \"start\"");
      std::string code = StringField(p, "code", where, source, line);
      if (options.keep_code) premise.code = std::move(code);
      if (auto kind = p.find("kind"); kind != p.end() && !kind->is_null()) {
        if (!kind->is_string()) Fail(source, line, where + "field \"kind\" must be a string");
        premise.kind = kind->get<std::string>();
      }
      corpus.premises_.push_back(std::move(premise));
      if (corpus.premises_.size() > std::numeric_limits<std::uint32_t>::max()) {
        Fail(source, line, "too many premises (more than 2^32)");
      }
    }
    file.premise_count = static_cast<std::uint32_t>(corpus.premises_.size()) - file.first_premise;
    corpus.by_path_.emplace(file.path, file_index);
    corpus.files_.push_back(std::move(file));
  }
  if (in.bad()) {
    throw CorpusError(fmt::format("{}: read error after line {}", source, line), line);
  }
  for (const CorpusFile& f : corpus.files_) {
    for (const std::string& imp : f.imports) {
      if (!corpus.by_path_.contains(imp)) {
        corpus.issues_.push_back(
            {0, fmt::format("{} imports {}, which is not in the corpus", f.path, imp)});
      }
    }
  }
  return corpus;
}

Corpus Corpus::FromParts(std::vector<CorpusFile> files, std::vector<Premise> premises) {
  Corpus corpus;
  for (auto& f : files) f.first_premise = f.premise_count = 0;
  std::uint32_t last = 0;
  for (std::size_t i = 0; i < premises.size(); ++i) {
    const std::uint32_t fi = premises[i].file;
    if (fi >= files.size())
      throw std::invalid_argument("Corpus::FromParts: premise file out of range");
    if (fi < last) throw std::invalid_argument("Corpus::FromParts: premises not grouped by file");
    if (i == 0 || fi != last) files[fi].first_premise = static_cast<std::uint32_t>(i);
    files[fi].premise_count++;
    last = fi;
  }
  // Files without premises start where the next premise would go.
  std::uint32_t next = static_cast<std::uint32_t>(premises.size());
  for (std::size_t i = files.size(); i-- > 0;) {
    if (files[i].premise_count == 0) {
      files[i].first_premise = next;
    } else {
      next = files[i].first_premise;
    }
  }
  corpus.files_ = std::move(files);
  corpus.premises_ = std::move(premises);
  for (std::size_t i = 0; i < corpus.files_.size(); ++i) {
    if (!corpus.by_path_.emplace(corpus.files_[i].path, static_cast<std::uint32_t>(i)).second) {
      throw std::invalid_argument("Corpus::FromParts: duplicate path " + corpus.files_[i].path);
    }
  }
  return corpus;
}

std::optional<std::uint32_t> Corpus::FindFile(std::string_view path) const {
  auto it = by_path_.find(std::string(path));
  if (it == by_path_.end()) return std::nullopt;
  return it->second;
}

}  // namespace tatami::retriever
