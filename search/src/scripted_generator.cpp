#include "tatami/search/scripted_generator.h"

#include <fstream>
#include <iterator>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace tatami::search {

ScriptedGenerator ScriptedGenerator::FromFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("scripted generator: cannot read " + path.string());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return FromJson(text, path.string());
}

ScriptedGenerator ScriptedGenerator::FromJson(const std::string& json_text,
                                              const std::string& source) {
  using nlohmann::json;
  json doc;
  try {
    doc = json::parse(json_text);
  } catch (const json::exception& e) {
    throw std::runtime_error("scripted generator: " + source + ": not valid JSON (" + e.what() +
                             ")");
  }
  if (!doc.is_object())
    throw std::runtime_error("scripted generator: " + source +
                             ": expected an object {\"STATE\": [{\"tactic\", \"logprob\"}, ...]}");
  ScriptedGenerator g;
  g.source_ = source;
  for (auto& [state, list] : doc.items()) {
    const std::string where = "scripted generator: " + source + ": state " + json(state).dump();
    if (!list.is_array()) throw std::runtime_error(where + ": expected an array of candidates");
    std::vector<Candidate> candidates;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const json& c = list[i];
      if (!c.is_object() || !c.contains("tactic") || !c["tactic"].is_string() ||
          !c.contains("logprob") || !c["logprob"].is_number())
        throw std::runtime_error(where + ": candidate " + std::to_string(i) +
                                 " needs a string \"tactic\" and a number \"logprob\"");
      candidates.push_back({c["tactic"].get<std::string>(), c["logprob"].get<double>()});
    }
    g.table_.emplace(state, std::move(candidates));
  }
  return g;
}

std::vector<std::vector<Candidate>> ScriptedGenerator::Generate(
    const std::vector<GenerationRequest>& batch) {
  std::vector<std::vector<Candidate>> out;
  out.reserve(batch.size());
  for (const GenerationRequest& r : batch) {
    if (r.num_candidates < 0)
      throw std::invalid_argument("ScriptedGenerator: negative num_candidates");
    auto it = table_.find(r.state);
    if (it == table_.end()) {
      out.emplace_back();
      continue;
    }
    const auto n =
        std::min<std::size_t>(it->second.size(), static_cast<std::size_t>(r.num_candidates));
    out.emplace_back(it->second.begin(), it->second.begin() + static_cast<std::ptrdiff_t>(n));
  }
  return out;
}

}  // namespace tatami::search
