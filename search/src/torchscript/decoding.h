// Decoding with a GeneratorBackend's session: Hugging Face's beam search as
// ReProver calls it, and sampling. Both decode every request of a batch
// together, one session step per output position.
//
// Thread-safety: stateless functions; a session must not be shared.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "generator_plugin_abi.h"

namespace tatami::search::internal {

// What decoding needs to know about the model.
struct DecodingLimits {
  std::size_t vocab_size = 0;
  std::int64_t start_token = 0;
  std::int64_t eos_token = 1;
  // Hugging Face's max_length: the decoder sequence, start token included,
  // so at most max_length - 1 tokens are generated. At least 2.
  std::size_t max_length = 0;
};

// A finished sequence: the generated ids (no start token, no end token) and
// its score, the sum of the tokens' log-probabilities (</s> included when the
// sequence ended with it), accumulated in float32 as Hugging Face does.
struct Hypothesis {
  std::vector<std::int64_t> tokens;
  float score = 0;
};

// Beam search for each request i with num_beams[i] beams, returning
// num_beams[i] hypotheses per request, best first: Hugging Face's generate()
// with num_beams = num_return_sequences, length_penalty = 0,
// early_stopping = False, do_sample = False (see docs/generator.md for the
// rules it reproduces). A request with 0 beams gets no hypotheses and no rows.
// The session was started on a batch with one row per request.
std::vector<std::vector<Hypothesis>> BeamSearch(DecodingSession& session,
                                                const std::vector<int>& num_beams,
                                                const DecodingLimits& limits);

struct SamplingParams {
  // Divides the log-probabilities before sampling (> 0).
  double temperature = 1.0;
  // Nucleus: sample among the most likely tokens whose probabilities sum to
  // at least top_p (0 < top_p <= 1; at least one token is kept).
  double top_p = 1.0;
};

// Draws num_samples[i] independent sequences for request i, each token from
// the temperature- and top-p-adjusted distribution, with a random generator
// seeded by seeds[i] (so a request's samples do not depend on the rest of the
// batch). A hypothesis's score is the model's own log-probability of the
// sequence (without temperature or top-p). Returned in drawing order.
std::vector<std::vector<Hypothesis>> Sample(DecodingSession& session,
                                            const std::vector<int>& num_samples,
                                            const std::vector<std::uint64_t>& seeds,
                                            const SamplingParams& params,
                                            const DecodingLimits& limits);

}  // namespace tatami::search::internal
