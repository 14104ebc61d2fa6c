#include "tatami/dojo/goal.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fixtures.h"

namespace tatami::dojo {
namespace {

using nlohmann::json;

TEST(GoalTest, SplitsHypothesesCaseAndTarget) {
  const Goal g = ParseGoal("case h\na b : Nat\nh₀ : a = b\n⊢ b = a");
  ASSERT_TRUE(g.case_tag.has_value());
  EXPECT_EQ(*g.case_tag, "h");
  ASSERT_EQ(g.hypotheses.size(), 2u);
  EXPECT_EQ(g.hypotheses[0].names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(g.hypotheses[0].type, "Nat");
  EXPECT_EQ(g.hypotheses[1].names, (std::vector<std::string>{"h₀"}));
  EXPECT_EQ(g.hypotheses[1].type, "a = b");
  EXPECT_EQ(g.target, "b = a");
}

TEST(GoalTest, KeepsContinuationLinesWithTheirHypothesisAndTarget) {
  const std::string text = "f : ℕ → ℕ\nh :\n  ∀ (x : ℕ),\n    f x = x\n⊢ f 0 =\n    0";
  const Goal g = ParseGoal(text);
  ASSERT_EQ(g.hypotheses.size(), 2u);
  EXPECT_EQ(g.hypotheses[1].names, (std::vector<std::string>{"h"}));
  EXPECT_EQ(g.target, "f 0 =\n    0");
  EXPECT_EQ(FormatGoal(g), text);
}

TEST(GoalTest, TypeMayContainColons) {
  const Goal g = ParseGoal("s : Set (x : ℕ) := ∅\n⊢ True");
  ASSERT_EQ(g.hypotheses.size(), 1u);
  EXPECT_EQ(g.hypotheses[0].type, "Set (x : ℕ) := ∅");
}

TEST(GoalTest, GoalWithoutHypotheses) {
  const Goal g = ParseGoal("⊢ Nat");
  EXPECT_TRUE(g.hypotheses.empty());
  EXPECT_FALSE(g.case_tag.has_value());
  EXPECT_EQ(g.target, "Nat");
}

TEST(GoalTest, RejectsMalformedGoalsNamingThem) {
  try {
    ParseGoal("x : Nat");
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("x : Nat"), std::string::npos);
  }
  EXPECT_THROW(ParseGoal("garbage\n⊢ True"), std::invalid_argument);
}

TEST(GoalTest, SplitsAndJoinsStates) {
  EXPECT_TRUE(SplitGoals("no goals").empty());
  EXPECT_TRUE(SplitGoals("").empty());
  EXPECT_EQ(JoinGoals({}), "no goals");
  const std::string two = "case inl\nh : p\n⊢ p ∨ q\n\ncase inr\nh : q\n⊢ p ∨ q";
  const auto goals = SplitGoals(two);
  ASSERT_EQ(goals.size(), 2u);
  EXPECT_EQ(goals[1], "case inr\nh : q\n⊢ p ∨ q");
  EXPECT_EQ(JoinGoals(goals), two);
  EXPECT_EQ(ParseState(two).size(), 2u);
}

// Every state in the recorded datasets must parse and print back unchanged.
void ExpectRoundTrip(const std::string& state, const std::string& where, int* count) {
  std::vector<std::string> rejoined;
  for (const std::string& text : SplitGoals(state)) {
    Goal g;
    try {
      g = ParseGoal(text);
    } catch (const std::exception& e) {
      ADD_FAILURE() << where << ": " << e.what();
      return;
    }
    rejoined.push_back(FormatGoal(g));
  }
  if (state != "no goals") {
    EXPECT_EQ(JoinGoals(rejoined), state) << where;
  }
  ++*count;
}

json ReadJson(const std::filesystem::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

TEST(GoalFixtureTest, LeanDojoBenchmarkStatesRoundTrip) {
  TATAMI_REQUIRE_FIXTURES();
  const json data =
      ReadJson(testing::FixturesDir() / "leandojo-benchmark4-sample/random/test.prefix.json");
  int count = 0;
  for (const json& thm : data)
    for (const json& t : thm["traced_tactics"]) {
      ExpectRoundTrip(t["state_before"], thm["full_name"].get<std::string>() + " before", &count);
      ExpectRoundTrip(t["state_after"], thm["full_name"].get<std::string>() + " after", &count);
    }
  EXPECT_EQ(count, 82);  // 41 traced tactics, two states each
}

TEST(GoalFixtureTest, InternLmSearchStatesRoundTrip) {
  TATAMI_REQUIRE_FIXTURES();
  int count = 0;
  std::set<std::string> seen;
  for (const auto& dir : std::filesystem::directory_iterator(testing::FixturesDir() /
                                                             "search-results-internlm-minif2f")) {
    if (!dir.is_directory()) continue;
    for (const auto& file : std::filesystem::directory_iterator(dir.path())) {
      if (file.path().extension() != ".json") continue;
      const json data = ReadJson(file.path());
      for (const json& r : data["results"])
        for (const json& a : r["attempt_results"])
          for (const json& step : a.value("trace", json::array())) {
            if (!step.is_object()) continue;  // some result files list the tactics only
            const std::string s = step["state_before"];
            if (seen.insert(s).second) ExpectRoundTrip(s, file.path().filename().string(), &count);
          }
    }
  }
  EXPECT_GE(count, 100);  // distinct states with a recorded trace
}

TEST(GoalFixtureTest, BenchmarkInitialGoalsRoundTrip) {
  TATAMI_REQUIRE_FIXTURES();
  int count = 0;
  for (const char* name : {"minif2f.jsonl", "proofnet.jsonl"}) {
    std::ifstream in(testing::FixturesDir() / "benchmarks" / name);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      const json j = json::parse(line);
      ExpectRoundTrip(j["goal"], j["name"], &count);
    }
  }
  EXPECT_EQ(count, 488 + 371);
}

}  // namespace
}  // namespace tatami::dojo
