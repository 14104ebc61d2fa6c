// Retrieval-augmented generation as ReProver's RetrievalAugmentedGenerator:
// each request is given the top premises retrieved for its state, and a
// model generator builds its input with FormatAugmentedState.
//
// Thread-safety: RetrievalAugmentedGenerator is thread-safe if its premise
// source and the generator behind it are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tatami/search/tactic_generator.h"

namespace tatami::search {

// The input of a retrieval-augmented model, as ReProver's
// format_augmented_state: premises that fit are each followed by a blank
// line and put in front of the state, the best one nearest to it; a premise
// that would push the text past `max_bytes` (UTF-8 bytes) is skipped and
// later, shorter ones may still fit. The state itself is never cut (the
// tokenizer truncates the whole input to its limit). Default limit: 2300,
// ReProver's max_inp_seq_len.
std::string FormatAugmentedState(std::string_view state, const std::vector<std::string>& premises,
                                 std::size_t max_bytes = 2300);

// Premises for a batch of states, best first; one list per state. Request i
// of the batch has state states[i] and premise scope scopes[i]
// (GenerationRequest::premise_scope).
using PremiseSource = std::function<std::vector<std::vector<std::string>>(
    const std::vector<std::string>& states, const std::vector<std::uint64_t>& scopes)>;

class RetrievalAugmentedGenerator : public TacticGenerator {
 public:
  // Requests that already carry premises keep them; the others get the
  // source's premises for their state and scope, all of a batch in one
  // source call (so that an encoder embeds the batch's states together).
  RetrievalAugmentedGenerator(std::shared_ptr<TacticGenerator> inner, PremiseSource source);

  std::vector<std::vector<Candidate>> Generate(
      const std::vector<GenerationRequest>& batch) override;
  std::string Describe() const override { return inner_->Describe() + "+retrieval"; }
  // Retrieval answers a state alike every time.
  bool Deterministic() const override { return inner_->Deterministic(); }
  bool AnswersAtOnce() const override { return inner_->AnswersAtOnce(); }

 private:
  std::shared_ptr<TacticGenerator> inner_;
  PremiseSource source_;
};

}  // namespace tatami::search
