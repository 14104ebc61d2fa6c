// The pure parts of the environment API: reward policy, outcome kinds,
// theorem descriptions.
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "tatami/env/outcome_kind.h"
#include "tatami/env/reward.h"
#include "tatami/env/theorem.h"

namespace tatami::env {
namespace {

constexpr OutcomeKind kAllKinds[] = {OutcomeKind::kState,         OutcomeKind::kProofFinished,
                                     OutcomeKind::kTacticError,   OutcomeKind::kProofRejected,
                                     OutcomeKind::kTacticTooLong, OutcomeKind::kWorkerFailure,
                                     OutcomeKind::kTimeout,       OutcomeKind::kProofGivenUp};

TEST(RewardTest, DefaultIsOneForACheckedProofOnly) {
  const RewardOptions sparse;
  for (OutcomeKind k : kAllKinds)
    EXPECT_EQ(Reward(sparse, k, 2, 1), k == OutcomeKind::kProofFinished ? 1.0 : 0.0) << ToString(k);
}

TEST(RewardTest, PenaltyFailureAndClosedGoals) {
  RewardOptions o;
  o.proof = 5;
  o.step_penalty = 0.25;
  o.goal_closed = 2;
  o.failure = -1;
  EXPECT_EQ(Reward(o, OutcomeKind::kState, 3, 1), 2 * 2 - 0.25);
  EXPECT_EQ(Reward(o, OutcomeKind::kState, 1, 3), -2 * 2 - 0.25);
  // A finished proof closes every goal there was, whatever goals_after says.
  EXPECT_EQ(Reward(o, OutcomeKind::kProofFinished, 2, 7), 5 + 2 * 2 - 0.25);
  // A failure closes nothing, whatever goals_after says.
  EXPECT_EQ(Reward(o, OutcomeKind::kProofRejected, 2, 0), -1 - 0.25);
  EXPECT_EQ(Reward(o, OutcomeKind::kTimeout, 1, 5), -1 - 0.25);
}

TEST(OutcomeKindTest, NamesRoundTripAndFailuresAreTheRest) {
  for (OutcomeKind k : kAllKinds) {
    EXPECT_EQ(OutcomeKindFromString(ToString(k)), k);
    EXPECT_EQ(IsFailure(k), k != OutcomeKind::kState && k != OutcomeKind::kProofFinished);
  }
  EXPECT_EQ(ToString(OutcomeKind::kProofGivenUp), "proof_given_up");
  EXPECT_FALSE(OutcomeKindFromString("ok").has_value());
}

TEST(OutcomeKindTest, FlattensTheDojoResult) {
  EXPECT_EQ(KindOf(dojo::TacticState{}), OutcomeKind::kState);
  EXPECT_EQ(KindOf(dojo::ProofFinished{}), OutcomeKind::kProofFinished);
  EXPECT_EQ(KindOf(dojo::Timeout{}), OutcomeKind::kTimeout);
  EXPECT_EQ(KindOf(dojo::ProofGivenUp{}), OutcomeKind::kProofGivenUp);
  const std::pair<dojo::LeanError::Kind, OutcomeKind> errors[] = {
      {dojo::LeanError::kTactic, OutcomeKind::kTacticError},
      {dojo::LeanError::kProofRejected, OutcomeKind::kProofRejected},
      {dojo::LeanError::kTacticTooLong, OutcomeKind::kTacticTooLong},
      {dojo::LeanError::kWorkerFailure, OutcomeKind::kWorkerFailure}};
  for (const auto& [lean, kind] : errors) {
    dojo::LeanError e;
    e.kind = lean;
    EXPECT_EQ(KindOf(e), kind) << ToString(kind);
  }
}

TEST(TheoremTest, FormsAndDescriptions) {
  const Theorem f = Theorem::FromFile("Examples.lean", "and_swap");
  EXPECT_TRUE(f.from_file());
  EXPECT_EQ(f.Describe(), "Examples.lean:and_swap");
  const Theorem s = Theorem::FromStatement("import Mathlib", "theorem t : True := by", "t");
  EXPECT_FALSE(s.from_file());
  EXPECT_EQ(s.Describe(), "t");
  EXPECT_EQ(Theorem::FromStatement("", "theorem u : True\n  := by").Describe(), "theorem u : True");
  EXPECT_THROW(Theorem::FromFile("Examples.lean", ""), std::invalid_argument);
  EXPECT_THROW(Theorem::FromFile("", "x"), std::invalid_argument);
  EXPECT_THROW(Theorem::FromStatement("", "  \n"), std::invalid_argument);
}

TEST(TheoremTest, ReadsTheProveInputLine) {
  const Theorem t = Theorem::FromJsonLine(
      R"({"name": "mathd_algebra_10", "split": "test", "header": "import Mathlib\n", )"
      R"("formal_statement": "theorem mathd_algebra_10 : abs ((120 : ℝ) / 100 * 30 - 130) = 94 := by\n"})");
  EXPECT_EQ(t.name, "mathd_algebra_10");
  EXPECT_EQ(t.header, "import Mathlib\n");
  EXPECT_EQ(t.statement.rfind("theorem mathd_algebra_10", 0), 0u);
  EXPECT_EQ(Theorem::FromJsonLine(R"({"formal_statement": "theorem x : True"})").header, "");
  auto message = [](const std::string& line) {
    try {
      Theorem::FromJsonLine(line);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no exception");
  };
  EXPECT_NE(message("{").find("not valid JSON"), std::string::npos);
  EXPECT_NE(message("[1]").find("expected a JSON object"), std::string::npos);
  EXPECT_NE(message(R"({"name": "x"})").find("no \"formal_statement\""), std::string::npos);
  EXPECT_NE(message(R"({"formal_statement": "theorem x : True", "header": 3})")
                .find("\"header\" is not a string"),
            std::string::npos);
}

}  // namespace
}  // namespace tatami::env
