// Lean names as the double reads, prints and orders them.
#include <gtest/gtest.h>

#include "lean_name.h"

namespace tatami::testing {
namespace {

using repl_double::LeanName;
using repl_double::NameLess;
using repl_double::ParseIdentifier;
using repl_double::ReadIdentifier;

std::vector<std::string> Parts(std::string_view text, std::size_t* end) {
  auto n = ReadIdentifier(text, 0, end);
  return n ? n->parts : std::vector<std::string>{"<none>"};
}

TEST(LeanNameTest, ReadsDottedEscapedAndPrimedNames) {
  std::size_t end = 0;
  EXPECT_EQ(Parts("A.b' (x : Nat)", &end), (std::vector<std::string>{"A", "b'"}));
  EXPECT_EQ(end, 4u);
  EXPECT_EQ(Parts("«my thm».x₁ : True", &end), (std::vector<std::string>{"my thm", "x₁"}));
  EXPECT_EQ(Parts("foo.{u} (α : Sort u)", &end), (std::vector<std::string>{"foo"}));
  EXPECT_EQ(end, 3u);
  EXPECT_EQ(Parts("_root_.bar:", &end), (std::vector<std::string>{"_root_", "bar"}));
  EXPECT_EQ(Parts("(x : Nat)", &end), (std::vector<std::string>{"<none>"}));
  EXPECT_EQ(Parts("«unclosed", &end), (std::vector<std::string>{"<none>"}));
  EXPECT_FALSE(ParseIdentifier("foo bar").has_value());
  EXPECT_EQ(ParseIdentifier("  Nat.add_comm\n")->parts,
            (std::vector<std::string>{"Nat", "add_comm"}));
}

TEST(LeanNameTest, PrintsComponentsThatAreNoIdentifiersInGuillemets) {
  EXPECT_EQ((LeanName{{"Graphiti", "run'_refines"}}).ToString(), "Graphiti.run'_refines");
  EXPECT_EQ((LeanName{{"N", "my thm"}}).ToString(), "N.«my thm»");
  EXPECT_EQ((LeanName{{"1x", "a.b"}}).ToString(), "«1x».«a.b»");
  EXPECT_EQ(ParseIdentifier("«my thm».ok")->ToString(), "«my thm».ok");
}

TEST(LeanNameTest, OrdersAsNameLt) {
  auto less = [](const char* a, const char* b) {
    return NameLess(*ParseIdentifier(a), *ParseIdentifier(b));
  };
  EXPECT_TRUE(less("sorryAx", "Classical.choice"));  // fewer components first
  EXPECT_TRUE(less("propext", "sorryAx"));
  EXPECT_TRUE(less("Classical.choice", "Quot.sound"));
  EXPECT_TRUE(less("Z.a", "A.b.c"));
  EXPECT_FALSE(less("Quot.sound", "Classical.choice"));
  EXPECT_FALSE(less("propext", "propext"));
}

}  // namespace
}  // namespace tatami::testing
