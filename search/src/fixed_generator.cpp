#include "tatami/search/fixed_generator.h"

#include <cmath>
#include <stdexcept>

namespace tatami::search {

std::vector<std::string> DefaultFixedTactics() {
  return {"simp", "omega", "norm_num", "linarith", "decide", "aesop"};
}

FixedGenerator::FixedGenerator(std::vector<std::string> tactics) {
  if (tactics.empty()) throw std::invalid_argument("fixed generator: the tactic list is empty");
  const double score = -std::log(static_cast<double>(tactics.size()));
  for (std::string& t : tactics) {
    if (t.empty()) throw std::invalid_argument("fixed generator: an empty tactic in the list");
    candidates_.push_back({std::move(t), score});
  }
}

std::vector<std::vector<Candidate>> FixedGenerator::Generate(
    const std::vector<GenerationRequest>& batch) {
  std::vector<std::vector<Candidate>> out;
  out.reserve(batch.size());
  for (const GenerationRequest& r : batch) {
    const std::size_t n =
        std::min(candidates_.size(), static_cast<std::size_t>(std::max(r.num_candidates, 0)));
    out.emplace_back(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(n));
  }
  return out;
}

std::string FixedGenerator::Describe() const {
  std::string s = "fixed:";
  for (std::size_t i = 0; i < candidates_.size(); ++i) s += (i ? "," : "") + candidates_[i].tactic;
  return s;
}

}  // namespace tatami::search
