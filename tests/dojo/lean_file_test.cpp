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
}

}  // namespace
}  // namespace tatami::dojo
