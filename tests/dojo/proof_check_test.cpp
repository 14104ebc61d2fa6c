#include "tatami/dojo/proof_check.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fixtures.h"

namespace tatami::dojo {
namespace {

using nlohmann::json;

ReplOutcome Answer(json j) {
  ReplResponse r;
  r.json = std::move(j);
  return r;
}

json Info(const std::string& data) {
  return {{"severity", "info"},
          {"pos", {{"line", 5}, {"column", 0}}},
          {"endPos", {{"line", 5}, {"column", 6}}},
          {"data", data}};
}

TEST(ProofCheckTest, ParsesAxiomsAnswers) {
  auto r = ParseAxiomsMessage("'foo' depends on axioms: [propext, Classical.choice, Quot.sound]");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->name, "foo");
  EXPECT_EQ(r->axioms, (std::vector<std::string>{"propext", "Classical.choice", "Quot.sound"}));
  r = ParseAxiomsMessage("'Ns.bar' does not depend on any axioms");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->name, "Ns.bar");
  EXPECT_TRUE(r->axioms.empty());
  EXPECT_FALSE(ParseAxiomsMessage("declaration uses `sorry`").has_value());
  // A `'` inside the name is printed as is; the backtick quoting is read too.
  r = ParseAxiomsMessage("'X.run'_refines' does not depend on any axioms");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->name, "X.run'_refines");
  r = ParseAxiomsMessage("`a'` depends on axioms: [propext,\n  Quot.sound]");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->name, "a'");
  EXPECT_EQ(r->axioms, (std::vector<std::string>{"propext", "Quot.sound"}));
  EXPECT_FALSE(ParseAxiomsMessage("'foo' depends on axioms: [").has_value());
}

TEST(ProofCheckTest, FindsBannedTacticsAsWholeIdentifiersOutsideCommentsAndStrings) {
  const std::vector<std::string> ban{"sorry", "admit", "native_decide"};
  EXPECT_EQ(FindBannedTactics("by\n  simp\n  sorry", ban), (std::vector<std::string>{"sorry"}));
  EXPECT_EQ(FindBannedTactics("by native_decide", ban),
            (std::vector<std::string>{"native_decide"}));
  EXPECT_EQ(FindBannedTactics("exact ⟨sorry, h⟩ <;> admit", ban),
            (std::vector<std::string>{"sorry", "admit"}));
  EXPECT_TRUE(
      FindBannedTactics("exact sorry_free h -- sorry\n/- admit /- nested -/ sorry -/ decide", ban)
          .empty());
  EXPECT_TRUE(FindBannedTactics("simp [h.sorry', \"sorry\"]", ban).empty());
  EXPECT_TRUE(FindBannedTactics("exact h₁sorry", ban).empty());
}

TEST(ProofCheckTest, SplicesTacticsIndentedWithAxiomsQuery) {
  EXPECT_EQ(
      SpliceProof("theorem t (n : Nat) : n = n \n", {"intro h", "cases h with\n| a => rfl"}, "t"),
      "theorem t (n : Nat) : n = n := by\n  intro h\n  cases h with\n  | a => rfl\n\n#print axioms "
      "_root_.t\n");
  EXPECT_TRUE(SpliceProof("theorem foo : True", {"trivial"}, "X.Y.foo")
                  .ends_with("\n#print axioms _root_.X.Y.foo\n"));
}

TEST(ProofCheckTest, AcceptsCleanProofWithStandardAxioms) {
  const auto v = JudgeProof(
      "theorem t : True := by trivial",
      Answer({{"env", 1}, {"messages", {Info("'t' depends on axioms: [propext]")}}}), "t");
  EXPECT_TRUE(v.ok) << v.reason;
  EXPECT_EQ(v.failed, FailedCheck::kNone);
  EXPECT_EQ(v.axioms, (std::vector<std::string>{"propext"}));
  EXPECT_TRUE(v.messages.empty());
}

TEST(ProofCheckTest, EachCheckFailsWithItsName) {
  const std::string code = "theorem t : True := by trivial";
  // Lean error: the text and position Lean gave for `theorem foo (x : Int) : x = x := by\n  have
  // h : x = 1 := by sorry` (repl-transcripts have_by_sorry, response 1).
  json err = {{"severity", "error"},
              {"pos", {{"line", 1}, {"column", 33}}},
              {"endPos", {{"line", 2}, {"column", 28}}},
              {"data", "unsolved goals\nx : Int\nh : x = 1\n⊢ x = x"}};
  auto v = JudgeProof(
      code, Answer({{"env", 1}, {"messages", {err, Info("'t' does not depend on any axioms")}}}),
      "t");
  EXPECT_EQ(v.failed, FailedCheck::kLeanError);
  EXPECT_NE(v.reason.find("unsolved goals"), std::string::npos);
  // Sorry listed, or only the warning, or only sorryAx.
  v = JudgeProof(code, Answer({{"env", 1}, {"sorries", {{{"goal", "⊢ True"}}}}}), "t");
  EXPECT_EQ(v.failed, FailedCheck::kSorry);
  json warn = {{"severity", "warning"}, {"data", "declaration uses 'sorry'"}};
  v = JudgeProof(code, Answer({{"env", 1}, {"messages", {warn}}}), "t");
  EXPECT_EQ(v.failed, FailedCheck::kSorry);
  v = JudgeProof(
      code, Answer({{"env", 1}, {"messages", {Info("'t' depends on axioms: [sorryAx]")}}}), "t");
  EXPECT_EQ(v.failed, FailedCheck::kSorry);
  // Axioms.
  v = JudgeProof(code, Answer({{"env", 1}}), "t");
  EXPECT_EQ(v.failed, FailedCheck::kAxiomsUnknown);
  v = JudgeProof(
      code, Answer({{"env", 1}, {"messages", {Info("'other' does not depend on any axioms")}}}),
      "t");
  EXPECT_EQ(v.failed, FailedCheck::kAxiomsUnknown);
  v = JudgeProof(
      code,
      Answer({{"env", 1},
              {"messages", {Info("'t' depends on axioms: [Lean.ofReduceBool, propext]")}}}),
      "t");
  EXPECT_EQ(v.failed, FailedCheck::kAxioms);
  EXPECT_NE(v.reason.find("Lean.ofReduceBool"), std::string::npos);
  EXPECT_EQ(v.reason.find("propext"), std::string::npos);
  // Banned tactic wins even over a clean answer.
  v = JudgeProof("theorem t : 1 = 1 := by native_decide",
                 Answer({{"env", 1}, {"messages", {Info("'t' does not depend on any axioms")}}}),
                 "t");
  EXPECT_EQ(v.failed, FailedCheck::kBannedTactic);
  EXPECT_EQ(v.banned, (std::vector<std::string>{"native_decide"}));
  // Not checked: REPL error object, timeout, crash.
  v = JudgeProof(code, Answer({{"message", "Unknown environment."}}), "t");
  EXPECT_EQ(v.failed, FailedCheck::kNotChecked);
  v = JudgeProof(code, ReplTimeout{std::chrono::milliseconds(10), ""}, "t");
  EXPECT_EQ(v.failed, FailedCheck::kNotChecked);
  EXPECT_TRUE(v.timed_out);
  ReplCrash crash;
  crash.signal = 9;
  crash.reason = "killed by signal 9";
  v = JudgeProof(code, crash, "t");
  EXPECT_EQ(v.failed, FailedCheck::kNotChecked);
  EXPECT_FALSE(v.timed_out);
}

TEST(ProofCheckTest, CustomOptionsChangeTheSets) {
  ProofCheckOptions opts;
  opts.allowed_axioms = {"propext"};
  opts.banned_tactics = {"decide"};
  auto v = JudgeProof(
      "theorem t : True := by decide",
      Answer({{"env", 1}, {"messages", {Info("'t' does not depend on any axioms")}}}), "t", opts);
  EXPECT_EQ(v.failed, FailedCheck::kBannedTactic);
  v = JudgeProof("theorem t : True := by sorry",
                 Answer({{"env", 1}, {"messages", {Info("'t' depends on axioms: [Quot.sound]")}}}),
                 "t", opts);
  EXPECT_EQ(v.failed, FailedCheck::kAxioms);
}

TEST(ProofCheckTest, EveryDeclarationNeedsItsOwnAllowedAnswer) {
  const std::vector<std::string> decls{"N.a", "b"};
  const json a = Info("'N.a' does not depend on any axioms");
  const json b = Info("'b' depends on axioms: [propext]");
  auto v = JudgeProof("", Answer({{"env", 1}, {"messages", {b, a}}}), decls);
  EXPECT_TRUE(v.ok) << v.reason;
  ASSERT_EQ(v.reports.size(), 2u);
  EXPECT_EQ(v.reports[0].name, "N.a");
  v = JudgeProof("", Answer({{"env", 1}, {"messages", {a}}}), decls);
  EXPECT_EQ(v.failed, FailedCheck::kAxiomsUnknown);
  EXPECT_NE(v.reason.find("'b'"), std::string::npos) << v.reason;
  v = JudgeProof(
      "",
      Answer({{"env", 1}, {"messages", {a, Info("'b' depends on axioms: [Lean.ofReduceBool]")}}}),
      decls);
  EXPECT_EQ(v.failed, FailedCheck::kAxioms);
  EXPECT_NE(v.reason.find("b: Lean.ofReduceBool"), std::string::npos) << v.reason;
  v = JudgeProof(
      "", Answer({{"env", 1}, {"messages", {Info("'N.a' depends on axioms: [sorryAx]"), b}}}),
      decls);
  EXPECT_EQ(v.failed, FailedCheck::kSorry);
  EXPECT_NE(v.reason.find("N.a"), std::string::npos) << v.reason;
}

TEST(ProofCheckTest, PrepareCheckNamesExamplesAndQueriesEveryDeclaration) {
  const std::string body =
      "namespace N\ntheorem t : True := trivial\nexample : True := by trivial\nend N\n"
      "noncomputable example (n : Nat) : Nat := n\n";
  const CheckCommand c = PrepareCheck(body);
  EXPECT_EQ(c.code,
            "namespace N\ntheorem t : True := trivial\n"
            "noncomputable def tatami_example_3 : True := by trivial\nend N\n"
            "noncomputable def tatami_example_5 (n : Nat) : Nat := n\n"
            "\n#print axioms _root_.N.t\n#print axioms _root_.N.tatami_example_3"
            "\n#print axioms _root_.tatami_example_5");
  EXPECT_EQ(c.declarations,
            (std::vector<std::string>{"N.t", "N.tatami_example_3", "tatami_example_5"}));
  // A name the text already uses is not taken.
  const CheckCommand taken = PrepareCheck(
      "theorem X.tatami_example_2 : True := trivial\n"
      "example : True := trivial");
  EXPECT_EQ(taken.declarations,
            (std::vector<std::string>{"X.tatami_example_2", "tatami_example_2'"}));
  // Without examples the body is unchanged.
  EXPECT_EQ(PrepareCheck("def x := 1").code, "def x := 1");
}

TEST(ProofCheckTest, RestorePositionsUndoesTheRenameOnItsLine) {
  const CheckCommand c = PrepareCheck("theorem t : True := trivial\nexample : 1 = 2 := rfl");
  // "noncomputable def tatami_example_2" is 27 code points longer than "example".
  ASSERT_EQ(c.named_examples.size(), 1u);
  EXPECT_EQ(c.named_examples[0].added, 27u);
  json items = json::array(
      {{{"pos", {{"line", 2}, {"column", 46}}}, {"endPos", {{"line", 2}, {"column", 49}}}},
       {{"pos", {{"line", 2}, {"column", 18}}}},
       {{"pos", {{"line", 1}, {"column", 54}}}}});
  RestorePositions(c, items);
  EXPECT_EQ(items[0]["pos"]["column"], 19);  // `rfl` in the original line
  EXPECT_EQ(items[0]["endPos"]["column"], 22);
  EXPECT_EQ(items[1]["pos"]["column"], 0);   // inside the new keyword: at `example`
  EXPECT_EQ(items[2]["pos"]["column"], 54);  // other lines are untouched
}

// The kimina server's recorded answers to whole Mathlib proofs. Its response
// is the REPL's command response plus a "time" field; a proof that ran out
// of time is recorded as {"error": "Lean process timed out", "response":
// null}, which we read as a ReplTimeout. The recordings carry no `#print
// axioms`, so the axiom checks are skipped (theorem name nullopt).
TEST(ProofCheckFixtureTest, KiminaWholeProofVerdicts) {
  TATAMI_REQUIRE_FIXTURES();
  const auto dir = testing::FixturesDir() / "check-transcripts-kimina/match";
  std::map<FailedCheck, int> counts;
  int with_warnings = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "output")) {
    std::ifstream out(entry.path());
    const json recorded = json::parse(out);
    const json& result = recorded["results"][0];
    std::ifstream in(dir / "input" / (entry.path().stem().string() + ".lean"));
    ASSERT_TRUE(in) << entry.path();
    std::stringstream code;
    code << in.rdbuf();
    ReplOutcome outcome;
    if (result["error"].is_string()) {
      ASSERT_EQ(result["error"], "Lean process timed out") << entry.path();
      outcome = ReplTimeout{std::chrono::milliseconds(0), ""};
    } else {
      json response = result["response"];
      response.erase("time");
      if (!response.contains("env"))
        response["env"] = 0;  // kimina drops env when it reuses a worker
      outcome = Answer(response);
    }
    const ProofVerdict v = JudgeProof(code.str(), outcome, std::nullopt);
    ++counts[v.failed];
    if (v.failed == FailedCheck::kNotChecked) {
      EXPECT_TRUE(v.timed_out) << entry.path();
    }
    if (v.ok && !v.messages.empty()) ++with_warnings;
  }
  // ORIGIN.md: 102 proofs, 4 timeouts, no Lean errors, 43 with only warnings/infos.
  EXPECT_EQ(counts[FailedCheck::kNone], 98);
  EXPECT_EQ(counts[FailedCheck::kNotChecked], 4);
  EXPECT_EQ(counts.size(), 2u);
  EXPECT_EQ(with_warnings, 43);
}

}  // namespace
}  // namespace tatami::dojo
