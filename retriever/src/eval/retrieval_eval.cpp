#include "tatami/retriever/retrieval_eval.h"

#include <algorithm>
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace tatami::retriever {
namespace {

using nlohmann::json;

// Reads [line, column] at j[key]; `where` names the place for messages.
Pos ReadPos(const json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_array() || it->size() != 2 || !(*it)[0].is_number_integer() ||
      !(*it)[1].is_number_integer()) {
    throw SplitError(fmt::format("{}: \"{}\" must be [line, column]", where, key));
  }
  return Pos{(*it)[0].get<std::int32_t>(), (*it)[1].get<std::int32_t>()};
}

const std::string& ReadString(const json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) {
    throw SplitError(fmt::format("{}: \"{}\" must be a string", where, key));
  }
  return it->get_ref<const std::string&>();
}

}  // namespace

std::vector<EvalTactic> LoadLeanDojoSplit(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SplitError(fmt::format("{}: cannot open", path.string()));
  json data;
  try {
    data = json::parse(in);
  } catch (const json::parse_error& e) {
    throw SplitError(fmt::format("{}: not valid JSON: {}", path.string(), e.what()));
  }
  if (!data.is_array()) {
    throw SplitError(fmt::format("{}: expected a JSON list of theorems", path.string()));
  }
  std::vector<EvalTactic> out;
  for (std::size_t t = 0; t < data.size(); ++t) {
    const json& thm = data[t];
    std::string where = fmt::format("{}: theorem {}", path.string(), t);
    if (!thm.is_object()) throw SplitError(where + ": not an object");
    const std::string& name = ReadString(thm, "full_name", where);
    where += " (" + name + ")";
    const std::string& file = ReadString(thm, "file_path", where);
    const Pos start = ReadPos(thm, "start", where);
    auto tactics = thm.find("traced_tactics");
    if (tactics == thm.end() || !tactics->is_array()) {
      throw SplitError(where + ": \"traced_tactics\" must be a list");
    }
    for (std::size_t i = 0; i < tactics->size(); ++i) {
      const json& tac = (*tactics)[i];
      const std::string twhere = fmt::format("{}: traced tactic {}", where, i);
      if (!tac.is_object()) throw SplitError(twhere + ": not an object");
      EvalTactic e;
      e.theorem_path = file;
      e.theorem_name = name;
      e.theorem_start = start;
      e.tactic_index = i;
      e.state_before = ReadString(tac, "state_before", twhere);
      auto annotated = tac.find("annotated_tactic");
      if (annotated == tac.end() || !annotated->is_array() || annotated->size() != 2 ||
          !(*annotated)[1].is_array()) {
        throw SplitError(twhere + ": \"annotated_tactic\" must be [tactic, [premises...]]");
      }
      for (std::size_t p = 0; p < (*annotated)[1].size(); ++p) {
        const json& prem = (*annotated)[1][p];
        const std::string pwhere = fmt::format("{}: premise {}", twhere, p);
        if (!prem.is_object()) throw SplitError(pwhere + ": not an object");
        e.premises.push_back({ReadString(prem, "full_name", pwhere),
                              ReadString(prem, "def_path", pwhere),
                              ReadPos(prem, "def_pos", pwhere)});
      }
      out.push_back(std::move(e));
    }
  }
  return out;
}

PremiseLocator::PremiseLocator(const PremiseIndex& index) : index_(index) {
  const FileGraph graph = index.BuildFileGraph();
  for (const auto& f : graph.files) ranges_[f.path] = {f.first_premise, f.premise_count};
}

std::optional<std::uint32_t> PremiseLocator::Locate(std::string_view path, Pos pos) const {
  auto it = ranges_.find(std::string(path));
  if (it == ranges_.end()) return std::nullopt;
  const auto [first, count] = it->second;
  for (std::uint32_t i = first; i < first + count; ++i) {
    const PremiseRecord p = index_.premise(i);
    if (p.start <= pos && pos <= p.end) return i;
  }
  return std::nullopt;
}

bool RankingMetrics::Add(std::span<const std::uint32_t> ranked,
                         std::span<const std::uint32_t> positives) {
  const std::set<std::uint32_t> truth(positives.begin(), positives.end());
  if (truth.empty()) return false;
  std::vector<std::size_t> ranks;
  std::set<std::uint32_t> seen;  // a premise retrieved twice counts once
  for (std::size_t i = 0; i < ranked.size(); ++i) {
    if (truth.count(ranked[i]) && seen.insert(ranked[i]).second) ranks.push_back(i + 1);
  }
  positives_.push_back(truth.size());
  hit_ranks_.push_back(std::move(ranks));
  return true;
}

double RankingMetrics::RecallAt(std::size_t k) const {
  if (k == 0) throw std::invalid_argument("Recall@k needs k >= 1");
  if (positives_.empty()) return 0;
  double sum = 0;
  for (std::size_t q = 0; q < positives_.size(); ++q) {
    const auto& r = hit_ranks_[q];
    const auto found = std::upper_bound(r.begin(), r.end(), k) - r.begin();
    sum += static_cast<double>(found) / static_cast<double>(positives_[q]);
  }
  return 100.0 * sum / static_cast<double>(positives_.size());
}

double RankingMetrics::Mrr() const {
  if (positives_.empty()) return 0;
  double sum = 0;
  for (const auto& r : hit_ranks_) {
    if (!r.empty()) sum += 1.0 / static_cast<double>(r.front());
  }
  return sum / static_cast<double>(positives_.size());
}

}  // namespace tatami::retriever
