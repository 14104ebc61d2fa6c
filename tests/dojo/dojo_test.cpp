// Dojo against the scripted REPL double: entering, stepping, completion
// checks, bad input, and recovery after worker death.
#include "tatami/dojo/dojo.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fixtures.h"

namespace tatami::dojo {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::string kRoot = "p q : Prop\nh : p ∧ q\n⊢ q ∧ p";
const std::string kSplit = "p q : Prop\nhp : p\nhq : q\n⊢ q ∧ p";
const std::string kLeft = "case left\np q : Prop\nhp : p\nhq : q\n⊢ q";
const std::string kRight = "case right\np q : Prop\nhp : p\nhq : q\n⊢ p";

json Graph() {
  return {
      {"theorems",
       {{{"statement", "theorem and_swap (p q : Prop) (h : p ∧ q) : q ∧ p"}, {"goal", kRoot}},
        {{"statement", "theorem cheat : 1 = 1"}, {"goal", "⊢ 1 = 1"}}}},
      {"states",
       {{{"goals", {kRoot}},
         {"tactics",
          {{"obtain ⟨hp, hq⟩ := h", {{"goals", {kSplit}}}},
           {"exact foo", {{"error", "unknown identifier 'foo'"}, {"shape", "messages"}}},
           {"exact ⟨h.2, h.1⟩", {{"goals", json::array()}}}}}},
        {{"goals", {kSplit}},
         {"tactics",
          {{"constructor", {{"goals", {kLeft, kRight}}}},
           {"exact ⟨hq, hp⟩", {{"goals", json::array()}}}}}},
        {{"goals", {"⊢ 1 = 1"}},
         {"tactics",
          {{"rfl_by_compiler", {{"goals", json::array()}, {"axioms", {"Lean.ofReduceBool"}}}}}}}}}};
}

class DojoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tatami_dojo_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    std::ofstream(dir_ / "graph.json") << Graph().dump();
    std::ofstream(dir_ / "Swap.lean") << "namespace Demo\n\n"
                                         "theorem and_swap (p q : Prop) (h : p ∧ q) : q ∧ p := by\n"
                                         "  exact ⟨h.2, h.1⟩\n\n"
                                         "theorem cheat : 1 = 1 := by\n  rfl\n\nend Demo\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A pool whose workers are the double; `first_run_flags` apply to the first
  // worker process only (later ones, e.g. after a crash, run without them).
  std::shared_ptr<WorkerPool> Pool(const std::string& first_run_flags = "",
                                   std::size_t workers = 2) {
    WorkerPoolOptions o;
    const std::string base =
        std::string(TATAMI_REPL_DOUBLE) + " --script " + (dir_ / "graph.json").string();
    const std::string mark = (dir_ / "first-run-done").string();
    o.repl_command = {"/bin/sh", "-c",
                      "if [ -e " + mark + " ]; then exec " + base + "; else touch " + mark +
                          "; exec " + base + " " + first_run_flags + "; fi"};
    o.workers = workers;
    o.request_timeout = std::chrono::seconds(20);
    o.startup_timeout = std::chrono::seconds(20);
    return std::make_shared<WorkerPool>(o);
  }

  fs::path dir_;
};

TEST_F(DojoTest, EntersByNameAndProvesWithACheckedProof) {
  Dojo dojo(Pool());
  const TacticState root = dojo.EnterFromFile(dir_ / "Swap.lean", "and_swap");
  EXPECT_EQ(root.theorem_name(), "Demo.and_swap");
  EXPECT_EQ(root.pretty(), kRoot);
  ASSERT_EQ(root.goals().size(), 1u);
  EXPECT_EQ(root.goals()[0].target, "q ∧ p");
  EXPECT_TRUE(root.path().empty());

  RunResult r = dojo.RunTac(root, "obtain ⟨hp, hq⟩ := h");
  ASSERT_TRUE(std::holds_alternative<TacticState>(r)) << Describe(r);
  const TacticState split = std::get<TacticState>(r);
  EXPECT_EQ(split.path(), (std::vector<std::string>{"obtain ⟨hp, hq⟩ := h"}));

  r = dojo.RunTac(split, "constructor");
  ASSERT_TRUE(std::holds_alternative<TacticState>(r)) << Describe(r);
  EXPECT_EQ(std::get<TacticState>(r).num_goals(), 2u);
  EXPECT_EQ(std::get<TacticState>(r).pretty(), kLeft + "\n\n" + kRight);
  EXPECT_EQ(std::get<TacticState>(r).goals()[1].case_tag, std::optional<std::string>("right"));

  r = dojo.RunTac(split, "exact ⟨hq, hp⟩");
  ASSERT_TRUE(std::holds_alternative<ProofFinished>(r)) << Describe(r);
  const auto& done = std::get<ProofFinished>(r);
  EXPECT_EQ(done.tactics, (std::vector<std::string>{"obtain ⟨hp, hq⟩ := h", "exact ⟨hq, hp⟩"}));
  EXPECT_TRUE(done.verdict.ok);
  EXPECT_NE(done.checked_code.find("#print axioms and_swap"), std::string::npos);
  EXPECT_EQ(dojo.stats().checks, 1u);
}

TEST_F(DojoTest, LeanErrorsGivingUpAndLimitsAreTypedOutcomes) {
  DojoOptions options;
  options.max_tactic_bytes = 64;
  Dojo dojo(Pool(), options);
  const TacticState root =
      dojo.Enter("", "theorem and_swap (p q : Prop) (h : p ∧ q) : q ∧ p := by");
  RunResult r = dojo.RunTac(root, "exact foo");
  ASSERT_TRUE(std::holds_alternative<LeanError>(r)) << Describe(r);
  EXPECT_EQ(std::get<LeanError>(r).kind, LeanError::kTactic);
  EXPECT_NE(std::get<LeanError>(r).message.find("foo"), std::string::npos);
  r = dojo.RunTac(root, "no_such_tactic");
  ASSERT_TRUE(std::holds_alternative<LeanError>(r)) << Describe(r);
  r = dojo.RunTac(root, "sorry");
  ASSERT_TRUE(std::holds_alternative<ProofGivenUp>(r)) << Describe(r);
  EXPECT_EQ(std::get<ProofGivenUp>(r).banned, (std::vector<std::string>{"sorry"}));
  r = dojo.RunTac(root, "simp [" + std::string(100, 'x') + "]");
  ASSERT_TRUE(std::holds_alternative<LeanError>(r)) << Describe(r);
  EXPECT_EQ(std::get<LeanError>(r).kind, LeanError::kTacticTooLong);
  // The state is still good after all that.
  r = dojo.RunTac(root, "exact ⟨h.2, h.1⟩");
  EXPECT_TRUE(std::holds_alternative<ProofFinished>(r)) << Describe(r);
}

TEST_F(DojoTest, CompletionCheckRejectsNonStandardAxioms) {
  Dojo dojo(Pool());
  const TacticState root = dojo.EnterFromFile(dir_ / "Swap.lean", "Demo.cheat");
  const RunResult r = dojo.RunTac(root, "rfl_by_compiler");
  ASSERT_TRUE(std::holds_alternative<LeanError>(r)) << Describe(r);
  const auto& e = std::get<LeanError>(r);
  EXPECT_EQ(e.kind, LeanError::kProofRejected);
  ASSERT_TRUE(e.verdict.has_value());
  EXPECT_EQ(e.verdict->failed, FailedCheck::kAxioms);
  EXPECT_NE(e.message.find("Lean.ofReduceBool"), std::string::npos);
}

TEST_F(DojoTest, BadInputIsAClearErrorAndThePoolKeepsServing) {
  auto pool = Pool();
  Dojo dojo(pool);
  auto expect_error = [&](auto&& f, const std::string& needle) {
    try {
      f();
      ADD_FAILURE() << "expected DojoError mentioning " << needle;
    } catch (const DojoError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error([&] { dojo.EnterFromFile(dir_ / "Missing.lean", "x"); }, "Missing.lean");
  expect_error([&] { dojo.EnterFromFile(dir_ / "Swap.lean", "not_there"); }, "not_there");
  expect_error([&] { dojo.Enter("", "theorem unknown_to_lean : 2 = 2"); }, "unknown_to_lean");
  expect_error([&] { dojo.Enter("", "this is not a theorem"); }, "this is not a theorem");
  Dojo other(pool);
  const TacticState foreign = other.EnterFromFile(dir_ / "Swap.lean", "and_swap");
  EXPECT_THROW(dojo.RunTac(foreign, "constructor"), std::invalid_argument);
  EXPECT_THROW(dojo.RunTac(TacticState(), "constructor"), std::invalid_argument);
  // Still serving.
  const TacticState root = dojo.EnterFromFile(dir_ / "Swap.lean", "and_swap");
  EXPECT_TRUE(std::holds_alternative<TacticState>(dojo.RunTac(root, "obtain ⟨hp, hq⟩ := h")));
}

TEST_F(DojoTest, HeaderThatHangsOnImportIsAnErrorNamingIt) {
  WorkerPoolOptions o;
  o.repl_command = {TATAMI_REPL_DOUBLE, "--script", (dir_ / "graph.json").string(),
                    "--import-delay-ms", "60000"};
  o.workers = 1;
  o.startup_timeout = std::chrono::milliseconds(300);
  Dojo dojo(std::make_shared<WorkerPool>(o));
  try {
    dojo.Enter("import Slow.Module", "theorem and_swap (p q : Prop) (h : p ∧ q) : q ∧ p");
    FAIL() << "expected DojoError";
  } catch (const DojoError& e) {
    EXPECT_NE(std::string(e.what()).find("Slow.Module"), std::string::npos) << e.what();
  }
}

TEST_F(DojoTest, StatesSurviveACrashByReplay) {
  // Request 1 enters the theorem, 2 runs a tactic, 3 crashes the process.
  Dojo dojo(Pool("--crash-on 3"));
  const TacticState root = dojo.EnterFromFile(dir_ / "Swap.lean", "and_swap");
  RunResult r = dojo.RunTac(root, "obtain ⟨hp, hq⟩ := h");
  ASSERT_TRUE(std::holds_alternative<TacticState>(r)) << Describe(r);
  const TacticState split = std::get<TacticState>(r);
  r = dojo.RunTac(split, "constructor");  // crashes, restarts, replays `obtain`, retries
  ASSERT_TRUE(std::holds_alternative<TacticState>(r)) << Describe(r);
  EXPECT_EQ(std::get<TacticState>(r).num_goals(), 2u);
  EXPECT_GE(dojo.stats().recoveries, 1u);
  EXPECT_GE(dojo.stats().replayed, 1u);
  r = dojo.RunTac(root, "exact ⟨h.2, h.1⟩");
  EXPECT_TRUE(std::holds_alternative<ProofFinished>(r)) << Describe(r);
}

TEST_F(DojoTest, TimeoutIsTypedAndTheStateStaysUsable) {
  DojoOptions options;
  options.tactic_timeout = std::chrono::milliseconds(500);
  Dojo dojo(Pool("--hang-on 2"), options);
  const TacticState root = dojo.EnterFromFile(dir_ / "Swap.lean", "and_swap");
  RunResult r = dojo.RunTac(root, "obtain ⟨hp, hq⟩ := h");
  ASSERT_TRUE(std::holds_alternative<Timeout>(r)) << Describe(r);
  EXPECT_EQ(std::get<Timeout>(r).limit, std::chrono::milliseconds(500));
  r = dojo.RunTac(root, "obtain ⟨hp, hq⟩ := h");
  EXPECT_TRUE(std::holds_alternative<TacticState>(r)) << Describe(r);
}

TEST_F(DojoTest, ConcurrentTheoremsRunInParallel) {
  auto pool = Pool("", 4);
  Dojo dojo(pool);
  std::vector<std::thread> threads;
  std::atomic<int> finished{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        const TacticState root = dojo.EnterFromFile(dir_ / "Swap.lean", "and_swap");
        const RunResult a = dojo.RunTac(root, "obtain ⟨hp, hq⟩ := h");
        if (!std::holds_alternative<TacticState>(a)) continue;
        if (std::holds_alternative<ProofFinished>(
                dojo.RunTac(std::get<TacticState>(a), "exact ⟨hq, hp⟩")))
          ++finished;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(finished.load(), 20);
}

}  // namespace
}  // namespace tatami::dojo
