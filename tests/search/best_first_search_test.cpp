// Best-first search semantics on hand-made graphs: order of expansion and of
// tactics, merges, cycles, dead ends, errors, ties, limits and the proof;
// scores that are not numbers, and environments that answer more than asked.
#include "tatami/search/best_first_search.h"

#include <chrono>
#include <limits>
#include <stdexcept>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fake_environment.h"
#include "tatami/search/scripted_generator.h"

namespace tatami::search {
namespace {

using testing::FakeEnvironment;
using Calls = std::vector<std::pair<std::string, std::string>>;
using Tactics = std::vector<std::string>;

// A scripted generator from {state: [(tactic, logprob), ...]}.
ScriptedGenerator Gen(const std::map<std::string, std::vector<std::pair<std::string, double>>>& t) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [state, list] : t) {
    j[state] = nlohmann::json::array();
    for (const auto& [tactic, lp] : list) j[state].push_back({{"tactic", tactic}, {"logprob", lp}});
  }
  return ScriptedGenerator::FromJson(j.dump(), "test");
}

std::vector<std::string> ExpansionOrder(const SearchTree& tree) {
  std::vector<std::pair<std::size_t, std::string>> order;
  for (std::size_t i = 0; i < tree.num_nodes(); ++i)
    if (tree.node(i).expansion) order.emplace_back(*tree.node(i).expansion, tree.node(i).text);
  std::sort(order.begin(), order.end());
  std::vector<std::string> out;
  for (auto& [k, s] : order) out.push_back(s);
  return out;
}

TEST(BestFirstSearch, ChainIsProvedWithItsTactics) {
  FakeEnvironment env("R", {{"R", {{"a", "=S"}}}, {"S", {{"b", "done"}}}});
  auto gen = Gen({{"R", {{"a", -1}}}, {"S", {{"b", -1}}}});
  SearchResult r = BestFirstSearch(env, gen, {});
  EXPECT_EQ(r.status, SearchStatus::kProved);
  EXPECT_EQ(r.proof, (Tactics{"a", "b"}));
  EXPECT_EQ(r.expansions, 2u);
  EXPECT_EQ(r.states, 2u);
}

TEST(BestFirstSearch, TriesDeduplicatedCandidatesByDescendingLogprobKeepingGeneratorOrderOnTies) {
  FakeEnvironment env("R", {});
  // "x" twice: the first (-3) is kept, the later -0.1 dropped.
  auto gen = Gen({{"R", {{"x", -3}, {"p", -1}, {"q", -1}, {"x", -0.1}, {"z", -0.5}, {"o", -1}}}});
  SearchResult r = BestFirstSearch(env, gen, {});
  EXPECT_EQ(env.calls, (Calls{{"R", "z"}, {"R", "p"}, {"R", "q"}, {"R", "o"}, {"R", "x"}}));
  EXPECT_EQ(r.status, SearchStatus::kFailed);  // every tactic failed: a dead end
  EXPECT_EQ(r.tree.root_status(), NodeStatus::kFailed);
  EXPECT_EQ(r.expansions, 1u);
}

TEST(BestFirstSearch, AsksForNumTacticsAndUsesOnlyThose) {
  FakeEnvironment env("R", {});
  auto gen = Gen({{"R", {{"a", -1}, {"b", -2}, {"c", -3}}}});
  SearchOptions o;
  o.num_tactics = 2;
  BestFirstSearch(env, gen, o);
  EXPECT_EQ(env.calls, (Calls{{"R", "a"}, {"R", "b"}}));
}

TEST(BestFirstSearch, StopsExpandingANodeAtTheFirstFinishedProof) {
  FakeEnvironment env("R", {{"R", {{"a", "=S"}, {"b", "done"}, {"c", "=T"}}}});
  auto gen = Gen({{"R", {{"a", -1}, {"b", -2}, {"c", -3}}}});
  SearchResult r = BestFirstSearch(env, gen, {});
  EXPECT_EQ(env.calls, (Calls{{"R", "a"}, {"R", "b"}}));
  EXPECT_EQ(r.status, SearchStatus::kProved);
  EXPECT_EQ(r.proof, (Tactics{"b"}));
  EXPECT_EQ(r.states, 2u);  // R and S; T was never reached
}

TEST(BestFirstSearch, ExpandsHighestCumulativeLogprobFirstAndTiesByCreation) {
  // R -> A (-1), B (-1), C (-0.5); A -> D (-0.1): D's priority -1.1.
  FakeEnvironment env("R", {{"R", {{"a", "=A"}, {"b", "=B"}, {"c", "=C"}}}, {"A", {{"d", "=D"}}}});
  auto gen = Gen({{"R", {{"a", -1}, {"b", -1}, {"c", -0.5}}}, {"A", {{"d", -0.1}}}});
  SearchResult r = BestFirstSearch(env, gen, {});
  // C (-0.5) was created after A and B but ranks first; A before B (created first).
  EXPECT_EQ(ExpansionOrder(r.tree), (Tactics{"R", "C", "A", "B", "D"}));
  EXPECT_EQ(r.status, SearchStatus::kFailed);
  EXPECT_EQ(r.expansions, 5u);
  EXPECT_DOUBLE_EQ(r.tree.node(*r.tree.FindState("D")).cumulative_logprob, -1.1);
}

TEST(BestFirstSearch, KnownStatesLinkToTheirNodeKeepingTheFirstPriority) {
  // Both a and b lead to S; S keeps the priority of its first discovery.
  FakeEnvironment env("R", {{"R", {{"a", "=S"}, {"b", "=S"}}}, {"S", {{"c", "done"}}}});
  auto gen = Gen({{"R", {{"a", -2}, {"b", -1}}}, {"S", {{"c", -1}}}});
  SearchResult r = BestFirstSearch(env, gen, {});
  EXPECT_EQ(r.states, 2u);
  const std::size_t s = *r.tree.FindState("S");
  EXPECT_DOUBLE_EQ(r.tree.node(s).cumulative_logprob, -1);  // b was tried first
  EXPECT_EQ(r.tree.node(s).in_edges.size(), 2u);
  EXPECT_EQ(r.proof, (Tactics{"b", "c"}));  // equal distance: the first edge, b
  EXPECT_EQ(r.expansions, 2u);
}

TEST(BestFirstSearch, ProofIsTheShortestAmongThoseFound) {
  // R -a-> S1 -b-> S2 -c-> done and R -d-> S2: via d is shorter.
  FakeEnvironment env(
      "R", {{"R", {{"a", "=S1"}, {"d", "=S2"}}}, {"S1", {{"b", "=S2"}}}, {"S2", {{"c", "done"}}}});
  auto gen = Gen({{"R", {{"a", -0.1}, {"d", -0.5}}}, {"S1", {{"b", -0.1}}}, {"S2", {{"c", -1}}}});
  SearchResult r = BestFirstSearch(env, gen, {});
  EXPECT_EQ(ExpansionOrder(r.tree), (Tactics{"R", "S1", "S2"}));
  EXPECT_EQ(r.status, SearchStatus::kProved);
  EXPECT_EQ(r.proof, (Tactics{"d", "c"}));
}

TEST(BestFirstSearch, CyclesStayOpenAndAnEmptyQueueEndsAsFailed) {
  // R -a-> S -b-> R (a cycle), S -c-> error: neither R nor S can be decided.
  FakeEnvironment env("R", {{"R", {{"a", "=S"}}}, {"S", {{"b", "=R"}, {"c", "boom"}}}});
  auto gen = Gen({{"R", {{"a", -1}}}, {"S", {{"b", -1}, {"c", -2}}}});
  SearchResult r = BestFirstSearch(env, gen, {});
  EXPECT_EQ(r.status, SearchStatus::kFailed);
  EXPECT_EQ(r.tree.root_status(), NodeStatus::kOpen);
  EXPECT_EQ(r.tree.node(*r.tree.FindState("S")).status, NodeStatus::kOpen);
  EXPECT_EQ(r.expansions, 2u);
  EXPECT_EQ(r.states, 2u);
  EXPECT_FALSE(r.proof);
}

TEST(BestFirstSearch, SelfLoopAndLaterProofThroughTheCycle) {
  // R -s-> R (no-op), R -a-> S, S -b-> R, S -c-> T, T -d-> done.
  FakeEnvironment env("R", {{"R", {{"s", "=R"}, {"a", "=S"}}},
                            {"S", {{"b", "=R"}, {"c", "=T"}}},
                            {"T", {{"d", "done"}}}});
  auto gen =
      Gen({{"R", {{"s", -0.1}, {"a", -1}}}, {"S", {{"b", -0.1}, {"c", -1}}}, {"T", {{"d", -1}}}});
  SearchResult r = BestFirstSearch(env, gen, {});
  EXPECT_EQ(r.status, SearchStatus::kProved);
  EXPECT_EQ(r.proof, (Tactics{"a", "c", "d"}));
  EXPECT_EQ(r.tree.node(*r.tree.FindState("S")).status, NodeStatus::kProved);
  EXPECT_EQ(r.expansions, 3u);
}

TEST(BestFirstSearch, FailureSpreadsUpWhenEveryChildFails) {
  // R -a-> S, R -b-> error; S: no candidates -> S failed -> R failed.
  FakeEnvironment env("R", {{"R", {{"a", "=S"}, {"b", "nope"}}}});
  auto gen = Gen({{"R", {{"a", -1}, {"b", -2}}}});
  SearchResult r = BestFirstSearch(env, gen, {});
  EXPECT_EQ(r.status, SearchStatus::kFailed);
  EXPECT_EQ(r.tree.root_status(), NodeStatus::kFailed);
  EXPECT_EQ(r.expansions, 2u);
}

TEST(BestFirstSearch, MaxExpansionsEndsOpenAfterExactlyThatMany) {
  FakeEnvironment env("R", {{"R", {{"a", "=A"}}}, {"A", {{"b", "=B"}}}, {"B", {{"c", "=C"}}}});
  auto gen = Gen({{"R", {{"a", -1}}}, {"A", {{"b", -1}}}, {"B", {{"c", -1}}}});
  SearchOptions o;
  o.max_expansions = 2;
  SearchResult r = BestFirstSearch(env, gen, o);
  EXPECT_EQ(r.status, SearchStatus::kOpen);
  EXPECT_EQ(r.expansions, 2u);
  EXPECT_EQ(r.states, 3u);
}

TEST(BestFirstSearch, AProofFoundInTheLastAllowedStepIsReported) {
  FakeEnvironment env("R", {{"R", {{"a", "=A"}}}, {"A", {{"b", "done"}}}});
  auto gen = Gen({{"R", {{"a", -1}}}, {"A", {{"b", -1}}}});
  SearchOptions o;
  o.max_expansions = 2;
  SearchResult r = BestFirstSearch(env, gen, o);
  EXPECT_EQ(r.status, SearchStatus::kProved);
  EXPECT_EQ(r.proof, (Tactics{"a", "b"}));
  o.timeout = std::chrono::milliseconds(0);  // the time limit is reached at every check
  FakeEnvironment env2("R", {{"R", {{"a", "done"}}}});
  r = BestFirstSearch(env2, gen, o);
  EXPECT_EQ(r.status, SearchStatus::kProved);
}

TEST(BestFirstSearch, TimeoutIsCheckedAfterEachExpansion) {
  FakeEnvironment env("R", {{"R", {{"a", "=A"}}}, {"A", {{"b", "done"}}}});
  auto gen = Gen({{"R", {{"a", -1}}}, {"A", {{"b", -1}}}});
  SearchOptions o;
  o.timeout = std::chrono::milliseconds(0);
  SearchResult r = BestFirstSearch(env, gen, o);
  EXPECT_EQ(r.status, SearchStatus::kOpen);
  EXPECT_EQ(r.expansions, 1u);
  EXPECT_FALSE(r.proof);
}

TEST(BestFirstSearch, NoCandidatesMeansFailed) {
  FakeEnvironment env("R", {});
  auto gen = Gen({});
  SearchResult r = BestFirstSearch(env, gen, {});
  EXPECT_EQ(r.status, SearchStatus::kFailed);
  EXPECT_EQ(r.expansions, 1u);
  EXPECT_EQ(r.states, 1u);
}

TEST(BestFirstSearch, CancelStopsAfterTheCurrentExpansion) {
  FakeEnvironment env("R", {{"R", {{"a", "=A"}}}, {"A", {{"b", "=B"}}}});
  auto gen = Gen({{"R", {{"a", -1}}}, {"A", {{"b", -1}}}});
  std::atomic<bool> cancel{true};
  SearchOptions o;
  o.cancel = &cancel;
  SearchResult r = BestFirstSearch(env, gen, o);
  EXPECT_TRUE(r.cancelled);
  EXPECT_EQ(r.status, SearchStatus::kOpen);
  EXPECT_EQ(r.expansions, 1u);
}

// Candidates from a table, with scores JSON cannot hold (NaN, -inf).
class TableGenerator : public TacticGenerator {
 public:
  explicit TableGenerator(std::map<std::string, std::vector<Candidate>> table)
      : table_(std::move(table)) {}
  std::vector<std::vector<Candidate>> Generate(
      const std::vector<GenerationRequest>& batch) override {
    std::vector<std::vector<Candidate>> out;
    for (const auto& r : batch) {
      auto it = table_.find(r.state);
      out.push_back(it == table_.end() ? std::vector<Candidate>{} : it->second);
    }
    return out;
  }
  std::string Describe() const override { return "table"; }

 private:
  std::map<std::string, std::vector<Candidate>> table_;
};

TEST(BestFirstSearch, ANanLogprobIsAnErrorNamingTheStateAndTactic) {
  // Before this was checked, the NaN child was silently left out of the
  // queue and the search went on without it.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::string root = "R " + std::string(500, 'x');
  FakeEnvironment env(root, {{root, {{"a", "=A"}, {"b", "=B"}}}, {"B", {{"p", "done"}}}});
  TableGenerator gen({{root, {{"a", nan}, {"b", -1.0}}}, {"B", {{"p", -1.0}}}});
  try {
    BestFirstSearch(env, gen, {});
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("NaN"), std::string::npos) << what;
    EXPECT_NE(what.find("\"a\""), std::string::npos) << what;  // the tactic
    EXPECT_NE(what.find("R xxx"), std::string::npos) << what;  // the state ...
    EXPECT_LT(what.size(), 400u) << what;                      // ... cut short
    EXPECT_NE(what.find("table"), std::string::npos) << what;  // the generator
  }
  EXPECT_TRUE(env.calls.empty());  // nothing ran on a half-ordered list
}

TEST(BestFirstSearch, APathWhoseLogprobSumIsNanIsAnError) {
  const double inf = std::numeric_limits<double>::infinity();
  FakeEnvironment env("R", {{"R", {{"a", "=A"}}}, {"A", {{"b", "=B"}}}});
  TableGenerator gen({{"R", {{"a", -inf}}}, {"A", {{"b", inf}}}});  // -inf + inf
  EXPECT_THROW(BestFirstSearch(env, gen, {}), std::runtime_error);
}

TEST(OrderCandidates, RejectsANanLogprob) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(OrderCandidates({{"a", -1}, {"b", nan}}), std::invalid_argument);
}

TEST(BestFirstSearch, MinusInfinityLogprobsAreQueuedAndTiedByCreation) {
  const double inf = std::numeric_limits<double>::infinity();
  // A (-inf) and B (-inf) tie below C (-1); A, created first, goes before B.
  FakeEnvironment env("R",
                      {{"R", {{"a", "=A"}, {"b", "=B"}, {"c", "=C"}}}, {"B", {{"p", "done"}}}});
  TableGenerator gen({{"R", {{"a", -inf}, {"b", -inf}, {"c", -1.0}}}, {"B", {{"p", -inf}}}});
  SearchResult r = BestFirstSearch(env, gen, {});
  EXPECT_EQ(r.status, SearchStatus::kProved);
  EXPECT_EQ(r.proof, (Tactics{"b", "p"}));
  EXPECT_EQ(ExpansionOrder(r.tree), (Tactics{"R", "C", "A", "B"}));
  EXPECT_EQ(r.states, 4u);
}

// RunAll may give outcomes after the first ProofClosed (search_environment.h):
// here, one outcome after it for three tactics.
class ExtraAfterProof : public FakeEnvironment {
 public:
  using FakeEnvironment::FakeEnvironment;
  std::vector<std::vector<TacticOutcome>> answers;  // one per RunAll, in order
  std::vector<TacticOutcome> RunAll(std::size_t, const std::vector<std::string>&) override {
    std::vector<TacticOutcome> out = answers.front();
    answers.erase(answers.begin());
    return out;
  }
};

TEST(BestFirstSearch, OutcomesAfterTheFirstProofClosedAreIgnored) {
  ExtraAfterProof env("R", {});
  env.answers = {{ProofClosed{}, TacticFailed{"boom", FailureKind::kTacticError, "boom"}}};
  auto gen = Gen({{"R", {{"a", -1}, {"b", -2}, {"c", -3}}}});
  SearchResult r = BestFirstSearch(env, gen, {});
  EXPECT_EQ(r.status, SearchStatus::kProved);
  EXPECT_EQ(r.proof, (Tactics{"a"}));
  EXPECT_EQ(r.tree.num_nodes(), 2u);  // the root and the proof: "b"'s failure is not used
}

TEST(BestFirstSearch, RunAllOutcomesThatBreakTheContractAreALogicError) {
  auto gen = Gen({{"R", {{"a", -1}, {"b", -2}, {"c", -3}}}});
  const TacticFailed failed{"boom", FailureKind::kTacticError, "boom"};
  {
    ExtraAfterProof env("R", {});  // fewer, with no proof among them
    env.answers = {{failed, failed}};
    EXPECT_THROW(BestFirstSearch(env, gen, {}), std::logic_error);
  }
  {
    ExtraAfterProof env("R", {});  // more than the tactics
    env.answers = {{failed, failed, failed, ProofClosed{}}};
    EXPECT_THROW(BestFirstSearch(env, gen, {}), std::logic_error);
  }
}

TEST(BestFirstSearch, AnEnormousTimeoutDoesNotEndTheSearch) {
  // Converting these to the clock's nanoseconds overflows; the search must
  // still read them as "not yet".
  for (std::chrono::milliseconds timeout :
       {std::chrono::milliseconds::max(),
        std::chrono::milliseconds(std::chrono::seconds(10'000'000'000)),
        std::chrono::milliseconds(std::chrono::seconds(10'000'000'000'000))}) {
    FakeEnvironment env("R", {{"R", {{"a", "=A"}}}, {"A", {{"b", "=B"}}}, {"B", {{"c", "done"}}}});
    auto gen = Gen({{"R", {{"a", -1}}}, {"A", {{"b", -1}}}, {"B", {{"c", -1}}}});
    SearchOptions o;
    o.timeout = timeout;
    SearchResult r = BestFirstSearch(env, gen, o);
    EXPECT_EQ(r.status, SearchStatus::kProved) << timeout.count();
    EXPECT_EQ(r.expansions, 3u);
  }
}

TEST(BestFirstSearch, RejectsNonPositiveNumTactics) {
  FakeEnvironment env("R", {});
  auto gen = Gen({});
  SearchOptions o;
  o.num_tactics = 0;
  EXPECT_THROW(BestFirstSearch(env, gen, o), std::invalid_argument);
}

}  // namespace
}  // namespace tatami::search
