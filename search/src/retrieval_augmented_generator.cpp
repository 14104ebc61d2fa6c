#include "tatami/search/retrieval_augmented_generator.h"

#include <stdexcept>

namespace tatami::search {

std::string FormatAugmentedState(std::string_view state, const std::vector<std::string>& premises,
                                 std::size_t max_bytes) {
  // Signed: a state longer than the limit leaves no room (ReProver's negative budget).
  const long long budget = static_cast<long long>(max_bytes) - static_cast<long long>(state.size());
  std::string prefix;
  long long used = 0;
  for (const std::string& p : premises) {
    const long long len = static_cast<long long>(p.size()) + 2;
    if (used + len > budget) continue;
    used += len;
    prefix = p + "\n\n" + prefix;
  }
  return prefix + std::string(state);
}

RetrievalAugmentedGenerator::RetrievalAugmentedGenerator(std::shared_ptr<TacticGenerator> inner,
                                                         PremiseSource source)
    : inner_(std::move(inner)), source_(std::move(source)) {
  if (!inner_ || !source_)
    throw std::invalid_argument("RetrievalAugmentedGenerator: needs a generator and a source");
}

std::vector<std::vector<Candidate>> RetrievalAugmentedGenerator::Generate(
    const std::vector<GenerationRequest>& batch) {
  std::vector<GenerationRequest> augmented = batch;
  std::vector<std::string> states;
  std::vector<std::uint64_t> scopes;
  std::vector<std::size_t> which;
  for (std::size_t i = 0; i < augmented.size(); ++i)
    if (augmented[i].premises.empty()) {
      states.push_back(augmented[i].state);
      scopes.push_back(augmented[i].premise_scope);
      which.push_back(i);
    }
  if (!states.empty()) {
    std::vector<std::vector<std::string>> premises = source_(states, scopes);
    if (premises.size() != states.size())
      throw std::runtime_error("premise source returned " + std::to_string(premises.size()) +
                               " lists for " + std::to_string(states.size()) + " states");
    for (std::size_t k = 0; k < which.size(); ++k)
      augmented[which[k]].premises = std::move(premises[k]);
  }
  return inner_->Generate(augmented);
}

}  // namespace tatami::search
