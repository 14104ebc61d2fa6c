// Dojo against the scripted REPL double: entering, stepping, completion
// checks, bad input, and recovery after worker death.
#include "tatami/dojo/dojo.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "scripted_double_pool.h"
#include "tatami/dojo/lean_name.h"

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
           {"exact my_fake_premise",
            {{"error", "Unknown identifier `my_fake_premise`"}, {"shape", "messages"}}},
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
    return std::make_shared<WorkerPool>(test_pools::ScriptedDoublePoolOptions(
        dir_ / "graph.json", dir_ / "first-run-done", first_run_flags, workers));
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
  EXPECT_EQ(Describe(r), "state " + std::to_string(split.id()) + " (1 goal)");

  r = dojo.RunTac(split, "constructor");
  ASSERT_TRUE(std::holds_alternative<TacticState>(r)) << Describe(r);
  EXPECT_EQ(std::get<TacticState>(r).num_goals(), 2u);
  EXPECT_EQ(std::get<TacticState>(r).pretty(), kLeft + "\n\n" + kRight);
  EXPECT_EQ(std::get<TacticState>(r).goals()[1].case_tag, std::optional<std::string>("right"));
  // Two levels down.
  EXPECT_EQ(std::get<TacticState>(r).path(),
            (std::vector<std::string>{"obtain ⟨hp, hq⟩ := h", "constructor"}));

  r = dojo.RunTac(split, "exact ⟨hq, hp⟩");
  ASSERT_TRUE(std::holds_alternative<ProofFinished>(r)) << Describe(r);
  const auto& done = std::get<ProofFinished>(r);
  EXPECT_EQ(done.tactics, (std::vector<std::string>{"obtain ⟨hp, hq⟩ := h", "exact ⟨hq, hp⟩"}));
  EXPECT_TRUE(done.verdict.ok);
  // Asked by full name from the root, and the double (as Lean) answers with
  // the full name `Demo.and_swap`.
  EXPECT_NE(done.checked_code.find("#print axioms _root_.Demo.and_swap"), std::string::npos);
  EXPECT_EQ(done.verdict.reports.at(0).name, "Demo.and_swap");
  EXPECT_EQ(dojo.stats().checks, 1u);
}

TEST_F(DojoTest, LeanErrorsGivingUpAndLimitsAreTypedOutcomes) {
  DojoOptions options;
  options.max_tactic_bytes = 64;
  Dojo dojo(Pool(), options);
  const TacticState root =
      dojo.Enter("", "theorem and_swap (p q : Prop) (h : p ∧ q) : q ∧ p := by");
  RunResult r = dojo.RunTac(root, "exact my_fake_premise");
  ASSERT_TRUE(std::holds_alternative<LeanError>(r)) << Describe(r);
  EXPECT_EQ(std::get<LeanError>(r).kind, LeanError::kTactic);
  EXPECT_NE(std::get<LeanError>(r).message.find("Unknown identifier `my_fake_premise`"),
            std::string::npos);
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

TEST(DescribeRunResult, SaysWhatEachOutcomeIs) {
  using std::chrono::milliseconds;
  EXPECT_EQ(Describe(LeanError{LeanError::kTactic, "unknown tactic", std::nullopt}),
            "lean error (tactic): unknown tactic");
  EXPECT_EQ(Describe(Timeout{milliseconds(1500), false}), "timeout after 1500 ms");
  EXPECT_EQ(Describe(Timeout{milliseconds(20), true}), "timeout after 20 ms (completion check)");
  EXPECT_EQ(Describe(ProofGivenUp{{"sorry", "admit"}}), "proof given up (uses sorry admit)");
  ProofFinished done;
  done.tactics = {"intro h", "exact h"};
  EXPECT_EQ(Describe(done), "proof finished (2 tactics, checked)");
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

// Theorems declared under nested namespaces and sections, with `_root_`,
// dotted declaration names, `'` and «»: each is entered, proved, and its
// completion check finds Lean's answer under the full name.
class DojoNamespaceTest : public DojoTest {
 protected:
  void SetUp() override {
    DojoTest::SetUp();
    json graph = {
        {"theorems",
         {{{"statement", "theorem and_swap (p q : Prop) (h : p ∧ q) : q ∧ p"}, {"goal", kRoot}},
          {{"statement", "theorem tick' : True"}, {"goal", "⊢ True"}},
          {{"statement", "theorem «my thm» : True"}, {"goal", "⊢ True"}},
          {{"statement", "theorem X.trusting : True"}, {"goal", "⊢ True"}}}},
        {"states",
         {{{"goals", {kRoot}}, {"tactics", {{"exact ⟨h.2, h.1⟩", {{"goals", json::array()}}}}}},
          {{"goals", {"⊢ True"}},
           {"tactics",
            {{"trivial", {{"goals", json::array()}, {"axioms", {"propext"}}}},
             {"by_compiler", {{"goals", json::array()}, {"axioms", {"Lean.ofReduceBool"}}}}}}}}}};
    std::ofstream(dir_ / "graph.json") << graph.dump();
    std::ofstream(dir_ / "Scoped.lean")
        << "namespace Outer\nopen Nat\nsection S\n"
           "namespace Inner.Deep\n\n"
           "theorem and_swap (p q : Prop) (h : p ∧ q) : q ∧ p := by\n"
           "  exact ⟨h.2, h.1⟩\n\n"
           "end Inner.Deep\nend S\n\n"
           "theorem _root_.tick' : True := by\n  trivial\n\n"
           "theorem «my thm» : True := by\n  trivial\n\n"
           "theorem X.trusting : True := by\n  trivial\n\n"
           "end Outer\n";
  }

  // Enters `name`, runs `tactic`, and returns the outcome.
  RunResult Prove(Dojo& dojo, const std::string& name, const std::string& full_name,
                  const std::string& tactic) {
    const TacticState root = dojo.EnterFromFile(dir_ / "Scoped.lean", name);
    EXPECT_EQ(root.theorem_name(), full_name);
    return dojo.RunTac(root, tactic);
  }
};

TEST_F(DojoNamespaceTest, NamespacedTheoremsAreProvedAndChecked) {
  Dojo dojo(Pool());
  for (const auto& [name, full_name, tactic] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"and_swap", "Outer.Inner.Deep.and_swap", "exact ⟨h.2, h.1⟩"},
           {"Outer.Inner.Deep.and_swap", "Outer.Inner.Deep.and_swap", "exact ⟨h.2, h.1⟩"},
           {"tick'", "tick'", "trivial"},
           {"my thm", "Outer.«my thm»", "trivial"},
           {"X.trusting", "Outer.X.trusting", "trivial"}}) {
    SCOPED_TRACE(name);
    const RunResult r = Prove(dojo, name, full_name, tactic);
    ASSERT_TRUE(std::holds_alternative<ProofFinished>(r)) << Describe(r);
    const auto& done = std::get<ProofFinished>(r);
    EXPECT_TRUE(done.verdict.ok);
    EXPECT_NE(done.checked_code.find("#print axioms _root_." + full_name), std::string::npos)
        << done.checked_code;
    ASSERT_EQ(done.verdict.reports.size(), 1u);
    EXPECT_TRUE(NamesDeclaration(done.verdict.reports[0].name, full_name));
  }
}

TEST_F(DojoNamespaceTest, AxiomsOfANamespacedTheoremAreFoundAndJudged) {
  Dojo dojo(Pool());
  const RunResult r = Prove(dojo, "X.trusting", "Outer.X.trusting", "by_compiler");
  ASSERT_TRUE(std::holds_alternative<LeanError>(r)) << Describe(r);
  const auto& e = std::get<LeanError>(r);
  ASSERT_TRUE(e.verdict.has_value());
  // Not "axioms unknown": the answer under the full name was read.
  EXPECT_EQ(e.verdict->failed, FailedCheck::kAxioms) << e.message;
  EXPECT_EQ(e.verdict->axioms, (std::vector<std::string>{"Lean.ofReduceBool"}));
}

TEST_F(DojoNamespaceTest, EnterReadsTheNamespaceOfTheGivenContext) {
  Dojo dojo(Pool());
  const TacticState root = dojo.Enter("namespace Given.Ns", "theorem tick' : True := by");
  EXPECT_EQ(root.theorem_name(), "Given.Ns.tick'");
  const RunResult r = dojo.RunTac(root, "trivial");
  ASSERT_TRUE(std::holds_alternative<ProofFinished>(r)) << Describe(r);
  EXPECT_EQ(std::get<ProofFinished>(r).verdict.reports.at(0).name, "Given.Ns.tick'");
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
      EXPECT_EQ(e.kind(), DojoError::kTheorem) << e.what();  // the input's fault
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
    EXPECT_EQ(e.kind(), DojoError::kTheorem);  // its header's import
  }
}

// No worker can be started: not the theorem's fault, and any theorem would
// fail the same way (`tatami prove` stops instead of recording it).
TEST_F(DojoTest, NoLeanToEnterInIsNotTheTheoremsError) {
  WorkerPoolOptions o;
  o.repl_command = {(dir_ / "no-such-repl").string()};
  o.workers = 1;
  Dojo dojo(std::make_shared<WorkerPool>(o));
  try {
    dojo.EnterFromFile(dir_ / "Swap.lean", "and_swap");
    FAIL() << "expected DojoError";
  } catch (const DojoError& e) {
    EXPECT_EQ(e.kind(), DojoError::kNoLean) << e.what();
    EXPECT_NE(std::string(e.what()).find("no-such-repl"), std::string::npos) << e.what();
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

// What a result is, in words that do not depend on which Dojo made it.
std::string Summary(const RunResult& r) {
  if (const auto* s = std::get_if<TacticState>(&r)) return "state: " + s->pretty();
  if (const auto* f = std::get_if<ProofFinished>(&r)) {
    std::string out = "finished:";
    for (const auto& t : f->tactics) out += " " + t;
    return out + " | " + f->checked_code;
  }
  if (const auto* e = std::get_if<LeanError>(&r))
    return "error " + std::string(ToString(e->kind)) + ": " + e->message;
  return Describe(r);
}

TEST_F(DojoTest, RunTacsGivesWhatRunTacGivesOneByOne) {
  const std::vector<std::string> tactics = {"obtain ⟨hp, hq⟩ := h",
                                            "exact my_fake_premise",
                                            "sorry",
                                            "simp [" + std::string(100, 'x') + "]",
                                            "exact ⟨h.2, h.1⟩",
                                            "no_such_tactic",
                                            "obtain ⟨hp, hq⟩ := h"};
  DojoOptions options;
  options.max_tactic_bytes = 64;
  Dojo one_by_one(Pool(), options);
  const TacticState root1 = one_by_one.EnterFromFile(dir_ / "Swap.lean", "and_swap");
  std::vector<std::string> expected;
  for (const auto& t : tactics) expected.push_back(Summary(one_by_one.RunTac(root1, t)));

  Dojo batched(Pool(), options);
  const TacticState root = batched.EnterFromFile(dir_ / "Swap.lean", "and_swap");
  std::vector<TacticRequest> requests;
  for (const auto& t : tactics) requests.push_back({root, t});
  const std::vector<RunResult> results = batched.RunTacs(requests);
  ASSERT_EQ(results.size(), tactics.size());
  for (std::size_t i = 0; i < tactics.size(); ++i)
    EXPECT_EQ(Summary(results[i]), expected[i]) << "tactic " << i << ": " << tactics[i];
  EXPECT_TRUE(std::holds_alternative<ProofFinished>(results[4]));
  // Two states, each a child of the root at its own id.
  const auto& a = std::get<TacticState>(results[0]);
  const auto& b = std::get<TacticState>(results[6]);
  EXPECT_NE(a.id(), b.id());
  EXPECT_EQ(a.path(), (std::vector<std::string>{"obtain ⟨hp, hq⟩ := h"}));
  EXPECT_EQ(batched.stats().tactics, tactics.size());
  EXPECT_EQ(batched.stats().checks, one_by_one.stats().checks);
  // The states it made are usable.
  const RunResult next = batched.RunTac(a, "exact ⟨hq, hp⟩");
  EXPECT_TRUE(std::holds_alternative<ProofFinished>(next)) << Describe(next);
}

TEST_F(DojoTest, RunTacsSpansTheoremsAndStatesOfEveryDepth) {
  Dojo dojo(Pool("", 2));
  const TacticState swap = dojo.EnterFromFile(dir_ / "Swap.lean", "and_swap");
  const TacticState cheat = dojo.EnterFromFile(dir_ / "Swap.lean", "cheat");
  const RunResult first = dojo.RunTac(swap, "obtain ⟨hp, hq⟩ := h");
  ASSERT_TRUE(std::holds_alternative<TacticState>(first)) << Describe(first);
  const TacticState split = std::get<TacticState>(first);
  const std::vector<RunResult> results = dojo.RunTacs({{split, "constructor"},
                                                       {cheat, "rfl_by_compiler"},
                                                       {split, "exact ⟨hq, hp⟩"},
                                                       {swap, "exact ⟨h.2, h.1⟩"}});
  ASSERT_EQ(results.size(), 4u);
  ASSERT_TRUE(std::holds_alternative<TacticState>(results[0])) << Describe(results[0]);
  EXPECT_EQ(std::get<TacticState>(results[0]).pretty(), kLeft + "\n\n" + kRight);
  // Goals closed, but the check finds a non-standard axiom.
  ASSERT_TRUE(std::holds_alternative<LeanError>(results[1])) << Describe(results[1]);
  EXPECT_EQ(std::get<LeanError>(results[1]).kind, LeanError::kProofRejected);
  ASSERT_TRUE(std::holds_alternative<ProofFinished>(results[2])) << Describe(results[2]);
  EXPECT_EQ(std::get<ProofFinished>(results[2]).tactics,
            (std::vector<std::string>{"obtain ⟨hp, hq⟩ := h", "exact ⟨hq, hp⟩"}));
  ASSERT_TRUE(std::holds_alternative<ProofFinished>(results[3])) << Describe(results[3]);
  EXPECT_EQ(dojo.stats().checks, 3u);
}

TEST_F(DojoTest, RunTacsRecoversWhenTheWorkerDiesUnderTheBatch) {
  // Request 1 enters the theorem; the batch is requests 2-4, and 3 crashes
  // the process, so 4 (written behind it) never runs there.
  Dojo dojo(Pool("--crash-on 3"));
  const TacticState root = dojo.EnterFromFile(dir_ / "Swap.lean", "and_swap");
  const std::vector<RunResult> results = dojo.RunTacs({{root, "obtain ⟨hp, hq⟩ := h"},
                                                       {root, "exact my_fake_premise"},
                                                       {root, "exact ⟨h.2, h.1⟩"}});
  ASSERT_EQ(results.size(), 3u);
  ASSERT_TRUE(std::holds_alternative<TacticState>(results[0])) << Describe(results[0]);
  ASSERT_TRUE(std::holds_alternative<LeanError>(results[1])) << Describe(results[1]);
  EXPECT_EQ(std::get<LeanError>(results[1]).kind, LeanError::kTactic);
  EXPECT_TRUE(std::holds_alternative<ProofFinished>(results[2])) << Describe(results[2]);
  EXPECT_GE(dojo.stats().recoveries, 1u);
  // The state made by the dead process is re-created on demand.
  const RunResult r = dojo.RunTac(std::get<TacticState>(results[0]), "constructor");
  EXPECT_TRUE(std::holds_alternative<TacticState>(r)) << Describe(r);
  EXPECT_GE(dojo.stats().replayed, 1u);
}

TEST_F(DojoTest, StartTacticsMisuseIsRefusedBeforeAnythingRuns) {
  Dojo dojo(Pool());
  Dojo other(Pool());
  const TacticState root = dojo.EnterFromFile(dir_ / "Swap.lean", "and_swap");
  const TacticState foreign = other.EnterFromFile(dir_ / "Swap.lean", "and_swap");
  EXPECT_THROW(dojo.RunTacs({{root, "obtain ⟨hp, hq⟩ := h"}, {TacticState(), "rfl"}}),
               std::invalid_argument);
  EXPECT_THROW(dojo.RunTacs({{root, "obtain ⟨hp, hq⟩ := h"}, {foreign, "rfl"}}),
               std::invalid_argument);
  EXPECT_EQ(dojo.stats().tactics, 0u);
  EXPECT_TRUE(dojo.RunTacs({}).empty());
  PendingTactics pending = dojo.StartTactics({{root, "exact ⟨h.2, h.1⟩"}});
  const std::vector<RunResult> results = pending.Wait();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<ProofFinished>(results[0])) << Describe(results[0]);
  EXPECT_THROW(pending.Wait(), std::logic_error);
  EXPECT_THROW(PendingTactics().Wait(), std::logic_error);
}

}  // namespace
}  // namespace tatami::dojo
