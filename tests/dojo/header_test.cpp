// Import-header extraction and normalisation.
#include "tatami/dojo/header.h"

#include <stdexcept>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tatami::dojo {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(HeaderTest, SplitsImportsFromBody) {
  const SplitSnippet s = SplitHeader("import Mathlib\nimport Aesop\n\ntheorem t : 1 = 1 := rfl\n");
  EXPECT_THAT(s.header.lines, ElementsAre("import Mathlib", "import Aesop"));
  EXPECT_EQ(s.header.Key(), "import Mathlib\nimport Aesop");
  EXPECT_THAT(s.header.Modules(), ElementsAre("Mathlib", "Aesop"));
  EXPECT_EQ(s.body, "\ntheorem t : 1 = 1 := rfl\n");
  EXPECT_EQ(s.body_first_line, 3u);
}

TEST(HeaderTest, NormalisesWhitespaceCommentsAndSharedLines) {
  const SplitSnippet a = SplitHeader(
      "-- a proof\n/- block /- nested -/ comment -/\n  import   Mathlib.Tactic  -- tactics\n"
      "import Aesop import Batteries\nexample : True := trivial");
  EXPECT_EQ(a.header.Key(), "import Mathlib.Tactic\nimport Aesop\nimport Batteries");
  EXPECT_EQ(a.body, "example : True := trivial");
  EXPECT_EQ(a.body_first_line, 5u);
  const ImportHeader b = ParseHeader("import Mathlib.Tactic\nimport Aesop\nimport Batteries\n");
  EXPECT_EQ(a.header, b);
}

TEST(HeaderTest, KeepsImportOrder) {
  EXPECT_NE(ParseHeader("import A\nimport B").Key(), ParseHeader("import B\nimport A").Key());
}

TEST(HeaderTest, NoImportsMeansEmptyHeaderAndWholeBody) {
  const std::string text = "-- comment\ntheorem t : True := trivial\n";
  const SplitSnippet s = SplitHeader(text);
  EXPECT_TRUE(s.header.empty());
  EXPECT_EQ(s.header.Key(), "");
  EXPECT_EQ(s.body, text);
  EXPECT_EQ(s.body_first_line, 1u);
}

TEST(HeaderTest, ImportAfterCodeIsBody) {
  const SplitSnippet s = SplitHeader("def x := 1\nimport Mathlib\n");
  EXPECT_TRUE(s.header.empty());
}

TEST(HeaderTest, ModuleSystemModifiersAndPrelude) {
  EXPECT_THAT(ParseHeader("module\npublic import Foo.Bar\nimport all Baz\nmeta import Q").lines,
              ElementsAre("module", "public import Foo.Bar", "import all Baz", "meta import Q"));
  EXPECT_THAT(ParseHeader("prelude\nimport Init.Core").lines,
              ElementsAre("prelude", "import Init.Core"));
  // `public` that does not introduce an import belongs to the body.
  const SplitSnippet s = SplitHeader("import A\npublic theorem t : True := trivial");
  EXPECT_EQ(s.header.Key(), "import A");
  EXPECT_EQ(s.body, "public theorem t : True := trivial");
}

TEST(HeaderTest, GuillemetNames) {
  EXPECT_THAT(ParseHeader("import «My Project».Basic").Modules(),
              ElementsAre("«My Project».Basic"));
}

TEST(HeaderTest, MalformedImportsNameTheLine) {
  try {
    SplitHeader("import A\n\nimport 3bad\n");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("line 3"));
    EXPECT_THAT(e.what(), HasSubstr("3bad"));
  }
  EXPECT_THROW(SplitHeader("import"), std::invalid_argument);
  EXPECT_THROW(SplitHeader("import A.\n"), std::invalid_argument);
  EXPECT_THROW(SplitHeader("/- never closed\nimport A"), std::invalid_argument);
  try {
    ParseHeader("import A\ntheorem t : True := trivial");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("line 2"));
  }
}

TEST(HeaderTest, HeaderOfValidatesNames) {
  EXPECT_EQ(HeaderOf({"Mathlib", "Aesop"}).Key(), "import Mathlib\nimport Aesop");
  EXPECT_THROW(HeaderOf({"Math lib"}), std::invalid_argument);
  EXPECT_TRUE(HeaderOf({}).empty());
}

}  // namespace
}  // namespace tatami::dojo
