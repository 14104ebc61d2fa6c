// VecEnv against the scripted REPL double: results in order, asynchronous
// stepping, auto-reset, crash recovery and misuse.
#include "tatami/env/vec_env.h"

#include <stdexcept>
#include <string>
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

class VecEnvTest : public EnvTestBase {
 protected:
  VecEnvOptions Options(std::size_t n, bool auto_reset = false) {
    VecEnvOptions o;
    o.num_envs = n;
    o.auto_reset = auto_reset;
    return o;
  }
};

TEST_F(VecEnvTest, StepsEveryEnvironmentAndKeepsTheirOrder) {
  VecEnv envs(Pool("", 3), Options(3));
  ASSERT_EQ(envs.size(), 3u);
  const std::vector<Observation> obs = envs.Reset({AndSwap()});
  ASSERT_EQ(obs.size(), 3u);
  for (const Observation& o : obs) EXPECT_EQ(o.pretty, kRoot);
  // Each environment entered the theorem on its own worker.
  EXPECT_NE(obs[0].handle, obs[1].handle);
  EXPECT_NE(obs[1].handle, obs[2].handle);
  EXPECT_EQ(envs.dojo()->stats().entered, 3u);

  std::vector<StepResult> r = envs.Step({"constructor", "exat 42", "obtain ⟨hp, hq⟩ := h"});
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].observation.pretty, kLeft + "\n\n" + kRight);
  EXPECT_EQ(r[1].info.outcome, OutcomeKind::kTacticError);
  EXPECT_EQ(r[1].observation.handle, obs[1].handle);
  EXPECT_EQ(r[2].observation.pretty, kIntro);

  r = envs.Step({"exact h.2", "exact ⟨h.2, h.1⟩", "exact ⟨hq, hp⟩"});
  EXPECT_EQ(r[0].observation.pretty, kRight);
  EXPECT_FALSE(r[0].terminated);
  for (std::size_t i : {1u, 2u}) {
    EXPECT_EQ(r[i].info.outcome, OutcomeKind::kProofFinished) << i;
    EXPECT_TRUE(r[i].terminated) << i;
    EXPECT_EQ(r[i].reward, 1.0) << i;
    EXPECT_FALSE(r[i].info.final_observation.has_value()) << i;
  }
  EXPECT_EQ(r[2].info.proof, (std::vector<std::string>{"obtain ⟨hp, hq⟩ := h", "exact ⟨hq, hp⟩"}));
  // Without auto-reset an ended episode refuses the whole batch, before any
  // tactic runs.
  const auto tactics = envs.dojo()->stats().tactics;
  EXPECT_THROW(envs.Step({"exact h.1", "rfl", "rfl"}), std::logic_error);
  EXPECT_EQ(envs.dojo()->stats().tactics, tactics);
  EXPECT_TRUE(envs.env(0).episode_active());
}

TEST_F(VecEnvTest, ResetsWithOneTheoremPerEnvironment) {
  VecEnv envs(Pool("", 2), Options(2));
  std::vector<Observation> obs = envs.Reset({AndSwap(), Cheat()});
  EXPECT_EQ(obs[0].pretty, kRoot);
  EXPECT_EQ(obs[1].pretty, kCheatRoot);
  const std::vector<StepResult> r = envs.Step({"exact ⟨h.2, h.1⟩", "rfl_by_compiler"});
  EXPECT_EQ(r[0].info.outcome, OutcomeKind::kProofFinished);
  EXPECT_EQ(r[1].info.outcome, OutcomeKind::kProofRejected);
  obs.clear();
  EXPECT_EQ(envs.Reset(0, Cheat()).pretty, kCheatRoot);
  EXPECT_EQ(envs.env(0).theorem(), Cheat());
}

TEST_F(VecEnvTest, StepAsyncThenWait) {
  VecEnv envs(Pool("", 2), Options(2));
  envs.Reset({AndSwap()});
  EXPECT_FALSE(envs.pending());
  envs.StepAsync({"constructor", "obtain ⟨hp, hq⟩ := h"});
  EXPECT_TRUE(envs.pending());
  EXPECT_THROW(envs.StepAsync({"rfl", "rfl"}), std::logic_error);
  EXPECT_THROW(envs.env(0), std::logic_error);
  EXPECT_THROW(envs.Reset({AndSwap()}), std::logic_error);
  const std::vector<StepResult> r = envs.Wait();
  EXPECT_FALSE(envs.pending());
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].observation.num_goals, 2u);
  EXPECT_EQ(r[1].observation.pretty, kIntro);
  EXPECT_THROW(envs.Wait(), std::logic_error);
  // Branching on one environment between batched steps.
  const StepResult b = envs.env(0).StepFrom(r[0].observation.handle, "exact h.2");
  EXPECT_EQ(b.observation.pretty, kRight);
}

TEST_F(VecEnvTest, StepFromBranchesInEveryEnvironment) {
  VecEnv envs(Pool("", 2), Options(2));
  const std::vector<Observation> roots = envs.Reset({AndSwap()});
  const std::vector<StepResult> split = envs.Step({"constructor", "constructor"});
  // Environment 0 goes on from its split state, environment 1 branches
  // back to its root.
  std::vector<StepResult> r = envs.StepFrom({split[0].observation.handle, roots[1].handle},
                                            {"exact h.2", "obtain ⟨hp, hq⟩ := h"});
  EXPECT_EQ(r[0].observation.pretty, kRight);
  EXPECT_EQ(r[1].observation.pretty, kIntro);
  EXPECT_EQ(envs.dojo()->stats().replayed, 0u);
  // A handle of another environment's episode is refused before anything runs.
  const auto tactics = envs.dojo()->stats().tactics;
  EXPECT_THROW(envs.StepFrom({roots[1].handle, roots[1].handle}, {"exact h.1", "rfl"}),
               std::invalid_argument);
  EXPECT_THROW(envs.StepFromAsync({roots[0].handle}, {"rfl", "rfl"}), std::invalid_argument);
  EXPECT_EQ(envs.dojo()->stats().tactics, tactics);
  envs.StepFromAsync({r[0].observation.handle, r[1].observation.handle},
                     {"exact h.1", "exact ⟨hq, hp⟩"});
  r = envs.Wait();
  for (const StepResult& s : r) EXPECT_EQ(s.info.outcome, OutcomeKind::kProofFinished);
}

TEST_F(VecEnvTest, AutoResetStartsTheNextEpisodeAtOnce) {
  VecEnvOptions o = Options(2, /*auto_reset=*/true);
  o.env.max_steps = 2;
  VecEnv envs(Pool("", 2), o);
  const std::vector<Observation> first = envs.Reset({AndSwap()});
  std::vector<StepResult> r = envs.Step({"exact ⟨h.2, h.1⟩", "constructor"});
  // Environment 0 finished: its result is the new episode's root, the
  // finished one's last observation is kept in info.
  EXPECT_TRUE(r[0].terminated);
  EXPECT_EQ(r[0].reward, 1.0);
  EXPECT_EQ(r[0].observation.pretty, kRoot);
  EXPECT_EQ(r[0].observation.handle, first[0].handle);  // the cached root
  ASSERT_TRUE(r[0].info.final_observation.has_value());
  EXPECT_EQ(r[0].info.final_observation->pretty, "no goals");
  EXPECT_FALSE(r[1].info.final_observation.has_value());
  EXPECT_EQ(r[1].observation.num_goals, 2u);

  // Environment 1 reaches max_steps: truncated and reset too.
  r = envs.Step({"constructor", "exact h.2"});
  EXPECT_FALSE(r[0].truncated);
  EXPECT_TRUE(r[1].truncated);
  EXPECT_EQ(r[1].observation.pretty, kRoot);
  ASSERT_TRUE(r[1].info.final_observation.has_value());
  EXPECT_EQ(r[1].info.final_observation->pretty, kRight);
  EXPECT_TRUE(envs.env(1).episode_active());
  EXPECT_EQ(envs.env(1).episode_steps(), 0u);
  EXPECT_EQ(envs.dojo()->stats().entered, 2u);  // nothing re-entered
}

TEST_F(VecEnvTest, CrashInOneEnvironmentIsRecovered) {
  // The first worker process crashes on its second request: the tactic of
  // whichever environment it serves.
  VecEnv envs(Pool("--crash-on 2", 2), Options(2));
  envs.Reset({AndSwap()});
  std::vector<StepResult> r = envs.Step({"constructor", "constructor"});
  for (const StepResult& s : r) {
    EXPECT_EQ(s.info.outcome, OutcomeKind::kState);
    EXPECT_EQ(s.observation.num_goals, 2u);
  }
  EXPECT_GE(envs.dojo()->stats().recoveries, 1u);
  r = envs.Step({"exact h.2", "exact h.2"});
  for (const StepResult& s : r) EXPECT_EQ(s.observation.pretty, kRight);
}

TEST_F(VecEnvTest, ErrorsAndMisuse) {
  auto pool = Pool("", 2);
  EXPECT_THROW(VecEnv(pool, Options(3)), std::invalid_argument);  // 3 envs, 2 workers
  EXPECT_THROW(VecEnv(pool, Options(0)), std::invalid_argument);
  EXPECT_THROW(VecEnv(nullptr, Options(1)), std::invalid_argument);

  VecEnv envs(pool, Options(2, /*auto_reset=*/true));
  // Never reset: refused even with auto-reset.
  EXPECT_THROW(envs.Step({"rfl", "rfl"}), std::logic_error);
  EXPECT_THROW(envs.Reset({AndSwap(), AndSwap(), AndSwap()}), std::invalid_argument);
  EXPECT_THROW(envs.Reset(2, AndSwap()), std::out_of_range);
  EXPECT_THROW(envs.env(2), std::out_of_range);

  // One environment's theorem cannot be entered: the other is reset, the
  // error is rethrown after both finished, and stepping waits for a Reset.
  EXPECT_THROW(envs.Reset({AndSwap(), Theorem::FromFile(dir_ / "Missing.lean", "x")}),
               dojo::DojoError);
  EXPECT_TRUE(envs.env(0).episode_active());
  EXPECT_FALSE(envs.env(1).episode_active());
  EXPECT_THROW(envs.Step({"constructor", "constructor"}), std::logic_error);
  envs.Reset(1, Cheat());
  EXPECT_THROW(envs.Step({"constructor"}), std::invalid_argument);
  const std::vector<StepResult> r = envs.Step({"constructor", "rfl"});
  EXPECT_EQ(r[0].observation.num_goals, 2u);
  EXPECT_TRUE(r[1].terminated);
  EXPECT_EQ(r[1].observation.pretty, kCheatRoot);  // auto-reset
}

}  // namespace
}  // namespace tatami::env
