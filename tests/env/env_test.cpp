// Env against the scripted REPL double: reset/step semantics, rewards,
// termination, truncation, crash recovery, branching and misuse.
#include "tatami/env/env.h"

#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "env_test_support.h"

namespace tatami::env {
namespace {

using testing::EnvTestBase;
using testing::kCheatRoot;
using testing::kIntro;
using testing::kLeft;
using testing::kRight;
using testing::kRoot;

class EnvTest : public EnvTestBase {};

// A rejected tactic: the episode stays on `on`, nothing else changes.
void ExpectStayed(const StepResult& r, const Observation& on) {
  EXPECT_EQ(r.observation.handle, on.handle);
  EXPECT_EQ(r.observation.pretty, on.pretty);
  EXPECT_EQ(r.info.goals_closed, 0);
  EXPECT_FALSE(r.terminated);
  EXPECT_FALSE(r.truncated);
}

TEST_F(EnvTest, ResetAndStepsToACheckedProof) {
  Env env(Pool());
  const Observation root = env.Reset(AndSwap());
  EXPECT_NE(root.handle, kNoState);
  EXPECT_EQ(root.pretty, kRoot);
  EXPECT_EQ(root.num_goals, 1u);
  ASSERT_EQ(root.goals.size(), 1u);
  EXPECT_EQ(root.goals[0].target, "q ∧ p");
  EXPECT_EQ(root.goals[0].hypotheses.size(), 2u);
  EXPECT_EQ(root.goal_strings, std::vector<std::string>{kRoot});
  EXPECT_TRUE(root.path.empty());
  EXPECT_EQ(root.theorem_name, "and_swap'");
  EXPECT_TRUE(env.episode_active());

  StepResult r = env.Step("constructor");
  EXPECT_EQ(r.info.outcome, OutcomeKind::kState);
  EXPECT_EQ(r.observation.num_goals, 2u);
  EXPECT_EQ(r.observation.pretty, kLeft + "\n\n" + kRight);
  EXPECT_EQ(r.observation.goals[1].case_tag, std::optional<std::string>("right"));
  EXPECT_EQ(r.observation.path, std::vector<std::string>{"constructor"});
  EXPECT_EQ(r.info.goals_closed, -1);
  EXPECT_EQ(r.info.episode_steps, 1u);
  EXPECT_TRUE(r.info.message.empty());
  EXPECT_EQ(r.reward, 0.0);
  EXPECT_FALSE(r.terminated);
  EXPECT_FALSE(r.truncated);
  EXPECT_TRUE(std::holds_alternative<dojo::TacticState>(r.info.result));
  EXPECT_EQ(env.observation().handle, r.observation.handle);

  r = env.Step("exact h.2");
  EXPECT_EQ(r.observation.pretty, kRight);
  EXPECT_EQ(r.info.goals_closed, 1);
  r = env.Step("exact h.1");
  EXPECT_EQ(r.info.outcome, OutcomeKind::kProofFinished);
  EXPECT_EQ(r.reward, 1.0);
  EXPECT_TRUE(r.terminated);
  EXPECT_FALSE(r.truncated);
  EXPECT_EQ(r.observation.handle, kNoState);
  EXPECT_FALSE(r.observation.state.valid());
  EXPECT_EQ(r.observation.pretty, "no goals");
  EXPECT_EQ(r.observation.num_goals, 0u);
  EXPECT_EQ(r.info.proof, (std::vector<std::string>{"constructor", "exact h.2", "exact h.1"}));
  ASSERT_TRUE(r.info.verdict.has_value());
  EXPECT_TRUE(r.info.verdict->ok);
  EXPECT_EQ(r.info.episode_steps, 3u);
  EXPECT_FALSE(env.episode_active());
  EXPECT_EQ(env.dojo()->stats().checks, 1u);
}

TEST_F(EnvTest, TheoremGivenAsHeaderAndStatement) {
  Env env(Pool());
  Observation root = env.Reset(Theorem::FromStatement("", testing::kStatement + " := by"));
  EXPECT_EQ(root.pretty, kRoot);
  root = env.Reset(Theorem::FromJsonLine(
      R"({"name": "swap", "header": "", "formal_statement": "theorem and_swap' (p q : Prop) (h : p ∧ q) : q ∧ p := by sorry"})"));
  EXPECT_EQ(root.pretty, kRoot);
  EXPECT_EQ(env.Step("exact ⟨h.2, h.1⟩").info.outcome, OutcomeKind::kProofFinished);
}

TEST_F(EnvTest, FailedTacticsAreTypedAndKeepTheState) {
  Env env(Pool());
  const Observation root = env.Reset(AndSwap());

  StepResult r = env.Step("exact my_fake_premise");
  EXPECT_EQ(r.info.outcome, OutcomeKind::kTacticError);
  EXPECT_NE(r.info.message.find(testing::kUnknownIdentifier), std::string::npos) << r.info.message;
  EXPECT_EQ(r.reward, 0.0);
  ExpectStayed(r, root);

  r = env.Step("exat 42");
  EXPECT_EQ(r.info.outcome, OutcomeKind::kTacticError);
  EXPECT_NE(r.info.message.find("unknown tactic"), std::string::npos) << r.info.message;
  ExpectStayed(r, root);

  r = env.Step("sorry");
  EXPECT_EQ(r.info.outcome, OutcomeKind::kProofGivenUp);
  EXPECT_TRUE(std::holds_alternative<dojo::ProofGivenUp>(r.info.result));
  ExpectStayed(r, root);

  EXPECT_EQ(env.episode_steps(), 3u);
  r = env.Step("exact ⟨h.2, h.1⟩");
  EXPECT_EQ(r.info.outcome, OutcomeKind::kProofFinished);
  EXPECT_EQ(r.info.proof, std::vector<std::string>{"exact ⟨h.2, h.1⟩"});
}

TEST_F(EnvTest, UncheckedProofEarnsNothing) {
  Env env(Pool());
  const Observation root = env.Reset(Cheat());
  EXPECT_EQ(root.pretty, kCheatRoot);
  StepResult r = env.Step("rfl_by_compiler");
  EXPECT_EQ(r.info.outcome, OutcomeKind::kProofRejected);
  EXPECT_EQ(r.reward, 0.0);
  ASSERT_TRUE(r.info.verdict.has_value());
  EXPECT_FALSE(r.info.verdict->ok);
  EXPECT_EQ(r.info.verdict->failed, dojo::FailedCheck::kAxioms);
  EXPECT_NE(r.info.message.find("Lean.ofReduceBool"), std::string::npos) << r.info.message;
  ExpectStayed(r, root);
  r = env.Step("rfl");
  EXPECT_EQ(r.info.outcome, OutcomeKind::kProofFinished);
  EXPECT_EQ(r.reward, 1.0);
}

TEST_F(EnvTest, TerminatesOnTheListedFailureKinds) {
  EnvOptions options;
  options.terminate_on = {OutcomeKind::kTacticError, OutcomeKind::kProofRejected};
  Env env(Pool(), options);
  env.Reset(AndSwap());
  StepResult r = env.Step("sorry");  // given up: not listed
  EXPECT_FALSE(r.terminated);
  r = env.Step("exat 42");
  EXPECT_EQ(r.info.outcome, OutcomeKind::kTacticError);
  EXPECT_TRUE(r.terminated);
  EXPECT_FALSE(r.truncated);
  EXPECT_FALSE(env.episode_active());
  EXPECT_THROW(env.Step("constructor"), std::logic_error);

  env.Reset(Cheat());
  r = env.Step("rfl_by_compiler");
  EXPECT_EQ(r.info.outcome, OutcomeKind::kProofRejected);
  EXPECT_TRUE(r.terminated);
}

TEST_F(EnvTest, RewardPolicyIsConfigurable) {
  EnvOptions options;
  options.reward.proof = 10.0;
  options.reward.step_penalty = 0.5;
  options.reward.goal_closed = 1.0;
  options.reward.failure = -2.0;
  Env env(Pool(), options);
  env.Reset(AndSwap());
  std::vector<double> rewards;
  for (const char* tactic : {"constructor", "exat 42", "exact h.2", "exact h.1"})
    rewards.push_back(env.Step(tactic).reward);
  // Split one goal into two (-1), a failure, close one (+1), close the last
  // (+1) with the proof; each step pays 0.5.
  EXPECT_EQ(rewards, (std::vector<double>{-1.5, -2.5, 0.5, 10.5}));
}

TEST_F(EnvTest, TruncatesAfterMaxSteps) {
  EnvOptions options;
  options.max_steps = 2;
  Env env(Pool(), options);
  env.Reset(AndSwap());
  StepResult r = env.Step("constructor");
  EXPECT_FALSE(r.truncated);
  r = env.Step("exat 42");
  EXPECT_TRUE(r.truncated);
  EXPECT_FALSE(r.terminated);
  EXPECT_THROW(env.Step("exact h.2"), std::logic_error);
  EXPECT_THROW(env.StepFrom(r.observation.handle, "exact h.2"), std::logic_error);

  // A proof on the last allowed step is both.
  env.Reset();
  env.Step("constructor");
  r = env.StepFrom(env.observation().handle, "exact h.2");
  EXPECT_TRUE(r.truncated);
  env.Reset();
  env.Step("obtain ⟨hp, hq⟩ := h");
  r = env.Step("exact ⟨hq, hp⟩");
  EXPECT_TRUE(r.terminated);
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(r.reward, 1.0);
}

TEST_F(EnvTest, TruncatesWhenTheEpisodeTimeIsSpent) {
  // One worker, answering every request after 50 ms: a step outlasts a 1 ms
  // budget and not a one-hour one.
  auto pool = Pool("--latency-ms 50", 1);
  {
    EnvOptions loose;
    loose.episode_timeout = std::chrono::hours(1);
    Env env(pool, loose);
    env.Reset(AndSwap());
    const StepResult r = env.Step("constructor");
    EXPECT_GE(r.info.elapsed, std::chrono::milliseconds(50));
    EXPECT_FALSE(r.truncated);
  }
  EnvOptions tight;
  tight.episode_timeout = std::chrono::milliseconds(1);
  Env env(pool, tight);
  env.Reset(AndSwap());
  const StepResult r = env.Step("constructor");
  EXPECT_EQ(r.info.outcome, OutcomeKind::kState);
  EXPECT_GE(r.info.elapsed, std::chrono::milliseconds(50));
  EXPECT_TRUE(r.truncated);
  EXPECT_FALSE(r.terminated);
  EXPECT_THROW(env.Step("exact h.2"), std::logic_error);
}

TEST_F(EnvTest, StepTimeoutIsAnOutcomeAndTheStateStaysUsable) {
  // Request 1 enters the theorem; request 2 never gets an answer.
  EnvOptions options;
  options.step_timeout = std::chrono::milliseconds(300);
  Env env(Pool("--hang-on 2"), options);
  EXPECT_EQ(env.dojo()->options().tactic_timeout, std::chrono::milliseconds(300));
  const Observation root = env.Reset(AndSwap());
  StepResult r = env.Step("constructor");
  EXPECT_EQ(r.info.outcome, OutcomeKind::kTimeout);
  ASSERT_TRUE(std::holds_alternative<dojo::Timeout>(r.info.result));
  EXPECT_EQ(std::get<dojo::Timeout>(r.info.result).limit, std::chrono::milliseconds(300));
  EXPECT_FALSE(r.info.message.empty());
  ExpectStayed(r, root);
  r = env.Step("constructor");  // a fresh worker; the root is re-entered
  EXPECT_EQ(r.info.outcome, OutcomeKind::kState);
  EXPECT_EQ(r.observation.num_goals, 2u);
}

TEST_F(EnvTest, CrashMidEpisodeKeepsEveryStateUsable) {
  // Request 1 enters, 2 runs `constructor`, 3 crashes the worker.
  Env env(Pool("--crash-on 3"));
  const Observation root = env.Reset(AndSwap());
  const StepResult split = env.Step("constructor");
  StepResult r = env.Step("exact h.2");  // crash, restart, replay, retry
  EXPECT_EQ(r.info.outcome, OutcomeKind::kState);
  EXPECT_EQ(r.observation.pretty, kRight);
  EXPECT_GE(env.dojo()->stats().recoveries, 1u);
  EXPECT_GE(env.dojo()->stats().replayed, 1u);
  // States from before the crash still branch.
  r = env.StepFrom(split.observation.handle, "exact h.2");
  EXPECT_EQ(r.observation.pretty, kRight);
  r = env.StepFrom(root.handle, "obtain ⟨hp, hq⟩ := h");
  EXPECT_EQ(r.observation.pretty, kIntro);
  r = env.Step("exact ⟨hq, hp⟩");
  EXPECT_EQ(r.info.outcome, OutcomeKind::kProofFinished);
  EXPECT_TRUE(r.info.verdict->ok);
}

TEST_F(EnvTest, StepFromBranchesWithoutReplaying) {
  Env env(Pool());
  const Observation root = env.Reset(AndSwap());
  const StepResult split = env.Step("constructor");
  const StepResult intro = env.StepFrom(root.handle, "obtain ⟨hp, hq⟩ := h");
  EXPECT_EQ(intro.observation.pretty, kIntro);
  EXPECT_EQ(intro.observation.path, std::vector<std::string>{"obtain ⟨hp, hq⟩ := h"});
  EXPECT_EQ(env.observation().handle, intro.observation.handle);

  StepResult r = env.StepFrom(split.observation.state, "exact h.2");
  EXPECT_EQ(r.observation.pretty, kRight);
  EXPECT_EQ(r.observation.path, (std::vector<std::string>{"constructor", "exact h.2"}));
  // A failure on a branch leaves the episode on that branch's state.
  r = env.StepFrom(intro.observation.handle, "exat 42");
  EXPECT_EQ(r.observation.handle, intro.observation.handle);
  r = env.Step("exact ⟨hq, hp⟩");
  EXPECT_EQ(r.info.outcome, OutcomeKind::kProofFinished);
  EXPECT_EQ(r.info.proof, (std::vector<std::string>{"obtain ⟨hp, hq⟩ := h", "exact ⟨hq, hp⟩"}));
  EXPECT_EQ(env.episode_steps(), 5u);
  // Every tactic ran once, on the state it was given: no replay.
  EXPECT_EQ(env.dojo()->stats().tactics, 5u);
  EXPECT_EQ(env.dojo()->stats().replayed, 0u);
  EXPECT_EQ(env.State(split.observation.handle), split.observation.state);
}

TEST_F(EnvTest, ResetReusesTheRootOfTheSameTheorem) {
  Env env(Pool());
  const Observation first = env.Reset(AndSwap());
  const StepResult split = env.Step("constructor");
  const Observation again = env.Reset(AndSwap());
  EXPECT_EQ(again.handle, first.handle);
  EXPECT_EQ(env.Reset().handle, first.handle);
  EXPECT_EQ(env.dojo()->stats().entered, 1u);
  EXPECT_EQ(env.episode_steps(), 0u);
  // States of an earlier episode are not this episode's.
  EXPECT_THROW(env.StepFrom(split.observation.handle, "exact h.2"), std::invalid_argument);
  EXPECT_FALSE(env.State(split.observation.handle).has_value());

  env.Reset(Cheat());
  EXPECT_EQ(env.dojo()->stats().entered, 2u);
  env.Close();
  EXPECT_THROW(env.Step("rfl"), std::logic_error);
  EXPECT_EQ(env.Reset().pretty, kCheatRoot);  // re-entered after Close
  EXPECT_EQ(env.dojo()->stats().entered, 3u);
}

TEST_F(EnvTest, MisuseThrowsWithClearMessages) {
  auto pool = Pool();
  Env env(pool);
  auto expect_message = [](auto&& call, const std::string& part) {
    try {
      call();
      ADD_FAILURE() << "no exception; expected one saying \"" << part << "\"";
    } catch (const std::exception& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  expect_message([&] { env.Step("rfl"); }, "call Reset first");
  expect_message([&] { env.Reset(); }, "call Reset(theorem) first");
  EXPECT_THROW(env.observation(), std::logic_error);
  EXPECT_THROW(env.Reset(Theorem{}), std::invalid_argument);

  const Observation root = env.Reset(AndSwap());
  expect_message([&] { env.StepFrom(9999, "rfl"); }, "unknown state handle 9999");
  EXPECT_THROW(env.StepFrom(kNoState, "rfl"), std::invalid_argument);
  EXPECT_THROW(env.StepFrom(dojo::TacticState{}, "rfl"), std::invalid_argument);
  // A state of another Env's Dojo.
  Env other(pool);
  EXPECT_THROW(env.StepFrom(other.Reset(Cheat()).state, "rfl"), std::invalid_argument);
  other.Close();

  env.Step("exact ⟨h.2, h.1⟩");
  expect_message([&] { env.Step("rfl"); }, "the episode has ended");
  EXPECT_THROW(env.StepFrom(root.handle, "rfl"), std::logic_error);

  // A theorem that cannot be entered leaves no episode; the Env recovers.
  EXPECT_THROW(env.Reset(Theorem::FromFile(dir_ / "Missing.lean", "x")), dojo::DojoError);
  EXPECT_FALSE(env.episode_active());
  EXPECT_FALSE(env.theorem().has_value());
  EXPECT_THROW(env.Step("rfl"), std::logic_error);
  EXPECT_EQ(env.Reset(AndSwap()).pretty, kRoot);

  EnvOptions bad;
  bad.terminate_on = {OutcomeKind::kState};
  EXPECT_THROW(Env(pool, bad), std::invalid_argument);
  bad = {};
  bad.step_timeout = std::chrono::milliseconds(-1);
  EXPECT_THROW(Env(pool, bad), std::invalid_argument);
  EXPECT_THROW(Env(std::shared_ptr<dojo::WorkerPool>{}), std::invalid_argument);
  EXPECT_THROW(Env(std::shared_ptr<dojo::Dojo>{}), std::invalid_argument);
  EnvOptions timed;
  timed.step_timeout = std::chrono::milliseconds(123);
  expect_message([&] { Env e(env.dojo(), timed); }, "tactic_timeout");
}

}  // namespace
}  // namespace tatami::env
