#include "tatami/data/split_input.h"

#include <algorithm>
#include <fstream>
#include <unordered_map>

#include <fmt/format.h>
#include <simdjson.h>

namespace tatami::data {
namespace {

namespace fs = std::filesystem;

// What a split needs from one theorem object: its identity and premises.
void ReadFields(simdjson::dom::element theorem, SplitTheorem& out) {
  const std::string& where = out.where;
  if (!theorem.is_object()) throw SplitInputError(where + ": not a JSON object");
  std::string_view file_path, full_name;
  if (theorem["file_path"].get_string().get(file_path) ||
      theorem["full_name"].get_string().get(full_name))
    throw SplitInputError(where +
                          ": needs string fields \"file_path\" and \"full_name\" (LeanDojo "
                          "Benchmark 4's per-theorem format)");
  out.key = fmt::format("{}\n{}\n", file_path, full_name);
  simdjson::dom::element start;
  if (!theorem["start"].get(start)) out.key += simdjson::minify(start);

  simdjson::dom::element tactics;
  if (theorem["traced_tactics"].get(tactics)) return;  // untraced: uses no premise
  if (!tactics.is_array()) throw SplitInputError(where + ".traced_tactics: not an array");
  std::size_t i = 0;
  for (simdjson::dom::element tactic : tactics.get_array()) {
    const std::string twhere = fmt::format("{}.traced_tactics[{}]", where, i++);
    if (!tactic.is_object()) throw SplitInputError(twhere + ": not an object");
    simdjson::dom::element annotated;
    if (tactic["annotated_tactic"].get(annotated)) continue;
    simdjson::dom::array pair;
    simdjson::dom::array premises;
    if (annotated.get_array().get(pair) || pair.size() != 2 || pair.at(1).get_array().get(premises))
      throw SplitInputError(twhere + ".annotated_tactic: must be [tactic text, [premises]]");
    std::size_t j = 0;
    for (simdjson::dom::element premise : premises) {
      std::string_view name;
      if (premise["full_name"].get_string().get(name))
        throw SplitInputError(
            fmt::format("{}.annotated_tactic[1][{}]: needs a string \"full_name\"", twhere, j));
      ++j;
      if (std::find(out.premises.begin(), out.premises.end(), name) == out.premises.end())
        out.premises.emplace_back(name);
    }
  }
}

bool HoldsArray(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  char c = 0;
  while (in.get(c) && (c == ' ' || c == '\n' || c == '\r' || c == '\t')) {
  }
  return in && c == '[';
}

}  // namespace

std::vector<SplitTheorem> ReadTheoremFile(const fs::path& file) {
  simdjson::padded_string text;
  if (simdjson::padded_string::load(file.string()).get(text))
    throw std::runtime_error("cannot read " + file.string());
  const std::string name = file.string();
  simdjson::ondemand::parser outer;
  simdjson::ondemand::document doc;
  simdjson::ondemand::array array;
  if (auto error = outer.iterate(text).get(doc))
    throw SplitInputError(
        fmt::format("{}: not valid JSON ({})", name, simdjson::error_message(error)));
  if (doc.get_array().get(array)) throw SplitInputError(name + ": not a JSON array of theorems");
  simdjson::dom::parser inner;
  std::vector<SplitTheorem> out;
  std::size_t i = 0;
  for (auto entry : array) {
    SplitTheorem t;
    t.where = fmt::format("{}[{}]", name, i++);
    simdjson::ondemand::object object;
    std::string_view raw;
    if (entry.get_object().get(object) || object.raw_json().get(raw))
      throw SplitInputError(t.where + ": not a JSON object (or the JSON is broken here)");
    while (!raw.empty() &&
           (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t'))
      raw.remove_suffix(1);
    simdjson::dom::element element;
    if (auto error = inner.parse(raw.data(), raw.size()).get(element))
      throw SplitInputError(
          fmt::format("{}: not valid JSON ({})", t.where, simdjson::error_message(error)));
    t.json.assign(raw);
    ReadFields(element, t);
    out.push_back(std::move(t));
  }
  // The on-demand parser stops at the array's end; a token after it is left over.
  const char* rest = nullptr;
  if (!doc.current_location().get(rest))
    throw SplitInputError(name + ": text after the array of theorems");
  return out;
}

std::vector<SplitTheorem> ReadTheorems(const fs::path& path) {
  std::vector<fs::path> files;
  if (fs::is_directory(path)) {
    const fs::path random = path / "random";
    if (fs::is_directory(random)) {
      for (const char* part : {"train", "val", "test"})
        if (fs::is_regular_file(random / (std::string(part) + ".json")))
          files.push_back(random / (std::string(part) + ".json"));
      if (files.empty())
        throw SplitInputError(random.string() + ": holds none of train.json, val.json, test.json");
    } else {
      for (const fs::directory_entry& e : fs::directory_iterator(path))
        if (e.is_regular_file() && e.path().extension() == ".json" && HoldsArray(e.path()))
          files.push_back(e.path());
      std::sort(files.begin(), files.end());
      if (files.empty())
        throw SplitInputError(path.string() +
                              ": no theorems found (expected random/{train,val,test}.json or a "
                              "*.json file holding an array of theorems)");
    }
  } else if (fs::exists(path)) {
    files.push_back(path);
  } else {
    throw std::runtime_error(path.string() + ": no such file or directory");
  }
  std::vector<SplitTheorem> all;
  std::unordered_map<std::string, std::size_t> first;
  for (const fs::path& f : files) {
    for (SplitTheorem& t : ReadTheoremFile(f)) {
      auto [it, added] = first.try_emplace(t.key, all.size());
      if (!added)
        throw SplitInputError(t.where + ": the same theorem (file_path, full_name, start) as " +
                              all[it->second].where);
      all.push_back(std::move(t));
    }
  }
  return all;
}

}  // namespace tatami::data
