// FixedGenerator: the same list of tactics for every state, all with the
// same score (log(1/n) for n tactics): the zero-model baseline
// (`--generator fixed[:t1,t2,...]`). A request gets the first num_candidates.
//
// Thread-safety: thread-safe (immutable after construction).
#pragma once

#include <string>
#include <vector>

#include "tatami/search/tactic_generator.h"

namespace tatami::search {

// simp, omega, norm_num, linarith, decide, aesop.
std::vector<std::string> DefaultFixedTactics();

class FixedGenerator : public TacticGenerator {
 public:
  // Throws std::invalid_argument for an empty list or an empty tactic.
  explicit FixedGenerator(std::vector<std::string> tactics = DefaultFixedTactics());

  std::vector<std::vector<Candidate>> Generate(
      const std::vector<GenerationRequest>& batch) override;
  std::string Describe() const override;
  bool Deterministic() const override { return true; }
  bool AnswersAtOnce() const override { return true; }  // a lookup in memory

 private:
  std::vector<Candidate> candidates_;
};

}  // namespace tatami::search
