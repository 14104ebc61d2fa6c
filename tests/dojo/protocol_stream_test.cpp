// Reading request and response streams the way the REPL and its recorded
// transcripts lay them out.
#include <gtest/gtest.h>

#include "tatami/dojo/protocol.h"
#include "tatami/dojo/transcript.h"

namespace tatami::dojo {
namespace {

using protocol::SplitRequestStream;

TEST(SplitRequestStream, JoinsLinesWithoutNewlinesAndTrimsLineEnds) {
  auto reqs = SplitRequestStream(
      "{\"cmd\": \"theorem foo : 1 = 1 := by\nsorry\"}\n\n"
      "{\"cmd\": \"a\\n   \n  b\", \"env\": 0}\r\n\r\n");
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].text, "{\"cmd\": \"theorem foo : 1 = 1 := bysorry\"}");
  EXPECT_EQ(reqs[0].first_line, 1u);
  // Trailing spaces of a line go; leading spaces of the next line stay.
  EXPECT_EQ(reqs[1].text, "{\"cmd\": \"a\\n  b\", \"env\": 0}");
  EXPECT_EQ(reqs[1].first_line, 4u);
  EXPECT_FALSE(reqs[1].comment);
}

TEST(SplitRequestStream, SkipsExtraBlankLinesAndMarksComments) {
  auto reqs = SplitRequestStream("\n\n# a comment\n\n-- another\n\n  \t\n{\"cmd\": \"x\"}");
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_TRUE(reqs[0].comment);
  EXPECT_EQ(reqs[0].first_line, 3u);
  EXPECT_TRUE(reqs[1].comment);
  EXPECT_FALSE(reqs[2].comment);
  EXPECT_EQ(reqs[2].text, "{\"cmd\": \"x\"}");  // no final newline needed
  EXPECT_EQ(reqs[2].first_line, 8u);
  EXPECT_TRUE(SplitRequestStream("").empty());
  EXPECT_TRUE(SplitRequestStream("\n \n").empty());
}

TEST(SplitResponseStream, KeepsPrettyPrintedLinesAndTheirLineNumbers) {
  auto blocks = SplitResponseStream("{\"env\":\n 0}\n\n{\"proofState\": 1,\n \"goals\": []}\n\n");
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].first, 1u);
  EXPECT_EQ(blocks[0].second, "{\"env\":\n 0}");
  EXPECT_EQ(blocks[1].first, 4u);
  EXPECT_EQ(nlohmann::json::parse(blocks[1].second)["proofState"], 1);
  EXPECT_TRUE(SplitResponseStream("").empty());
}

}  // namespace
}  // namespace tatami::dojo
