// The batching front's flush rule (every client accounted for) and asking
// ahead of need: prefetches, their answers taken by Get, withdrawn
// predictions, demands before prefetches, failed batches retried without
// their predictions, and speculative search finding exactly what plain
// search finds (also when the model fails on a prediction).
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fake_environment.h"
#include "tatami/search/batching_generator.h"
#include "tatami/search/best_first_search.h"
#include "tatami/search/scripted_generator.h"

namespace tatami::search {
namespace {

// No flush may come from the time limit in these tests: a broken rule hangs
// (and the test times out) instead of passing late.
constexpr auto kForever = std::chrono::hours(24);

BatchingOptions NoTimeFlush(std::size_t max_batch = BatchingOptions{}.max_batch) {
  BatchingOptions o;
  o.max_batch = max_batch;
  o.max_wait = kForever;
  return o;
}

GenerationRequest Req(std::string state) {
  GenerationRequest r;
  r.state = std::move(state);
  r.num_candidates = 4;
  return r;
}

// Answers "<key>!" for each request and records the batches' keys (the
// state, followed by "@<scope>" when its premise scope is not 0). With a gate,
// its first call waits until the gate opens (so that a test can act while a
// batch is with the generator).
class Recorder : public TacticGenerator {
 public:
  explicit Recorder(bool gated = false) : gated_(gated) {}
  std::vector<std::vector<Candidate>> Generate(
      const std::vector<GenerationRequest>& batch) override {
    bool wait = false;
    {
      std::lock_guard lock(mu_);
      std::vector<std::string> keys;
      for (const auto& r : batch) keys.push_back(Key(r));
      batches_.push_back(keys);
      wait = gated_ && batches_.size() == 1;
    }
    recorded_.notify_all();
    if (wait) {
      entered_.set_value();
      gate_.get_future().wait();
    }
    std::vector<std::vector<Candidate>> out;
    for (const auto& r : batch) out.push_back({{Key(r) + "!", -1}});
    return out;
  }
  static std::string Key(const GenerationRequest& r) {
    return r.premise_scope == 0 ? r.state : r.state + "@" + std::to_string(r.premise_scope);
  }
  std::string Describe() const override { return "recorder"; }
  bool Deterministic() const override { return true; }

  void WaitEntered() { entered_.get_future().wait(); }
  void Open() { gate_.set_value(); }
  // Returns once `n` batches have been sent (their requests are no longer
  // queued).
  void WaitForBatches(std::size_t n) {
    std::unique_lock lock(mu_);
    recorded_.wait(lock, [&] { return batches_.size() >= n; });
  }
  std::vector<std::vector<std::string>> batches() {
    std::lock_guard lock(mu_);
    return batches_;
  }

 private:
  bool gated_;
  std::mutex mu_;
  std::condition_variable recorded_;
  std::vector<std::vector<std::string>> batches_;
  std::promise<void> entered_, gate_;
};

using Batches = std::vector<std::vector<std::string>>;

// A Recorder whose every batch holding a request for `poison` fails, as a
// model that runs out of memory on one input fails its whole batch.
class FailsOn : public Recorder {
 public:
  explicit FailsOn(std::string poison) : poison_(std::move(poison)) {}
  std::vector<std::vector<Candidate>> Generate(
      const std::vector<GenerationRequest>& batch) override {
    std::vector<std::vector<Candidate>> out = Recorder::Generate(batch);
    for (const auto& r : batch)
      if (r.state == poison_) throw std::runtime_error("out of memory on " + poison_);
    return out;
  }

 private:
  std::string poison_;
};

TEST(BatchingFlush, GoesWhenEveryClientIsWaitingOrSettled) {
  auto inner = std::make_shared<Recorder>();
  BatchingGenerator g(inner, NoTimeFlush(8));
  BatchingGenerator::Client a(g), b(g), c(g);
  a.Settle();  // a needs nothing: b and c waiting make "everyone"
  std::string from_b, from_c;
  std::thread tb([&] { from_b = b.Get(Req("b")).front().tactic; });
  std::thread tc([&] { from_c = c.Get(Req("c")).front().tactic; });
  tb.join();
  tc.join();
  EXPECT_EQ(from_b, "b!");
  EXPECT_EQ(from_c, "c!");
  ASSERT_EQ(inner->batches().size(), 1u);
  EXPECT_EQ(inner->batches()[0].size(), 2u);
}

TEST(BatchingFlush, AClientThatLeavesNoLongerHoldsTheBatch) {
  auto inner = std::make_shared<Recorder>();
  BatchingGenerator g(inner, NoTimeFlush());
  BatchingGenerator::Client a(g);
  auto b = std::make_unique<BatchingGenerator::Client>(g);
  std::string got;
  std::thread ta([&] { got = a.Get(Req("a")).front().tactic; });
  b.reset();
  ta.join();
  EXPECT_EQ(got, "a!");
}

TEST(Prefetch, ItsAnswerServesTheLaterGetWithoutAskingAgain) {
  auto inner = std::make_shared<Recorder>();
  BatchingGenerator g(inner, NoTimeFlush());
  BatchingGenerator::Client a(g);
  a.Predict({Req("p")});
  a.Predict({Req("p")});  // asked already: not queued twice
  EXPECT_EQ(a.Get(Req("p")), (std::vector<Candidate>{{"p!", -1}}));
  EXPECT_EQ(inner->batches(), (Batches{{"p"}}));
  EXPECT_EQ(g.stats().prefetch_hits, 1u);
  // Taken: a second Get asks the generator.
  EXPECT_EQ(a.Get(Req("p")).front().tactic, "p!");
  EXPECT_EQ(inner->batches().size(), 2u);
}

TEST(Prefetch, APredictionForAnotherPremiseScopeIsNotTheAnswer) {
  auto inner = std::make_shared<Recorder>();
  BatchingGenerator g(inner, NoTimeFlush());
  BatchingGenerator::Client a(g);
  GenerationRequest theirs = Req("p");
  theirs.premise_scope = 1;
  a.Predict({theirs});
  EXPECT_EQ(a.Get(theirs).front().tactic, "p@1!");
  EXPECT_EQ(g.stats().prefetch_hits, 1u);
  // Whether or not this prediction is sent before the Get below withdraws
  // it, its answer is not the Get's.
  a.Predict({theirs});
  GenerationRequest mine = Req("p");
  mine.premise_scope = 2;  // same state, other premises: asked anew
  EXPECT_EQ(a.Get(mine).front().tactic, "p@2!");
  EXPECT_EQ(g.stats().prefetch_hits, 1u);
  const Batches sent = inner->batches();
  ASSERT_FALSE(sent.empty());
  EXPECT_EQ(sent.back(), std::vector<std::string>{"p@2"});
}

TEST(Prefetch, ANewerPredictionWithdrawsOneNotYetSent) {
  auto inner = std::make_shared<Recorder>(/*gated=*/true);
  BatchingGenerator g(inner, NoTimeFlush());
  BatchingGenerator::Client a(g);
  a.Predict({Req("x")});
  inner->WaitEntered();   // "x" is with the generator
  a.Predict({Req("y")});  // queued behind it ...
  a.Predict({Req("z")});  // ... and replaced before it was sent
  inner->Open();
  EXPECT_EQ(a.Get(Req("z")).front().tactic, "z!");
  EXPECT_EQ(a.Get(Req("x")).front().tactic, "x!");  // kept for later
  EXPECT_EQ(inner->batches(), (Batches{{"x"}, {"z"}}));
  EXPECT_EQ(g.stats().prefetch_hits, 2u);
}

TEST(Prefetch, DemandsGoBeforePrefetchesInABatch) {
  auto inner = std::make_shared<Recorder>();
  BatchingGenerator g(inner, NoTimeFlush(2));
  BatchingGenerator::Client a(g), b(g);
  a.Predict({Req("p")});  // first in the queue; b is not accounted for yet
  std::string got;
  std::thread tb([&] { got = b.Get(Req("d")).front().tactic; });
  tb.join();
  EXPECT_EQ(got, "d!");
  EXPECT_EQ(inner->batches(), (Batches{{"d", "p"}}));
  EXPECT_EQ(g.stats().prefetched, 1u);
}

TEST(Prefetch, ForgetDropsAnswersAndTheUnsentPrediction) {
  auto inner = std::make_shared<Recorder>(/*gated=*/true);
  BatchingGenerator g(inner, NoTimeFlush());
  BatchingGenerator::Client a(g);
  a.Predict({Req("x")});
  inner->WaitEntered();
  a.Predict({Req("y")});
  a.Forget();
  inner->Open();
  EXPECT_EQ(a.Get(Req("x")).front().tactic, "x!");  // asked again
  EXPECT_EQ(inner->batches(), (Batches{{"x"}, {"x"}}));
  EXPECT_EQ(g.stats().prefetch_hits, 0u);
}

TEST(Prefetch, AFailedBatchIsRetriedWithoutItsPredictions) {
  auto inner = std::make_shared<FailsOn>("bad");
  BatchingGenerator g(inner, NoTimeFlush());
  BatchingGenerator::Client a(g);
  // The demand "d" and the prediction "bad" go in one batch, which fails;
  // "d" is asked again alone, as it would have been without the prediction.
  EXPECT_EQ(a.Get(Req("d"), {Req("bad")}).front().tactic, "d!");
  EXPECT_EQ(inner->batches(), (Batches{{"d", "bad"}, {"d"}}));
}

TEST(Prefetch, APredictionFailedByAnotherIsAskedAgainWhenNeeded) {
  auto inner = std::make_shared<FailsOn>("bad");
  BatchingGenerator g(inner, NoTimeFlush());
  BatchingGenerator::Client a(g);
  a.Predict({Req("p"), Req("bad")});
  inner->WaitForBatches(1);
  // Whether this Get finds "p" queued, with the generator or failed, its
  // answer is the one "p" alone gets.
  EXPECT_EQ(a.Get(Req("p")).front().tactic, "p!");
  // The prediction's own error reaches a Get that needs it, and only as a
  // request of its own would: asked again alone, and failing alone.
  EXPECT_THROW(a.Get(Req("bad")), std::runtime_error);
  EXPECT_EQ(inner->batches(), (Batches{{"p", "bad"}, {"p"}, {"bad"}}));
}

TEST(Prefetch, ABatchOfDemandsOnlyFailsForAllOfThem) {
  auto inner = std::make_shared<FailsOn>("bad");
  BatchingGenerator g(inner, NoTimeFlush());
  BatchingGenerator::Client a(g), b(g);
  // Batching without speculation shares a failure: not retried.
  std::thread tb([&] { EXPECT_THROW(b.Get(Req("bad")), std::runtime_error); });
  EXPECT_THROW(a.Get(Req("d")), std::runtime_error);
  tb.join();
  EXPECT_EQ(inner->batches().size(), 1u);
}

// On a thread of its own: asks for `state`, checks the answer, then declares
// that the client needs nothing more.
std::thread AskThenSettle(BatchingGenerator::Client& client, std::string state) {
  return std::thread([&client, state = std::move(state)] {
    EXPECT_EQ(client.Get(Req(state)).front().tactic, state + "!");
    client.Settle();
  });
}

TEST(Predict, EveryClientsFirstPredictionGoesBeforeAnySecondOne) {
  auto inner = std::make_shared<Recorder>(/*gated=*/true);
  BatchingGenerator g(inner, NoTimeFlush(3));
  BatchingGenerator::Client a(g), b(g), c(g);
  a.Settle();
  b.Settle();
  std::thread tc = AskThenSettle(c, "z");
  inner->WaitEntered();  // "z" is with the generator
  a.Predict({Req("x1"), Req("x2")});
  b.Predict({Req("y1"), Req("y2")});
  inner->Open();
  tc.join();
  // Sent before the Gets below, which would otherwise withdraw what is left.
  inner->WaitForBatches(2);
  EXPECT_EQ(a.Get(Req("x2")).front().tactic, "x2!");
  a.Settle();
  EXPECT_EQ(b.Get(Req("y2")).front().tactic, "y2!");
  EXPECT_EQ(inner->batches(), (Batches{{"z"}, {"x1", "y1", "x2"}, {"y2"}}));
}

TEST(Predict, ANewListWithdrawsTheUnsentPredictionsItNoLongerHolds) {
  auto inner = std::make_shared<Recorder>(/*gated=*/true);
  BatchingGenerator g(inner, NoTimeFlush());
  BatchingGenerator::Client a(g);
  a.Predict({Req("x")});
  inner->WaitEntered();             // "x" is with the generator
  a.Predict({Req("y"), Req("w")});  // both queued behind it
  a.Predict({Req("w"), Req("v")});  // "y" withdrawn, "w" first now
  inner->Open();
  EXPECT_EQ(a.Get(Req("w"), {Req("v")}).front().tactic, "w!");
  EXPECT_EQ(a.Get(Req("v")).front().tactic, "v!");
  EXPECT_EQ(a.Get(Req("x")).front().tactic, "x!");  // sent, so kept for later
  EXPECT_EQ(a.Get(Req("y")).front().tactic, "y!");  // withdrawn: asked now
  EXPECT_EQ(inner->batches(), (Batches{{"x"}, {"w", "v"}, {"y"}}));
  EXPECT_EQ(g.stats().prefetch_hits, 3u);
}

TEST(Predict, AClientWithTwoAnswersInHandDoesNotHoldABatch) {
  auto inner = std::make_shared<Recorder>();
  // A client wrongly waited for hangs the test.
  BatchingGenerator g(inner, NoTimeFlush());
  BatchingGenerator::Client a(g), b(g), c(g);
  a.Predict({Req("p1"), Req("p2")});
  b.Settle();
  // Once c has its answer, a's two predictions (in the same batch) are
  // answered too.
  EXPECT_EQ(c.Get(Req("d")).front().tactic, "d!");
  c.Settle();
  EXPECT_EQ(b.Get(Req("q")).front().tactic, "q!");
  EXPECT_EQ(inner->batches(), (Batches{{"d", "p1", "p2"}, {"q"}}));
}

TEST(Predict, AnEmptyListWithdrawsEveryUnsentPrediction) {
  auto inner = std::make_shared<Recorder>(/*gated=*/true);
  BatchingGenerator g(inner, NoTimeFlush());
  BatchingGenerator::Client a(g), b(g);
  a.Settle();
  std::thread tb = AskThenSettle(b, "d");
  inner->WaitEntered();  // "d" is with the generator
  a.Predict({Req("p1"), Req("p2")});
  a.Predict({});  // as a Get without predictions does
  inner->Open();
  tb.join();
  EXPECT_EQ(a.Get(Req("q")).front().tactic, "q!");
  EXPECT_EQ(inner->batches(), (Batches{{"d"}, {"q"}}));
}

TEST(Predict, ForgetCountsSentPredictionsNeverTaken) {
  auto inner = std::make_shared<Recorder>();
  BatchingGenerator g(inner, NoTimeFlush());
  BatchingGenerator::Client a(g);
  a.Predict({Req("p1"), Req("p2")});
  // Still predicted, so sent with "p1" at the latest.
  EXPECT_EQ(a.Get(Req("p1"), {Req("p2")}).front().tactic, "p1!");
  a.Forget();
  EXPECT_EQ(g.stats().prefetch_unused, 1u);  // "p2"
}

// Graphs where children often overtake the predicted node and merges and
// cycles occur: speculation must change nothing the search finds or runs.
struct Graph {
  std::string root;
  testing::FakeEnvironment::Table table;
  std::string scripted;
};

// Appends numbers to a prefix (operator+ on a temporary std::string trips
// g++ 12's -Wrestrict at -O2).
std::string Name(std::string prefix, int a, int b = -1) {
  prefix += std::to_string(a);
  if (b >= 0) {
    prefix += '_';
    prefix += std::to_string(b);
  }
  return prefix;
}

Graph MakeGraph() {
  Graph g;
  g.root = "S0";
  nlohmann::json j = nlohmann::json::object();
  const double lps[] = {-0.25, -0.5, -1.0, -2.0};
  for (int i = 0; i < 40; ++i) {
    const std::string s = Name("S", i);
    j[s] = nlohmann::json::array();
    for (int k = 0; k < 3; ++k) {
      const std::string t = Name("t", i, k);
      const int to = (i * 7 + k * 13 + 1) % 40;
      g.table[s][t] = (i == 37 && k == 2)      ? "done"
                      : (k == 1 && i % 5 == 0) ? "error"
                                               : Name("=S", to);
      j[s].push_back({{"tactic", t}, {"logprob", lps[(i + k) % 4]}});
    }
  }
  g.scripted = j.dump();
  return g;
}

SearchResult Search(const Graph& graph, std::size_t depth, BatchingStats* stats,
                    std::vector<std::pair<std::string, std::string>>* calls) {
  auto scripted =
      std::make_shared<ScriptedGenerator>(ScriptedGenerator::FromJson(graph.scripted, "g"));
  BatchingGenerator g(scripted, NoTimeFlush());
  BatchingGenerator::Client client(g);
  testing::FakeEnvironment env(graph.root, graph.table);
  SearchOptions so;
  so.batching = &client;
  so.speculation_depth = depth;
  SearchResult r = BestFirstSearch(env, g, so);
  *stats = g.stats();
  *calls = env.calls;
  return r;
}

TEST(SpeculativeSearch, FindsAndRunsExactlyWhatPlainSearchDoes) {
  const Graph graph = MakeGraph();
  BatchingStats plain_stats;
  std::vector<std::pair<std::string, std::string>> plain_calls;
  SearchResult plain = Search(graph, 0, &plain_stats, &plain_calls);
  EXPECT_EQ(plain.status, SearchStatus::kProved);
  EXPECT_GT(plain.expansions, 5u);
  EXPECT_EQ(plain_stats.prefetched + plain_stats.prefetch_hits, 0u);
  for (std::size_t depth : {1, 2, 3}) {
    SCOPED_TRACE("speculation depth " + std::to_string(depth));
    BatchingStats spec_stats;
    std::vector<std::pair<std::string, std::string>> spec_calls;
    SearchResult spec = Search(graph, depth, &spec_stats, &spec_calls);
    EXPECT_EQ(spec.status, plain.status);
    EXPECT_EQ(spec.proof, plain.proof);
    EXPECT_EQ(spec.expansions, plain.expansions);
    EXPECT_EQ(spec.states, plain.states);
    EXPECT_EQ(spec_calls, plain_calls);
    // Predictions were made and some were right, and nothing was asked
    // twice: every request sent served an expansion, or was a prediction
    // never taken.
    EXPECT_GT(spec_stats.prefetched, 0u);
    EXPECT_GT(spec_stats.prefetch_hits, 0u);
    EXPECT_LE(spec_stats.prefetch_hits, spec.expansions - 1);
    EXPECT_EQ(spec_stats.requests, spec.expansions + spec_stats.prefetch_unused);
  }
}

// Candidates from a table, recording each batch's states; a batch holding
// "BAD" fails as a whole.
class TableModel : public TacticGenerator {
 public:
  explicit TableModel(std::map<std::string, std::vector<Candidate>> table)
      : table_(std::move(table)) {}
  std::vector<std::vector<Candidate>> Generate(
      const std::vector<GenerationRequest>& batch) override {
    std::vector<std::string> states;
    std::vector<std::vector<Candidate>> out;
    for (const auto& r : batch) {
      states.push_back(r.state);
      auto it = table_.find(r.state);
      out.push_back(it == table_.end() ? std::vector<Candidate>{} : it->second);
    }
    std::lock_guard lock(mu_);
    batches_.push_back(states);
    for (const auto& s : states)
      if (s == "BAD") throw std::runtime_error("out of memory on BAD");
    return out;
  }
  std::string Describe() const override { return "table"; }
  bool Deterministic() const override { return true; }
  Batches batches() {
    std::lock_guard lock(mu_);
    return batches_;
  }

 private:
  std::map<std::string, std::vector<Candidate>> table_;
  std::mutex mu_;
  Batches batches_;
};

TEST(SpeculativeSearch, APredictionTheModelFailsOnDoesNotFailTheSearch) {
  // R -> P -> proof, and R -> BAD, which the model fails on but the search
  // never needs: it is only predicted while P is expanded.
  for (std::size_t depth : {0, 1, 3}) {
    SCOPED_TRACE("speculation depth " + std::to_string(depth));
    auto model = std::make_shared<TableModel>(std::map<std::string, std::vector<Candidate>>{
        {"R", {{"p", -0.1}, {"b", -5.0}}}, {"P", {{"done", -0.1}}}});
    BatchingGenerator g(model, NoTimeFlush());
    BatchingGenerator::Client client(g);
    testing::FakeEnvironment env("R",
                                 {{"R", {{"p", "=P"}, {"b", "=BAD"}}}, {"P", {{"done", "done"}}}});
    SearchOptions so;
    so.batching = &client;
    so.speculation_depth = depth;
    SearchResult r = BestFirstSearch(env, g, so);
    EXPECT_EQ(r.status, SearchStatus::kProved);
    EXPECT_EQ(r.proof, (std::vector<std::string>{"p", "done"}));
    EXPECT_EQ(r.expansions, 2u);
    if (depth == 0) {
      EXPECT_EQ(model->batches(), (Batches{{"R"}, {"P"}}));
    } else {
      EXPECT_EQ(model->batches(), (Batches{{"R"}, {"P", "BAD"}, {"P"}}));
    }
  }
}

TEST(SpeculativeSearch, OffForAGeneratorThatIsNotDeterministic) {
  class Sampling : public Recorder {
   public:
    bool Deterministic() const override { return false; }
  };
  auto inner = std::make_shared<Sampling>();
  BatchingGenerator g(inner, NoTimeFlush());
  BatchingGenerator::Client client(g);
  testing::FakeEnvironment env("R", {{"R", {{"R!", "=A"}}}, {"A", {}}});
  SearchOptions so;
  so.batching = &client;
  BestFirstSearch(env, g, so);
  EXPECT_EQ(g.stats().prefetched + g.stats().prefetch_hits, 0u);
  EXPECT_EQ(inner->batches(), (Batches{{"R"}, {"A"}}));
}

}  // namespace
}  // namespace tatami::search
