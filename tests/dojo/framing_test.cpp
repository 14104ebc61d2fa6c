#include "tatami/dojo/framing.h"

#include <cstdint>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace tatami::dojo {
namespace {

TEST(EncodeRequest, IsCompactAndEndsWithBlankLine) {
  nlohmann::json req = {{"tactic", "intro h\nexact h"}, {"proofState", 3}};
  std::string wire = EncodeRequest(req);
  ASSERT_GE(wire.size(), 2u);
  EXPECT_EQ(wire.substr(wire.size() - 2), "\n\n");
  // The only raw newlines are the terminator: the one inside the tactic is escaped.
  EXPECT_EQ(wire.find('\n'), wire.size() - 2);
  EXPECT_EQ(nlohmann::json::parse(wire), req);
}

TEST(EncodeRequest, RejectsNonObjectsAndInvalidUtf8) {
  EXPECT_THROW(EncodeRequest(nlohmann::json::array()), std::invalid_argument);
  nlohmann::json bad = {{"tactic", std::string("exact \xff")}, {"proofState", 0}};
  try {
    EncodeRequest(bad);
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("/tactic"), std::string::npos) << e.what();
  }
}

// Requests of strings, integers, booleans and null are written by a path of
// their own: it must give dump()'s bytes exactly.
TEST(EncodeRequest, WritesTheBytesOfDumpForEveryFlatRequest) {
  std::mt19937 rng(11);
  // Every byte class the escaping tells apart, and multi-byte characters.
  const std::vector<std::string> pieces = {
      "a",    "Z",       " ",         "\"", "\\",       "/",
      "\b",   "\t",      "\n",        "\f", "\r",       std::string(1, '\0'),
      "\x01", "\x1f",    "\x7f",      "→",  "⟨hp, hq⟩", "ℕ",
      "😀",    "exact h", "{\"x\": 1}"};
  auto random_string = [&] {
    std::string s;
    for (int n = std::uniform_int_distribution<int>(0, 12)(rng); n > 0; --n)
      s += pieces[std::uniform_int_distribution<std::size_t>(0, pieces.size() - 1)(rng)];
    return s;
  };
  for (int round = 0; round < 2000; ++round) {
    nlohmann::json req = nlohmann::json::object();
    for (int n = std::uniform_int_distribution<int>(0, 5)(rng); n > 0; --n) {
      const std::string key = random_string();
      switch (std::uniform_int_distribution<int>(0, 5)(rng)) {
        case 0:
          req[key] = random_string();
          break;
        case 1:
          req[key] = std::uniform_int_distribution<std::int64_t>(INT64_MIN, INT64_MAX)(rng);
          break;
        case 2:
          req[key] = std::uniform_int_distribution<std::uint64_t>(0, UINT64_MAX)(rng);
          break;
        case 3:
          req[key] = (rng() % 2) == 0;
          break;
        case 4:
          req[key] = nullptr;
          break;
        default:
          req[key] = std::uniform_int_distribution<int>(-3, 3)(rng);
          break;
      }
    }
    ASSERT_EQ(EncodeRequest(req), req.dump() + "\n\n") << req.dump();
  }
  // Other shapes take dump()'s own path, with the same result.
  const nlohmann::json nested = {{"cmd", "example : True := trivial"},
                                 {"env", 0},
                                 {"opts", {{"all", true}}},
                                 {"xs", {1, 2.5, "c"}}};
  EXPECT_EQ(EncodeRequest(nested), nested.dump() + "\n\n");
}

TEST(EncodeRequest, NamesAnInvalidKey) {
  nlohmann::json bad = {{std::string("k\xc3"), 1}};
  try {
    EncodeRequest(bad);
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("<key>"), std::string::npos) << e.what();
  }
}

TEST(FrameSplitter, SplitsPrettyPrintedResponsesAtBlankLines) {
  FrameSplitter s;
  s.Append("{\"env\":\n 0}\n\n{\"proofState\": 1,\n \"goals\": []}\n\n");
  auto a = s.Next();
  auto b = s.Next();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(nlohmann::json::parse(*a)["env"], 0);
  EXPECT_EQ(nlohmann::json::parse(*b)["proofState"], 1);
  EXPECT_FALSE(s.Next());
  EXPECT_EQ(s.pending_size(), 0u);
}

TEST(FrameSplitter, HandlesBytesArrivingOneAtATime) {
  const std::string stream = "{\"a\":\n 1}\n\n\n{\"b\": 2}\r\n\r\n{\"c\"";
  FrameSplitter s;
  std::vector<std::string> frames;
  for (char c : stream) {
    s.Append(std::string_view(&c, 1));
    while (auto f = s.Next()) frames.push_back(*f);
  }
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0], "{\"a\":\n 1}");
  EXPECT_EQ(frames[1], "{\"b\": 2}");
  EXPECT_EQ(s.pending(), "{\"c\"");
}

TEST(FrameSplitter, FramesHaveRoomForInPlaceParsing) {
  FrameSplitter s;
  s.Append("{\"env\": 0}\n\n");
  auto frame = s.Next();
  ASSERT_TRUE(frame);
  EXPECT_GE(frame->capacity(), frame->size() + kFramePadding);
}

TEST(BlankLineSplitter, ReadsRequestsAsTheReplDoes) {
  // Trailing whitespace goes, lines are joined without newlines, blank lines
  // (also whitespace-only ones) end a block, extra ones are skipped.
  auto blocks = BlankLineSplitter::Split("\n{\"cmd\": \"a\",  \r\n \"env\": 0}\n \t\n\n{\"x\": 1}",
                                         BlankLineSplitter::Join::kWithoutNewlines);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].first_line, 2u);
  EXPECT_EQ(blocks[0].text, "{\"cmd\": \"a\", \"env\": 0}");
  EXPECT_EQ(blocks[0].line_starts, (std::vector<std::size_t>{0, 12}));
  EXPECT_EQ(blocks[1].first_line, 6u);
  EXPECT_EQ(blocks[1].text, "{\"x\": 1}");
}

TEST(BlankLineSplitter, KeepsResponseLinesApart) {
  auto blocks =
      BlankLineSplitter::Split("{\"env\":\n 0}\n\n", BlankLineSplitter::Join::kWithNewlines);
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].text, "{\"env\":\n 0}");
}

TEST(BlankLineSplitter, StreamsLineByLine) {
  BlankLineSplitter s(BlankLineSplitter::Join::kWithoutNewlines);
  EXPECT_FALSE(s.AddLine("{\"a\":"));
  EXPECT_FALSE(s.AddLine(" 1}"));
  auto block = s.AddLine("");
  ASSERT_TRUE(block);
  EXPECT_EQ(block->text, "{\"a\": 1}");
  EXPECT_FALSE(s.AddLine(""));  // a second blank line ends nothing
  EXPECT_FALSE(s.AddLine("{\"b\": 2}"));
  auto last = s.Finish();  // the input ended without a blank line
  ASSERT_TRUE(last);
  EXPECT_EQ(last->first_line, 5u);
  EXPECT_FALSE(s.Finish());
}

TEST(IsValidUtf8, AcceptsUnicodeAndRejectsMalformed) {
  EXPECT_TRUE(IsValidUtf8("⊢ ∀ x : ℕ, x = x 𝔽"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xe2\x8a"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // > U+10FFFF
}

}  // namespace
}  // namespace tatami::dojo
