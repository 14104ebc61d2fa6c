// Assembly of traced theorems from the REPL's recorded answers (allTactics
// and infotree at three REPL versions).
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "tatami/data/benchmark_json.h"
#include "tatami/data/declarations.h"
#include "tatami/data/trace_assembly.h"
#include "tatami/dojo/transcript.h"

namespace tatami::data {
namespace {

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The k-th (1-based) recorded response of `name` under repl-transcripts/.
nlohmann::json Response(const std::string& name, std::size_t k = 1) {
  const auto text = Slurp(testing::FixturesDir() / "repl-transcripts" / (name + ".expected.out"));
  auto responses = dojo::SplitResponseStream(text);
  EXPECT_GE(responses.size(), k);
  return nlohmann::json::parse(responses.at(k - 1).second);
}

TEST(InfoTree, GoalsBeforeAndAfterAtEveryRecordedVersion) {
  for (const char* name : {"infotree", "history/v4.19.0/infotree", "history/v4.9.0/infotree"}) {
    TATAMI_REQUIRE_FIXTURES(std::string("repl-transcripts/") + name + ".expected.out");
    const auto tactics = TacticsFromInfoTree(Response(name)["infotree"]);
    ASSERT_EQ(tactics.size(), 1u) << name;
    EXPECT_EQ(tactics[0].state_before, "h : Int\n⊢ Nat") << name;
    EXPECT_EQ(tactics[0].state_after, "no goals") << name;
    EXPECT_EQ(tactics[0].pos, (LeanPos{1, 28})) << name;
    EXPECT_EQ(tactics[0].end_pos, (LeanPos{1, 39})) << name;
    EXPECT_FALSE(tactics[0].synthetic);
  }
}

TEST(AllTactics, UsedConstantsAndGoalsBefore) {
  TATAMI_REQUIRE_FIXTURES("repl-transcripts/all_tactics.expected.out");
  const auto tactics = TacticsFromAllTactics(Response("all_tactics")["tactics"]);
  ASSERT_EQ(tactics.size(), 2u);
  EXPECT_EQ(tactics[0].state_before, "⊢ Nat");
  EXPECT_EQ(tactics[0].used_constants,
            (std::vector<std::string>{"instOfNatNat", "Nat", "OfNat.ofNat"}));
  EXPECT_EQ(tactics[1].state_before, "t : Nat\n⊢ Nat");
  EXPECT_FALSE(tactics[1].state_after.has_value());
}

TEST(AllTactics, OldestRecordedVersionHasNoUsedConstants) {
  TATAMI_REQUIRE_FIXTURES("repl-transcripts/history/v4.9.0/all_tactics.expected.out");
  const auto tactics = TacticsFromAllTactics(Response("history/v4.9.0/all_tactics")["tactics"]);
  ASSERT_EQ(tactics.size(), 2u);
  EXPECT_TRUE(tactics[0].used_constants.empty());
  EXPECT_EQ(tactics[1].state_before, "t : Nat ⊢ Nat");  // as that REPL printed it
}

// file2.lean: `rw [Nat.add_assoc, Nat.add_comm y, h1]` where h1 is the file's own theorem.
TEST(Assemble, TheoremsOfARecordedFileWithPremisesOfTheFile) {
  TATAMI_REQUIRE_FIXTURES("repl-transcripts/file2.lean");
  const std::string text = Slurp(testing::FixturesDir() / "repl-transcripts/file2.lean");
  const nlohmann::json response = Response("file2");
  std::map<std::string, DefinitionSite> sites;
  for (const Declaration& d : ListDeclarations(text))
    sites[d.premise.full_name] = {"file2.lean", d.name_pos, d.name_end};
  const DefinitionLookup lookup = [&](std::string_view n) -> std::optional<DefinitionSite> {
    auto it = sites.find(std::string(n));
    if (it == sites.end()) return std::nullopt;
    return it->second;
  };
  FileTraceInput in{"https://example.org/repo", "abc", "file2.lean", text, &response, 1};
  const auto theorems = AssembleTheorems(in, lookup);
  ASSERT_EQ(theorems.size(), 2u);
  EXPECT_EQ(theorems[0].full_name, "h1");
  EXPECT_TRUE(theorems[0].traced_tactics.empty());  // a term proof
  const TracedTheorem& h = theorems[1];
  EXPECT_EQ(h.full_name, "h");
  EXPECT_EQ(h.theorem_statement, "theorem h (x y z : Nat) : x + y + (z + a) = x + (z + b + y)");
  EXPECT_EQ(h.start, (Pos{6, 1}));
  EXPECT_EQ(h.end, (Pos{7, 41}));
  ASSERT_EQ(h.traced_tactics.size(), 1u);
  const TracedTactic& t = h.traced_tactics[0];
  EXPECT_EQ(t.tactic, "rw [Nat.add_assoc, Nat.add_comm y, h1]");
  // Only h1 can be placed (Nat.* are not in this project): it alone is annotated.
  EXPECT_EQ(t.annotated_tactic, "rw [Nat.add_assoc, Nat.add_comm y, <a>h1</a>]");
  ASSERT_EQ(t.premises.size(), 1u);
  EXPECT_EQ(t.premises[0].full_name, "h1");
  EXPECT_EQ(t.premises[0].def_path, "file2.lean");
  EXPECT_EQ(t.premises[0].def_pos, (Pos{4, 9}));
  EXPECT_EQ(t.premises[0].def_end_pos, (Pos{4, 11}));
  EXPECT_EQ(t.state_before, "x y z : Nat\n⊢ x + y + (z + a) = x + (z + b + y)");
  EXPECT_EQ(t.state_after, "no goals");  // the block's last tactic (no infotree recorded)
}

TEST(Assemble, NextTacticOfTheBlockGivesTheStateAfterWithoutInfoTree) {
  TATAMI_REQUIRE_FIXTURES("repl-transcripts/all_tactics.expected.out");
  nlohmann::json response = Response("all_tactics");
  // The recorded command declared `def f`; only theorems are traced, so the
  // same proof is read under `theorem f`, 4 columns further right.
  for (auto& t : response["tactics"])
    for (const char* k : {"pos", "endPos"}) t[k]["column"] = t[k]["column"].get<int>() + 4;
  const std::string text = "theorem f : Nat := by have t := 37; exact t";
  FileTraceInput in{"", "", "f.lean", text, &response, 1};
  const auto theorems = AssembleTheorems(in, {});
  ASSERT_EQ(theorems.size(), 1u);
  ASSERT_EQ(theorems[0].traced_tactics.size(), 2u);
  EXPECT_EQ(theorems[0].traced_tactics[0].tactic, "have t := 37");
  EXPECT_EQ(theorems[0].traced_tactics[0].state_after, "t : Nat\n⊢ Nat");
  EXPECT_EQ(theorems[0].traced_tactics[1].tactic, "exact t");
  EXPECT_EQ(theorems[0].traced_tactics[1].state_after, "no goals");
}

TEST(Assemble, MacroStepsAndRewriteRulesAreNotSequenceItems) {
  // An infotree shaped as Lean reports `rw [a, b]` (the rules inside the
  // tactic) and a nested `by` (its tactic counts).
  const std::string text = "theorem t : P := by\n  rw [a, b]\n  have h : Q := by simp\n  exact h";
  const nlohmann::json node = [] {
    auto tac = [](int l0, int c0, int l1, int c1, const char* before, const char* after,
                  nlohmann::json children = nlohmann::json::array()) {
      return nlohmann::json{
          {"kind", "TacticInfo"},
          {"node",
           {{"stx",
             {{"range",
               {{"synthetic", false},
                {"start", {{"line", l0}, {"column", c0}}},
                {"finish", {{"line", l1}, {"column", c1}}}}}}},
            {"goalsBefore", {before}},
            {"goalsAfter", after ? nlohmann::json{after} : nlohmann::json::array()}}},
          {"children", children}};
    };
    return nlohmann::json{
        {"infotree",
         {tac(2, 2, 2, 11, "⊢ P", "⊢ P'",
              {tac(2, 6, 2, 7, "⊢ P", "⊢ P1"), tac(2, 9, 2, 10, "⊢ P1", "⊢ P'")}),
          tac(3, 2, 3, 23, "⊢ P'", "h : Q\n⊢ P'", {tac(3, 19, 3, 23, "⊢ Q", nullptr)}),
          tac(4, 2, 4, 9, "h : Q\n⊢ P'", nullptr)}}};
  }();
  FileTraceInput in{"", "", "t.lean", text, &node, 1};
  const auto theorems = AssembleTheorems(in, {});
  ASSERT_EQ(theorems.size(), 1u);
  std::vector<std::string> tactics;
  for (const auto& t : theorems[0].traced_tactics) tactics.push_back(t.tactic);
  EXPECT_EQ(tactics,
            (std::vector<std::string>{"rw [a, b]", "have h : Q := by simp", "simp", "exact h"}));
}

TEST(Declarations, NamespacesKindsAndRanges) {
  const std::string text =
      "namespace A\n\n/-- doc -/\n@[simp] theorem foo : 1 = 1 := rfl\n\nprivate def bar : Nat :=\n "
      " 3\n"
      "-- a comment\nend A\n\ntheorem _root_.baz : True := trivial\n";
  const auto decls = ListDeclarations(text);
  ASSERT_EQ(decls.size(), 3u);
  EXPECT_EQ(decls[0].premise.full_name, "A.foo");
  EXPECT_EQ(decls[0].premise.kind, "theorem");
  EXPECT_EQ(decls[0].premise.code, "@[simp] theorem foo : 1 = 1 := rfl");
  EXPECT_EQ(decls[0].name_pos, (Pos{4, 17}));
  EXPECT_EQ(decls[1].premise.full_name, "A.bar");
  EXPECT_EQ(decls[1].premise.code, "private def bar : Nat :=\n  3");
  EXPECT_EQ(decls[1].premise.end, (Pos{7, 4}));
  EXPECT_EQ(decls[2].premise.full_name, "baz");
}

}  // namespace
}  // namespace tatami::data

namespace tatami::data {
namespace {

// The benchmark's own annotations: given the premises LeanDojo found in each
// tactic (as the used constants, placed where LeanDojo placed them), the
// mentions are found and marked exactly as in the published sample.
TEST(Annotate, ReproducesTheSampleAnnotations) {
  TATAMI_REQUIRE_FIXTURES("leandojo-benchmark4-sample/random/test.prefix.json");
  const auto theorems = ReadTheoremList(
      (testing::FixturesDir() / "leandojo-benchmark4-sample/random/test.prefix.json").string());
  std::size_t checked = 0;
  for (const TracedTheorem& t : theorems)
    for (const TracedTactic& tac : t.traced_tactics) {
      std::vector<std::string> used;
      std::map<std::string, AnnotatedPremise> placed;
      for (const AnnotatedPremise& p : tac.premises) {
        used.push_back(p.full_name);
        placed[p.full_name] = p;
      }
      const DefinitionLookup lookup = [&](std::string_view n) -> std::optional<DefinitionSite> {
        auto it = placed.find(std::string(n));
        if (it == placed.end()) return std::nullopt;
        return DefinitionSite{it->second.def_path, it->second.def_pos, it->second.def_end_pos};
      };
      // The source text is the annotated text without its marks (LeanDojo's
      // `tactic` field dedents continuation lines; `annotated_tactic` does not).
      std::string source = tac.annotated_tactic;
      for (const char* mark : {"<a>", "</a>"})
        for (std::size_t p; (p = source.find(mark)) != std::string::npos;)
          source.erase(p, std::string_view(mark).size());
      const auto [annotated, premises] = AnnotateTactic(source, used, lookup);
      bool dedents = false;  // some start column gives LeanDojo's `tactic`
      for (long column = 0; column <= 16 && !dedents; ++column)
        dedents = DedentTactic(source, column) == tac.tactic;
      EXPECT_TRUE(dedents) << tac.tactic;
      EXPECT_EQ(annotated, tac.annotated_tactic) << t.full_name;
      EXPECT_TRUE(premises == tac.premises) << t.full_name << ": " << tac.tactic;
      ++checked;
    }
  EXPECT_EQ(checked, 41u);
}

}  // namespace
}  // namespace tatami::data
