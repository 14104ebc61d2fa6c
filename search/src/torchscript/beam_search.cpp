// Hugging Face's beam search (BeamSearchScorer, BeamHypotheses and the
// generate() loop) for length_penalty = 0 and early_stopping = False, with
// the same float32 arithmetic, so that its candidates and scores are
// ReProver's. Rows of finished requests are dropped instead of padded, which
// does not change any result.
#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "decoding.h"

namespace tatami::search::internal {
namespace {

// A request's finished hypotheses, as BeamHypotheses keeps them: at most
// num_beams; a new one enters when there is room or when it beats the worst.
class FinishedHypotheses {
 public:
  explicit FinishedHypotheses(int num_beams) : num_beams_(num_beams) {}

  void Add(const std::vector<std::int64_t>& tokens, float score) {
    if (static_cast<int>(beams_.size()) < num_beams_ || score > worst_) {
      beams_.push_back({tokens, score});
      if (static_cast<int>(beams_.size()) > num_beams_) {
        // Drop the lowest score (ties: the earliest added); the next lowest
        // becomes the worst.
        std::vector<std::size_t> order(beams_.size());
        std::iota(order.begin(), order.end(), std::size_t{0});
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
          return beams_[a].score < beams_[b].score;
        });
        worst_ = beams_[order[1]].score;
        beams_.erase(beams_.begin() + static_cast<std::ptrdiff_t>(order[0]));
      } else {
        worst_ = std::min(score, worst_);
      }
    }
  }

  // With length_penalty 0 no running beam can end above its current score.
  bool IsDone(float best_running_score) const {
    return static_cast<int>(beams_.size()) >= num_beams_ && worst_ >= best_running_score;
  }

  // Best first; among equal scores the later added first (Python's stable
  // sort, then popping from the end).
  std::vector<Hypothesis> Best() const {
    std::vector<Hypothesis> sorted = beams_;
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const Hypothesis& a, const Hypothesis& b) { return a.score < b.score; });
    std::reverse(sorted.begin(), sorted.end());
    if (static_cast<int>(sorted.size()) > num_beams_) sorted.resize(num_beams_);
    return sorted;
  }

 private:
  int num_beams_;
  float worst_ = 1e9f;
  std::vector<Hypothesis> beams_;
};

struct RequestBeams {
  int k = 0;
  std::size_t first_row = 0;  // in the rows of the current step
  bool done = false;
  std::vector<std::vector<std::int64_t>> tokens;  // per beam
  std::vector<float> scores;                      // per beam
  FinishedHypotheses finished{0};
};

struct Candidate {
  float score;
  std::size_t flat;  // beam * vocab + token
};

}  // namespace

std::vector<std::vector<Hypothesis>> BeamSearch(DecodingSession& session,
                                                const std::vector<int>& num_beams,
                                                const DecodingLimits& limits) {
  if (limits.max_length < 2) throw std::invalid_argument("max_length must be at least 2");
  if (limits.vocab_size < 2) throw std::invalid_argument("vocab_size must be at least 2");
  const std::size_t vocab = limits.vocab_size;
  std::vector<RequestBeams> requests(num_beams.size());
  std::vector<std::int64_t> parents, tokens;
  for (std::size_t r = 0; r < requests.size(); ++r) {
    RequestBeams& req = requests[r];
    req.k = std::max(0, num_beams[r]);
    req.finished = FinishedHypotheses(req.k);
    if (req.k == 0) {
      req.done = true;
      continue;
    }
    req.first_row = parents.size();
    req.tokens.assign(req.k, {});
    // Only the first beam is live at the start: the others are copies that
    // must not produce the same continuations.
    req.scores.assign(req.k, -1e9f);
    req.scores[0] = 0.0f;
    for (int b = 0; b < req.k; ++b) {
      parents.push_back(static_cast<std::int64_t>(r));
      tokens.push_back(limits.start_token);
    }
  }
  std::vector<float> log_probs;
  std::vector<Candidate> candidates;
  std::size_t length = 1;  // decoder sequence length, start token included
  while (!parents.empty()) {
    session.Step(parents, tokens, &log_probs);
    if (log_probs.size() != parents.size() * vocab) {
      throw std::runtime_error("decode step returned the wrong number of log-probabilities");
    }
    ++length;
    const bool at_limit = length >= limits.max_length;
    std::vector<std::int64_t> next_parents, next_tokens;
    for (RequestBeams& req : requests) {
      if (req.done) continue;
      const std::size_t k = static_cast<std::size_t>(req.k);
      candidates.clear();
      candidates.reserve(k * vocab);
      for (std::size_t b = 0; b < k; ++b) {
        const float* row = log_probs.data() + (req.first_row + b) * vocab;
        for (std::size_t v = 0; v < vocab; ++v) {
          candidates.push_back({req.scores[b] + row[v], b * vocab + v});
        }
      }
      const std::size_t keep = std::min(2 * k, candidates.size());
      std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(keep),
                        candidates.end(), [](const Candidate& a, const Candidate& b) {
                          return a.score > b.score || (a.score == b.score && a.flat < b.flat);
                        });
      std::vector<std::vector<std::int64_t>> beam_tokens;
      std::vector<float> beam_scores;
      std::vector<std::size_t> beam_parent;
      for (std::size_t rank = 0; rank < keep; ++rank) {
        const std::size_t b = candidates[rank].flat / vocab;
        const auto v = static_cast<std::int64_t>(candidates[rank].flat % vocab);
        if (v == limits.eos_token) {
          if (rank >= k) continue;  // an end below the top k does not count
          req.finished.Add(req.tokens[b], candidates[rank].score);
        } else {
          std::vector<std::int64_t> extended = req.tokens[b];
          extended.push_back(v);
          beam_tokens.push_back(std::move(extended));
          beam_scores.push_back(candidates[rank].score);
          beam_parent.push_back(req.first_row + b);
        }
        if (beam_tokens.size() == k) break;
      }
      if (beam_tokens.size() < k) {
        throw std::runtime_error("beam search found fewer continuations than beams");
      }
      req.done = req.finished.IsDone(candidates[0].score);
      req.tokens = std::move(beam_tokens);
      req.scores = std::move(beam_scores);
      if (req.done) continue;
      if (at_limit) {
        // Out of room: the running beams join the finished ones as they are.
        for (std::size_t b = 0; b < k; ++b) req.finished.Add(req.tokens[b], req.scores[b]);
        req.done = true;
        continue;
      }
      const std::size_t first_row = next_parents.size();
      for (std::size_t b = 0; b < k; ++b) {
        next_parents.push_back(static_cast<std::int64_t>(beam_parent[b]));
        next_tokens.push_back(req.tokens[b].back());
      }
      req.first_row = first_row;
    }
    parents = std::move(next_parents);
    tokens = std::move(next_tokens);
  }
  std::vector<std::vector<Hypothesis>> out;
  out.reserve(requests.size());
  for (const RequestBeams& req : requests) out.push_back(req.finished.Best());
  return out;
}

}  // namespace tatami::search::internal
