#include "tatami/dojo/lean_name.h"

#include <gtest/gtest.h>

namespace tatami::dojo {
namespace {

TEST(LeanNameTest, SplitsOnDotsOutsideFrenchQuotes) {
  EXPECT_EQ(SplitName("A.«b.c d».e'"), (std::vector<std::string>{"A", "b.c d", "e'"}));
  EXPECT_EQ(SplitName("run'_refines"), (std::vector<std::string>{"run'_refines"}));
  EXPECT_TRUE(SplitName("").empty());
}

TEST(LeanNameTest, AnswerNamesTheDeclarationUpToQuotesAndPrivatePrefix) {
  EXPECT_TRUE(NamesDeclaration("Graphiti.run'_refines", "Graphiti.run'_refines"));
  EXPECT_TRUE(NamesDeclaration("X.«foo»", "X.foo"));
  EXPECT_TRUE(NamesDeclaration("_private.Mod.Sub.0.X.foo", "X.foo"));
  // The short name is not the declaration Lean names: the namespace bug.
  EXPECT_FALSE(NamesDeclaration("Graphiti.run'_refines", "run'_refines"));
  EXPECT_FALSE(NamesDeclaration("X.foo", "Y.X.foo"));
  EXPECT_FALSE(NamesDeclaration("_private.Mod.0.Y.foo", "X.foo"));
  EXPECT_FALSE(NamesDeclaration("foo", ""));
}

TEST(LeanNameTest, QueriesFromTheRoot) {
  EXPECT_EQ(AxiomsQueryName("X.foo"), "_root_.X.foo");
  EXPECT_EQ(AxiomsQueryName("foo"), "_root_.foo");
  EXPECT_EQ(JoinName("", "foo"), "foo");
  EXPECT_EQ(JoinName("A.B", "foo"), "A.B.foo");
}

}  // namespace
}  // namespace tatami::dojo
