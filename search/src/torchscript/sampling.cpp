// Sampling as Hugging Face's generate(do_sample=True) warps the scores:
// log-probabilities divided by the temperature, then top-p (nucleus)
// filtering over the sorted distribution, then one draw per sequence.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

#include "decoding.h"

namespace tatami::search::internal {
namespace {

// Draws a token from one row of log-probabilities.
std::int64_t Draw(const float* log_probs, std::size_t vocab, const SamplingParams& params,
                  std::mt19937_64& rng, std::vector<double>& weights,
                  std::vector<std::size_t>& order) {
  weights.resize(vocab);
  double top = -INFINITY;
  for (std::size_t v = 0; v < vocab; ++v) {
    weights[v] = static_cast<double>(log_probs[v]) / params.temperature;
    top = std::max(top, weights[v]);
  }
  double total = 0;
  for (std::size_t v = 0; v < vocab; ++v) {
    weights[v] = std::exp(weights[v] - top);
    total += weights[v];
  }
  if (params.top_p < 1.0) {
    // Remove the least likely tokens whose cumulative probability, counted
    // from the least likely, stays within 1 - top_p; the most likely stays.
    order.resize(vocab);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return weights[a] < weights[b]; });
    double cumulative = 0;
    for (std::size_t i = 0; i + 1 < vocab; ++i) {
      cumulative += weights[order[i]] / total;
      if (cumulative > 1.0 - params.top_p) break;
      weights[order[i]] = 0;
    }
    total = 0;
    for (double w : weights) total += w;
  }
  std::uniform_real_distribution<double> uniform(0.0, total);
  double u = uniform(rng);
  std::size_t last_kept = 0;
  for (std::size_t v = 0; v < vocab; ++v) {
    if (weights[v] <= 0) continue;
    last_kept = v;
    if (u < weights[v]) return static_cast<std::int64_t>(v);
    u -= weights[v];
  }
  return static_cast<std::int64_t>(last_kept);  // rounding left u just above the sum
}

struct Row {
  std::size_t request;
  std::size_t sample;
  Hypothesis hypothesis;
};

}  // namespace

std::vector<std::vector<Hypothesis>> Sample(DecodingSession& session,
                                            const std::vector<int>& num_samples,
                                            const std::vector<std::uint64_t>& seeds,
                                            const SamplingParams& params,
                                            const DecodingLimits& limits) {
  if (!(params.temperature > 0) || !std::isfinite(params.temperature)) {
    throw std::invalid_argument("sampling temperature must be positive");
  }
  if (!(params.top_p > 0 && params.top_p <= 1)) {
    throw std::invalid_argument("sampling top_p must be in (0, 1]");
  }
  if (limits.max_length < 2) throw std::invalid_argument("max_length must be at least 2");
  if (seeds.size() != num_samples.size()) throw std::invalid_argument("one seed per request");
  const std::size_t vocab = limits.vocab_size;
  std::vector<std::vector<Hypothesis>> out(num_samples.size());
  std::vector<std::mt19937_64> rngs;
  rngs.reserve(seeds.size());
  for (auto seed : seeds) rngs.emplace_back(seed);
  std::vector<Row> rows;
  std::vector<std::int64_t> parents, tokens;
  for (std::size_t r = 0; r < num_samples.size(); ++r) {
    out[r].resize(static_cast<std::size_t>(std::max(0, num_samples[r])));
    for (int s = 0; s < num_samples[r]; ++s) {
      rows.push_back({r, static_cast<std::size_t>(s), {}});
      parents.push_back(static_cast<std::int64_t>(r));
      tokens.push_back(limits.start_token);
    }
  }
  std::vector<float> log_probs;
  std::vector<double> weights;
  std::vector<std::size_t> order;
  std::size_t length = 1;
  while (!rows.empty()) {
    session.Step(parents, tokens, &log_probs);
    if (log_probs.size() != rows.size() * vocab) {
      throw std::runtime_error("decode step returned the wrong number of log-probabilities");
    }
    ++length;
    std::vector<Row> next_rows;
    std::vector<std::int64_t> next_parents, next_tokens;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      Row& row = rows[i];
      const float* lp = log_probs.data() + i * vocab;
      const std::int64_t token = Draw(lp, vocab, params, rngs[row.request], weights, order);
      row.hypothesis.score += lp[token];
      const bool ended = token == limits.eos_token;
      if (!ended) row.hypothesis.tokens.push_back(token);
      if (ended || length >= limits.max_length) {
        out[row.request][row.sample] = std::move(row.hypothesis);
        continue;
      }
      next_parents.push_back(static_cast<std::int64_t>(i));
      next_tokens.push_back(token);
      next_rows.push_back(std::move(row));
    }
    rows = std::move(next_rows);
    parents = std::move(next_parents);
    tokens = std::move(next_tokens);
  }
  return out;
}

}  // namespace tatami::search::internal
