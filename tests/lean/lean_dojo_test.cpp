// The Dojo against a real Lean, on lean_project/Examples.lean.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "lean_test_support.h"
#include "tatami/dojo/dojo.h"

namespace tatami::dojo {
namespace {

namespace fs = std::filesystem;

const fs::path kProject = lean_tests::LeanProject();

class LeanDojoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = lean_tests::LeanUnavailable()) GTEST_SKIP() << *why;
    WorkerPoolOptions o;
    o.repl_command = {"lake", "exe", "repl"};
    o.project_dir = kProject;
    o.workers = 2;
    o.request_timeout = std::chrono::seconds(120);
    pool_ = std::make_shared<WorkerPool>(o);
  }
  std::shared_ptr<WorkerPool> pool_;
};

TEST_F(LeanDojoTest, ProvesAndSwapWithACheckedProof) {
  Dojo dojo(pool_);
  const TacticState root = dojo.EnterFromFile(kProject / "Examples.lean", "and_swap");
  EXPECT_EQ(root.pretty(), "p q : Prop\nh : p ∧ q\n⊢ q ∧ p");
  RunResult r = dojo.RunTac(root, "obtain ⟨hp, hq⟩ := h");
  ASSERT_TRUE(std::holds_alternative<TacticState>(r)) << Describe(r);
  r = dojo.RunTac(std::get<TacticState>(r), "exact ⟨hq, hp⟩");
  ASSERT_TRUE(std::holds_alternative<ProofFinished>(r)) << Describe(r);
  EXPECT_TRUE(std::get<ProofFinished>(r).verdict.ok);
}

TEST_F(LeanDojoTest, ClassicalProofPassesWithTheStandardAxioms) {
  Dojo dojo(pool_);
  const TacticState root = dojo.EnterFromFile(kProject / "Examples.lean", "em_example");
  const RunResult r = dojo.RunTac(root, "exact Classical.em p");
  ASSERT_TRUE(std::holds_alternative<ProofFinished>(r)) << Describe(r);
  EXPECT_FALSE(std::get<ProofFinished>(r).verdict.axioms.empty());
}

// Lean answers `#print axioms` inside a namespace with the full name; every
// one of these proofs must be accepted, not left "axioms unknown".
TEST_F(LeanDojoTest, NamespacedTheoremsAreChecked) {
  Dojo dojo(pool_);
  for (const auto& [name, tactic] : std::vector<std::pair<std::string, std::string>>{
           {"add_zero_left", "simp"},
           {"true_at_root", "trivial"},
           {"Deeper.and_self_example", "exact ⟨hp, hp⟩"},
           {"TatamiExamples.or_swap", "intro h; exact h.symm"}}) {
    const TacticState root = dojo.EnterFromFile(kProject / "Examples.lean", name);
    const RunResult r = dojo.RunTac(root, tactic);
    ASSERT_TRUE(std::holds_alternative<ProofFinished>(r)) << name << ": " << Describe(r);
  }
}

TEST_F(LeanDojoTest, ErrorsGiveUpsAndBadHeaders) {
  Dojo dojo(pool_);
  const TacticState root = dojo.Enter("", "theorem two_plus_two : 2 + 2 = 4");
  RunResult r = dojo.RunTac(root, "exact no_such_lemma");
  ASSERT_TRUE(std::holds_alternative<LeanError>(r)) << Describe(r);
  r = dojo.RunTac(root, "native_decide");
  EXPECT_TRUE(std::holds_alternative<ProofGivenUp>(r)) << Describe(r);
  r = dojo.RunTac(root, "decide");
  EXPECT_TRUE(std::holds_alternative<ProofFinished>(r)) << Describe(r);
  EXPECT_THROW(dojo.Enter("import NoSuchModule.Anywhere", "theorem t : True"), DojoError);
  EXPECT_THROW(dojo.Enter("", "theorem broken : (1 = "), DojoError);
}

}  // namespace
}  // namespace tatami::dojo
