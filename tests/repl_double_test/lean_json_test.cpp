// The double prints responses as the REPL does: every response recorded from
// the real REPL, parsed and printed again, comes out byte for byte.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "lean_json.h"
#include "test_util.h"

namespace tatami::testing {
namespace {

using tatami::repl_double::LeanPretty;

TEST(LeanJsonTest, ReprintsEveryRecordedResponseExactly) {
  TATAMI_REQUIRE_FIXTURES();
  int compared = 0;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(FixturesDir() / "repl-transcripts")) {
    std::string name = entry.path().filename().string();
    if (name.size() < 13 || name.substr(name.size() - 13) != ".expected.out") continue;
    for (const std::string& frame : RecordedFrames(entry.path())) {
      nlohmann::json value = nlohmann::json::parse(frame);
      EXPECT_EQ(LeanPretty(value), frame) << "in " << entry.path();
      ++compared;
    }
  }
  EXPECT_GT(compared, 400);  // the suite has ~500 responses; all must be seen
}

TEST(LeanJsonTest, BreaksOnlyWhatDoesNotFitIn80Columns) {
  nlohmann::json small = {
      {"proofState", 3}, {"goals", nlohmann::json::array()}, {"proofStatus", "Completed"}};
  EXPECT_EQ(LeanPretty(small), R"({"proofStatus": "Completed", "proofState": 3, "goals": []})");
  nlohmann::json big = {{"message", std::string(90, 'a')}};
  EXPECT_EQ(LeanPretty(big), "{\"message\":\n \"" + std::string(90, 'a') + "\"}");
}

TEST(LeanJsonTest, EscapesAsLeanDoes) {
  EXPECT_EQ(LeanPretty(nlohmann::json("a\"b\\c\nd\re\tf\x01")), R"("a\"b\\c\nd\re\u0009f\u0001")");
  // Columns count code points, not bytes: 66 code points (106 bytes) fit.
  nlohmann::json goals = {
      {"goals", std::vector<std::string>{std::string(30, 'x') + "⊢⊢⊢⊢⊢⊢⊢⊢⊢⊢⊢⊢⊢⊢⊢⊢⊢⊢⊢⊢"}}};
  std::string printed = LeanPretty(goals);
  EXPECT_EQ(printed.find('\n'), std::string::npos) << printed;
}

}  // namespace
}  // namespace tatami::testing
