#include "tatami/dojo/lean_file.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace tatami::dojo {
namespace {

constexpr const char* kFile = R"(import Lean.Data.HashMap
-- a comment: theorem fake : True := trivial
open Nat

/-- doc with := inside -/
theorem top_level (n : Nat) : n + 0 = n := by
  rfl

namespace Outer
namespace Inner.Deep

@[simp] private theorem nested {α : Type} (xs : List α) (h : xs = xs := rfl) :
    xs ++ [] = xs := by
  simp
/- theorem in_comment : False := sorry -/
lemma swap (p q : Prop) (h : p ∧ q) : q ∧ p :=
  ⟨h.2, h.1⟩
end Inner.Deep

theorem top_level : True := trivial
end Outer

def notATheorem : Nat := 3
theorem no_assign : True
  | _ => trivial
)";

TEST(LeanFileTest, ListsTheoremsWithNamespacesAndStatements) {
  const auto all = ListTheorems(kFile);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].full_name, "top_level");
  EXPECT_EQ(all[0].statement, "theorem top_level (n : Nat) : n + 0 = n");
  EXPECT_EQ(all[0].header, "import Lean.Data.HashMap");
  EXPECT_EQ(all[0].line, 6u);
  EXPECT_NE(all[0].proof.find("rfl"), std::string::npos);
  EXPECT_EQ(all[1].full_name, "Outer.Inner.Deep.nested");
  EXPECT_EQ(all[1].statement,
            "theorem nested {α : Type} (xs : List α) (h : xs = xs := rfl) :\n    xs ++ [] = xs");
  // Attributes and modifiers stay in the context, so context + statement is the source.
  EXPECT_TRUE(all[1].context.ends_with("@[simp] private "));
  EXPECT_EQ(all[2].full_name, "Outer.Inner.Deep.swap");
  EXPECT_EQ(all[3].full_name, "Outer.top_level");
}

TEST(LeanFileTest, FindsByShortOrFullNameAndReportsMissingOrAmbiguous) {
  EXPECT_EQ(FindTheorem(kFile, "swap", "Ex.lean").full_name, "Outer.Inner.Deep.swap");
  EXPECT_EQ(FindTheorem(kFile, "Outer.top_level", "Ex.lean").statement, "theorem top_level : True");
  try {
    FindTheorem(kFile, "nonexistent", "Ex.lean");
    FAIL();
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'nonexistent' not found in Ex.lean"), std::string::npos) << what;
    EXPECT_NE(what.find("Outer.Inner.Deep.swap"), std::string::npos) << what;
  }
  try {
    FindTheorem(kFile, "top_level", "Ex.lean");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("ambiguous"), std::string::npos) << e.what();
  }
  EXPECT_THROW(FindTheorem(kFile, "in_comment", "Ex.lean"), std::invalid_argument);
  EXPECT_THROW(FindTheorem(kFile, "fake", "Ex.lean"), std::invalid_argument);
}

// Lean's declaration rules: nested namespaces, sections, `end` with dotted
// names, `_root_`, dotted declaration names, `open`, modifiers, «» and `'`.
constexpr const char* kScopes = R"(namespace A.B
open Nat
section Inner
theorem t1 : True := trivial
end Inner
theorem X.t2 : True := trivial
theorem _root_.t3 : True := trivial
protected theorem t4 : True := trivial
private lemma t5' : True := trivial
end B
theorem «t 6» : True := trivial
end A
noncomputable section
namespace C
mutual
theorem m1 : True := trivial
end
theorem t7 : True := trivial
end C
end
theorem t8 : True := trivial
namespace D.E
end E
theorem t9 : True := trivial
)";

TEST(LeanFileTest, FullNamesFollowLeansScopes) {
  const auto all = ListTheorems(kScopes);
  std::vector<std::string> names;
  for (const auto& t : all) names.push_back(t.full_name);
  EXPECT_EQ(names, (std::vector<std::string>{"A.B.t1", "A.B.X.t2", "t3", "A.B.t4", "A.B.t5'",
                                             "A.«t 6»", "C.m1", "C.t7", "t8", "D.t9"}));
  EXPECT_EQ(all[1].name, "X.t2");
  EXPECT_EQ(all[2].name, "_root_.t3");
  EXPECT_EQ(FindTheorem(kScopes, "A.B.X.t2", "S.lean").line, 6u);
  EXPECT_EQ(FindTheorem(kScopes, "A.t 6", "S.lean").line, 11u);
}

TEST(LeanFileTest, ListsExamplesWithTheirNamespaceAndColumn) {
  const std::string text =
      "import Mathlib\nnamespace N\nexample : True := trivial\nend N\n"
      "/-- ∀ -/ noncomputable example : Nat := 0\n  -- example : False := sorry\n";
  const auto examples = ListExamples(text);
  ASSERT_EQ(examples.size(), 2u);
  EXPECT_EQ(examples[0].line, 3u);
  EXPECT_EQ(examples[0].column, 0u);
  EXPECT_EQ(examples[0].namespace_name, "N");
  EXPECT_FALSE(examples[0].no_noncomputable);
  EXPECT_EQ(text.substr(examples[0].offset, 7), "example");
  EXPECT_EQ(examples[1].line, 5u);
  EXPECT_EQ(examples[1].column, 23u);  // code points: the comment's ∀ is one column
  EXPECT_EQ(examples[1].namespace_name, "");
  EXPECT_TRUE(examples[1].no_noncomputable);
}

// `open X in` (or `set_option ... in`) before the keyword on the same line
// scopes that command to the declaration, which is still found; an `in` that
// follows no such command does not start one.
TEST(LeanFileTest, FindsATheoremAfterAnOpenInPrefixOnItsLine) {
  const std::string text =
      "import Mathlib\nnamespace N\nopen Nat in theorem foo (n : Nat) : n = n := rfl\n"
      "open Nat List in @[simp] private theorem bar : True := trivial\n"
      "set_option maxHeartbeats 400 in open Nat in\ntheorem baz : True := trivial\n"
      "set_option maxHeartbeats 400 in lemma qux : True := trivial\n"
      "end N\n"
      "def f (x : Nat) := x in theorem not_a_command : True := trivial\n";
  const auto all = ListTheorems(text);
  std::vector<std::string> names;
  for (const auto& t : all) names.push_back(t.full_name);
  EXPECT_EQ(names, (std::vector<std::string>{"N.foo", "N.bar", "N.baz", "N.qux"}));
  const TheoremSource foo = FindTheorem(text, "foo", "S.lean");
  EXPECT_EQ(foo.line, 3u);
  EXPECT_EQ(foo.statement, "theorem foo (n : Nat) : n = n");
  EXPECT_TRUE(foo.context.ends_with("namespace N\nopen Nat in ")) << foo.context;
  EXPECT_EQ(foo.proof, " rfl\n");
  EXPECT_TRUE(FindTheorem(text, "N.bar", "S.lean").context.ends_with("@[simp] private "));
}

TEST(LeanFileTest, MissingFileIsAnErrorNamingIt) {
  try {
    LoadTheorem("/nonexistent/dir/Missing.lean", "x");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("Missing.lean"), std::string::npos);
  }
}

TEST(LeanFileTest, ExamplesOfTheLeanProjectAreFound) {
  const auto path = std::filesystem::path(TATAMI_SOURCE_DIR) / "lean_project" / "Examples.lean";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  const TheoremSource t = LoadTheorem(path, "add_zero_right");
  EXPECT_EQ(t.full_name, "TatamiExamples.add_zero_right");
  EXPECT_TRUE(t.header.empty());
  EXPECT_EQ(LoadTheorem(path, "add_zero_left").full_name, "TatamiExamples.Nested.add_zero_left");
  EXPECT_EQ(LoadTheorem(path, "true_at_root").full_name, "true_at_root");
}

}  // namespace
}  // namespace tatami::dojo
