// Decoding of the TorchScript generator against fake backends: Hugging Face's
// beam search rules on hand-made distributions, sampling, the text on both
// sides of the model, and the generator's checks. No libtorch here.
#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tatami/search/torchscript_generator.h"
#include "torchscript/decoding.h"
#include "torchscript/text.h"
#include "torchscript_generator.h"

namespace tatami::search::internal {
namespace {

using Sequence = std::vector<std::int64_t>;
// Next-token log-probabilities after (request, tokens so far).
using NextTokens = std::function<std::vector<float>(std::size_t request, const Sequence&)>;

// A session that keeps every hypothesis's tokens and asks `next` for its
// distribution; it checks the parent/row bookkeeping as it goes.
class FakeSession final : public DecodingSession {
 public:
  FakeSession(std::size_t requests, NextTokens next, std::size_t* steps = nullptr)
      : requests_(requests), next_(std::move(next)), steps_(steps) {}

  void Step(const std::vector<std::int64_t>& parents, const std::vector<std::int64_t>& tokens,
            std::vector<float>* log_probs) override {
    std::vector<std::pair<std::size_t, Sequence>> rows;
    for (std::size_t i = 0; i < parents.size(); ++i) {
      const auto p = static_cast<std::size_t>(parents[i]);
      if (first_) {
        if (p >= requests_) throw std::out_of_range("parent request");
        rows.push_back({p, {}});
      } else {
        if (p >= rows_.size()) throw std::out_of_range("parent row");
        rows.push_back({rows_[p].first, rows_[p].second});
        rows.back().second.push_back(tokens[i]);
      }
    }
    first_ = false;
    rows_ = rows;
    log_probs->clear();
    for (const auto& [request, seq] : rows_) {
      const auto lp = next_(request, seq);
      log_probs->insert(log_probs->end(), lp.begin(), lp.end());
    }
    if (steps_) ++*steps_;
  }

 private:
  std::size_t requests_;
  NextTokens next_;
  std::size_t* steps_;
  bool first_ = true;
  std::vector<std::pair<std::size_t, Sequence>> rows_;
};

// Log-probabilities from probabilities (the rest spread evenly).
std::vector<float> Dist(std::size_t vocab, const std::map<std::int64_t, double>& p) {
  double rest = 1.0;
  for (const auto& [t, q] : p) rest -= q;
  const std::size_t others = vocab - p.size();
  std::vector<float> out(vocab, static_cast<float>(std::log(others ? rest / others : 1e-30)));
  for (const auto& [t, q] : p) out[t] = static_cast<float>(std::log(q));
  return out;
}

// Pseudo-random peaked distributions, a pure function of (request, tokens).
std::vector<float> Hashed(std::size_t request, const Sequence& seq, std::size_t vocab) {
  std::uint64_t h = 1469598103934665603ull + request * 7919;
  for (auto t : seq) h = (h ^ static_cast<std::uint64_t>(t)) * 1099511628211ull;
  std::vector<double> logits(vocab);
  for (std::size_t v = 0; v < vocab; ++v) {
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    logits[v] = static_cast<double>(h % 1000) / 150.0;
  }
  logits[1] += 0.3 * static_cast<double>(seq.size());  // </s> likelier as sequences grow
  double top = *std::max_element(logits.begin(), logits.end()), z = 0;
  for (double l : logits) z += std::exp(l - top);
  std::vector<float> out(vocab);
  for (std::size_t v = 0; v < vocab; ++v)
    out[v] = static_cast<float>(logits[v] - top - std::log(z));
  return out;
}

DecodingLimits Limits(std::size_t vocab, std::size_t max_length) {
  DecodingLimits limits;
  limits.vocab_size = vocab;
  limits.start_token = 0;
  limits.eos_token = 1;
  limits.max_length = max_length;
  return limits;
}

TEST(BeamSearch, OneBeamIsGreedy) {
  const std::size_t vocab = 6;
  FakeSession session(1, [&](std::size_t, const Sequence& seq) {
    if (seq.empty()) return Dist(vocab, {{3, 0.6}, {4, 0.3}});
    if (seq.size() == 1) return Dist(vocab, {{5, 0.5}, {1, 0.4}});
    return Dist(vocab, {{1, 0.9}});
  });
  auto out = BeamSearch(session, {1}, Limits(vocab, 10));
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].size(), 1u);
  EXPECT_EQ(out[0][0].tokens, (Sequence{3, 5}));
  const float expected = std::log(0.6f) + std::log(0.5f) + std::log(0.9f);
  EXPECT_NEAR(out[0][0].score, expected, 1e-5);
}

// Two beams: "a" (0.5) ends at once with 0.5; "b" (0.4) goes on with 0.9.
// Hugging Face keeps a finished "a" (0.25) while "b b" (0.36) runs; the
// search stops once the worst finished beats the best running.
TEST(BeamSearch, FinishedHypothesesAndStopping) {
  const std::size_t vocab = 5;
  std::size_t steps = 0;
  FakeSession session(
      1,
      [&](std::size_t, const Sequence& seq) {
        if (seq.empty()) return Dist(vocab, {{2, 0.5}, {3, 0.4}});
        if (seq == Sequence{2}) return Dist(vocab, {{1, 0.5}, {4, 0.3}});
        if (seq == Sequence{3}) return Dist(vocab, {{3, 0.9}});
        return Dist(vocab, {{1, 0.99}});
      },
      &steps);
  auto out = BeamSearch(session, {2}, Limits(vocab, 20));
  ASSERT_EQ(out[0].size(), 2u);
  EXPECT_EQ(out[0][0].tokens, (Sequence{3, 3}));
  EXPECT_NEAR(out[0][0].score, std::log(0.4) + std::log(0.9) + std::log(0.99), 1e-5);
  EXPECT_EQ(out[0][1].tokens, (Sequence{2}));
  EXPECT_NEAR(out[0][1].score, std::log(0.5) + std::log(0.5), 1e-5);
  EXPECT_LE(steps, 4u);
}

// An end of sequence ranked below the top num_beams candidates is ignored.
TEST(BeamSearch, EndBelowTheTopBeamsIsIgnored) {
  const std::size_t vocab = 6;
  FakeSession session(1, [&](std::size_t, const Sequence& seq) {
    if (seq.empty()) return Dist(vocab, {{2, 0.5}, {3, 0.3}, {1, 0.15}});
    return Dist(vocab, {{1, 0.95}});
  });
  auto out = BeamSearch(session, {2}, Limits(vocab, 10));
  ASSERT_EQ(out[0].size(), 2u);
  EXPECT_EQ(out[0][0].tokens, (Sequence{2}));
  EXPECT_EQ(out[0][1].tokens, (Sequence{3}));  // not the empty tactic (rank 2 of 4)
}

TEST(BeamSearch, RunningBeamsAreKeptAtTheLengthLimit) {
  const std::size_t vocab = 6;
  FakeSession session(1, [&](std::size_t, const Sequence&) {
    return Dist(vocab, {{2, 0.5}, {3, 0.3}, {1, 0.01}});
  });
  auto out = BeamSearch(session, {3}, Limits(vocab, 4));  // 3 tokens at most
  ASSERT_EQ(out[0].size(), 3u);
  EXPECT_EQ(out[0][0].tokens, (Sequence{2, 2, 2}));
  EXPECT_NEAR(out[0][0].score, 3 * std::log(0.5), 1e-5);
  for (const auto& h : out[0]) EXPECT_EQ(h.tokens.size(), 3u);
  EXPECT_GE(out[0][0].score, out[0][1].score);
  EXPECT_GE(out[0][1].score, out[0][2].score);
}

// Requests decoded together give what each gives alone, whatever their beams.
TEST(BeamSearch, BatchEqualsOneAtATime) {
  const std::size_t vocab = 40;
  const std::vector<int> beams = {4, 1, 0, 7, 2};
  auto next = [&](std::size_t request, const Sequence& seq) { return Hashed(request, seq, vocab); };
  FakeSession together(beams.size(), next);
  auto all = BeamSearch(together, beams, Limits(vocab, 12));
  ASSERT_EQ(all.size(), beams.size());
  for (std::size_t r = 0; r < beams.size(); ++r) {
    FakeSession alone(1, [&](std::size_t, const Sequence& seq) { return next(r, seq); });
    auto one = BeamSearch(alone, {beams[r]}, Limits(vocab, 12));
    ASSERT_EQ(all[r].size(), static_cast<std::size_t>(beams[r])) << r;
    ASSERT_EQ(one[0].size(), all[r].size()) << r;
    for (std::size_t i = 0; i < one[0].size(); ++i) {
      EXPECT_EQ(one[0][i].tokens, all[r][i].tokens) << r << " " << i;
      EXPECT_EQ(one[0][i].score, all[r][i].score) << r << " " << i;
    }
  }
}

// Scores are the sums of the tokens' log-probabilities, </s> included.
TEST(BeamSearch, ScoresAreSequenceLogProbabilities) {
  const std::size_t vocab = 30;
  auto next = [&](std::size_t, const Sequence& seq) { return Hashed(0, seq, vocab); };
  FakeSession session(1, next);
  auto out = BeamSearch(session, {6}, Limits(vocab, 9));
  for (const auto& h : out[0]) {
    double sum = 0;
    Sequence prefix;
    for (auto t : h.tokens) {
      sum += next(0, prefix)[t];
      prefix.push_back(t);
    }
    if (h.tokens.size() < 8) sum += next(0, prefix)[1];  // ended with </s>
    EXPECT_NEAR(h.score, sum, 1e-4);
  }
}

TEST(Sampling, TinyTopPIsGreedyAndSeedsReproduce) {
  const std::size_t vocab = 30;
  auto next = [&](std::size_t r, const Sequence& seq) { return Hashed(r, seq, vocab); };
  FakeSession greedy_session(2, next);
  auto greedy = BeamSearch(greedy_session, {1, 1}, Limits(vocab, 9));
  FakeSession sample_session(2, next);
  auto sampled = Sample(sample_session, {3, 2}, {1, 2}, {1.0, 1e-9}, Limits(vocab, 9));
  for (std::size_t r = 0; r < 2; ++r) {
    for (const auto& h : sampled[r]) {
      EXPECT_EQ(h.tokens, greedy[r][0].tokens);
      EXPECT_NEAR(h.score, greedy[r][0].score, 1e-5);
    }
  }
  FakeSession a(2, next), b(2, next), c(2, next);
  auto x = Sample(a, {5, 5}, {7, 8}, {1.3, 0.9}, Limits(vocab, 9));
  auto y = Sample(b, {5, 5}, {7, 8}, {1.3, 0.9}, Limits(vocab, 9));
  auto z = Sample(c, {5, 5}, {9, 10}, {1.3, 0.9}, Limits(vocab, 9));
  bool differs = false;
  for (std::size_t r = 0; r < 2; ++r) {
    for (std::size_t i = 0; i < 5; ++i) {
      EXPECT_EQ(x[r][i].tokens, y[r][i].tokens);
      differs = differs || x[r][i].tokens != z[r][i].tokens;
    }
  }
  EXPECT_TRUE(differs);
}

// Sampling at temperature 1 without top-p draws tokens at their model
// frequencies.
TEST(Sampling, FollowsTheModelDistribution) {
  const std::size_t vocab = 5;
  auto next = [&](std::size_t, const Sequence& seq) {
    if (seq.empty()) return Dist(vocab, {{2, 0.6}, {3, 0.3}, {4, 0.0999}});
    return Dist(vocab, {{1, 1.0 - 3e-12}});
  };
  FakeSession session(1, next);
  const int n = 4000;
  auto out = Sample(session, {n}, {42}, {1.0, 1.0}, Limits(vocab, 5));
  std::map<std::int64_t, int> counts;
  for (const auto& h : out[0]) counts[h.tokens.at(0)]++;
  EXPECT_NEAR(counts[2] / double(n), 0.6, 0.04);
  EXPECT_NEAR(counts[3] / double(n), 0.3, 0.04);
  EXPECT_NEAR(counts[4] / double(n), 0.1, 0.03);
  // top_p 0.85 keeps 2 and 3 only.
  FakeSession nucleus(1, next);
  out = Sample(nucleus, {n}, {42}, {1.0, 0.85}, Limits(vocab, 5));
  counts.clear();
  for (const auto& h : out[0]) counts[h.tokens.at(0)]++;
  EXPECT_EQ(counts[4], 0);
  EXPECT_NEAR(counts[2] / double(n), 0.6 / 0.9, 0.04);
}

TEST(Text, ByT5DecodeDropsSpecialsAndInvalidUtf8LikePython) {
  auto ids = [](const std::string& bytes) {
    Sequence out;
    for (unsigned char c : bytes) out.push_back(c + 3);
    return out;
  };
  EXPECT_EQ(ByT5DecodeLossy(ids("simp [h]")), "simp [h]");
  EXPECT_EQ(ByT5DecodeLossy(ids("\xE2\x8A\xA2 x")), "\xE2\x8A\xA2 x");
  // b"\xe2\x8a A\xff\x80B\xf0\x9f\x98".decode("utf-8", "ignore") == " AB"
  EXPECT_EQ(ByT5DecodeLossy(ids("\xE2\x8A A\xFF\x80"
                                "B\xF0\x9F\x98")),
            " AB");
  Sequence with_specials = {0, 'a' + 3, 1, 2, 300, 'b' + 3};
  EXPECT_EQ(ByT5DecodeLossy(with_specials), "ab");
}

TEST(Text, RemoveMarksAndAugmentedInput) {
  EXPECT_EQ(RemoveMarks("rw [<a>Nat.add_comm</a>]"), "rw [Nat.add_comm]");
  EXPECT_EQ(RemoveMarks("<<a>/a>x"), "x");  // "<a>" first, then "</a>"
  EXPECT_EQ(AugmentedInput("S", {}, 100), "S");
  // Best premise nearest the state; a premise that does not fit is skipped.
  EXPECT_EQ(AugmentedInput("state", {"p1", std::string(50, 'x'), "p3"}, 20), "p3\n\np1\n\nstate");
  EXPECT_EQ(AugmentedInput("a long state", {"p"}, 5), "a long state");
}

// A backend whose session is a FakeSession over Hashed distributions.
class FakeBackend final : public GeneratorBackend {
 public:
  explicit FakeBackend(GeneratorModelInfo info, NextTokens next = nullptr)
      : info_(std::move(info)), next_(std::move(next)) {}
  const GeneratorModelInfo& info() const override { return info_; }
  std::unique_ptr<DecodingSession> Start(const retriever::TokenBatch& batch) override {
    batches.push_back(batch);
    NextTokens next = next_;
    if (!next) {
      // Request identity is its first input byte, so batches can be compared.
      std::vector<std::size_t> keys;
      for (std::size_t r = 0; r < batch.rows; ++r) {
        keys.push_back(static_cast<std::size_t>(batch.ids[r * batch.length]));
      }
      const std::size_t vocab = info_.vocab_size;
      next = [keys, vocab](std::size_t r, const Sequence& seq) {
        return Hashed(keys[r], seq, vocab);
      };
    }
    return std::make_unique<FakeSession>(batch.rows, next);
  }
  std::vector<retriever::TokenBatch> batches;

 private:
  GeneratorModelInfo info_;
  NextTokens next_;
};

GeneratorModelInfo Info() {
  GeneratorModelInfo info;
  info.contract_version = 1;
  info.vocab_size = 384;
  info.max_input_length = 64;
  info.max_output_length = 8;
  info.runtime = "fake";
  return info;
}

TEST(TorchScriptGenerator, DecodesMarksAndDropsDuplicates) {
  // "<a>x</a>" and "x" are the same tactic once marks are removed.
  auto tokens = [](const std::string& s) {
    Sequence out;
    for (unsigned char c : s) out.push_back(c + 3);
    return out;
  };
  const Sequence marked = tokens("<a>x</a>"), plain = tokens("x");
  auto backend = std::make_unique<FakeBackend>(Info(), [&](std::size_t, const Sequence& seq) {
    if (seq.empty()) return Dist(384, {{marked[0], 0.5}, {plain[0], 0.4}});
    if (seq.size() < marked.size() && Sequence(marked.begin(), marked.begin() + seq.size()) == seq)
      return Dist(384, {{marked[seq.size()], 0.99}});
    return Dist(384, {{1, 0.99}});
  });
  TorchScriptGeneratorOptions options;
  options.max_output_length = 12;
  auto gen = MakeTorchScriptGeneratorOver(std::move(backend), "fake.pt", options);
  auto out = gen->Generate({{"s", {}, 2}});
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].size(), 1u);
  EXPECT_EQ(out[0][0].tactic, "x");
  EXPECT_NEAR(out[0][0].logprob, std::log(0.5) + 7 * std::log(0.99) + std::log(0.99), 1e-4);
}

TEST(TorchScriptGenerator, BatchesRequestsAndSkipsThoseWantingNothing) {
  auto backend = std::make_unique<FakeBackend>(Info());
  FakeBackend* raw = backend.get();
  auto gen = MakeTorchScriptGeneratorOver(std::move(backend), "fake.pt", {});
  const std::vector<GenerationRequest> batch = {{"a", {}, 3}, {"b", {}, 0}, {"c", {"premise"}, 5}};
  auto together = gen->Generate(batch);
  ASSERT_EQ(raw->batches.size(), 1u);
  EXPECT_EQ(raw->batches[0].rows, 2u);  // "b" wants no candidates
  ASSERT_EQ(together.size(), 3u);
  EXPECT_TRUE(together[1].empty());
  EXPECT_FALSE(together[0].empty());
  EXPECT_LE(together[0].size(), 3u);
  // The premise comes first in the input: ReProver's augmented state.
  const auto& ids = raw->batches[0].ids;
  const std::size_t len = raw->batches[0].length;
  std::string second;
  for (std::size_t i = 0; i < len && ids[len + i] > 2; ++i)
    second.push_back(char(ids[len + i] - 3));
  EXPECT_EQ(second, "premise\n\nc");
  for (std::size_t r : {0u, 2u}) {
    auto alone = gen->Generate({batch[r]});
    EXPECT_EQ(alone[0], together[r]) << r;
  }
  EXPECT_NE(gen->Describe().find("beam search"), std::string::npos) << gen->Describe();
}

TEST(TorchScriptGenerator, RefusesBrokenContractsAndBadInput) {
  auto make = [](GeneratorModelInfo info, TorchScriptGeneratorOptions options = {}) {
    return MakeTorchScriptGeneratorOver(std::make_unique<FakeBackend>(info), "m.pt", options);
  };
  auto message = [&](GeneratorModelInfo info) -> std::string {
    try {
      make(info);
    } catch (const TorchScriptGeneratorError& e) {
      return e.what();
    }
    return "";
  };
  GeneratorModelInfo info = Info();
  info.contract_version = 2;
  EXPECT_NE(message(info).find("contract_version 2"), std::string::npos);
  info = Info();
  info.vocab_size = 100;
  EXPECT_NE(message(info).find("vocab_size 100"), std::string::npos);
  info = Info();
  info.eos_token_id = 384;
  EXPECT_NE(message(info).find("eos_token_id"), std::string::npos);
  info = Info();
  info.max_output_length = 1;
  EXPECT_NE(message(info).find("m.pt: max_output_length"), std::string::npos);
  TorchScriptGeneratorOptions options;
  options.decoding = TorchScriptGeneratorOptions::Decoding::kSampling;
  options.temperature = 0;
  EXPECT_THROW(make(Info(), options), std::invalid_argument);
  options.temperature = 1;
  options.top_p = 1.5;
  EXPECT_THROW(make(Info(), options), std::invalid_argument);
  auto gen = make(Info());
  try {
    gen->Generate({{"ok", {}, 2}, {"bad \xC3", {}, 2}});
    ADD_FAILURE() << "invalid UTF-8 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("request 1"), std::string::npos) << e.what();
  }
}

TEST(TorchScriptGenerator, MissingModelOrPluginIsAClearError) {
  auto message = [](const std::filesystem::path& model, TorchScriptGeneratorOptions options) {
    try {
      MakeTorchScriptGenerator(model, options);
    } catch (const TorchScriptGeneratorError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(message("/nonexistent/model.pt", {}).find("no such file"), std::string::npos);
  TorchScriptGeneratorOptions options;
  options.plugin = "/nonexistent/libtatami_torch_generator.so";
  const std::string e = message(TATAMI_SOURCE_DIR "/README.md", options);
  EXPECT_NE(e.find("TATAMI_TORCH_GENERATOR_PLUGIN"), std::string::npos) << e;
  EXPECT_NE(e.find("/nonexistent/libtatami_torch_generator.so: not found"), std::string::npos) << e;
}

}  // namespace
}  // namespace tatami::search::internal
