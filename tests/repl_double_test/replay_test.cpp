// --replay reproduces recorded REPL sessions byte for byte; --expect notices a
// client that sends something else.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "double_process.h"
#include "test_util.h"

namespace tatami::testing {
namespace {

// Runs the recorded requests of NAME through the double, exactly as recorded
// (raw lines, which the double must join the REPL's way).
std::string ReplayOutput(const std::string& name, bool expect) {
  std::vector<std::string> args = {"--replay", Transcript(name + ".expected.out").string()};
  if (expect) {
    args.push_back("--expect");
    args.push_back(Transcript(name + ".in").string());
  }
  DoubleProcess p(args);
  p.Send(ReadText(Transcript(name + ".in")));
  p.CloseStdin();
  std::string out = p.ReadToEof();
  int status = p.Wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  return out;
}

std::string Recorded(const std::string& name) {
  std::string out;
  for (const std::string& f : RecordedFrames(Transcript(name + ".expected.out"))) out += f + "\n\n";
  return out;
}

class ReplayFixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ReplayFixtureTest, ReproducesTheRecordedResponses) {
  TATAMI_REQUIRE_FIXTURES();
  std::string out = ReplayOutput(GetParam(), /*expect=*/true);
  EXPECT_EQ(out, Recorded(GetParam()));
  EXPECT_EQ(out.find("tatami-repl-double"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Transcripts, ReplayFixtureTest,
                         ::testing::Values("proof_step", "invalid_tactic", "unknown_tactic",
                                           "unknown_environment", "unknown_proof_state",
                                           "pickle_proof_state_1", "readme", "all_tactics",
                                           "invalid_line_break", "self_proof_check",
                                           "Mathlib/test/20240209"));

TEST(ReplayTest, ExpectReportsTheFirstDifferingRequest) {
  TATAMI_REQUIRE_FIXTURES();
  DoubleProcess p({"--replay", Transcript("proof_step.expected.out").string(), "--expect",
                   Transcript("proof_step.in").string()});
  p.Send("{\"cmd\": \"def f : Nat := by sorry\"}\n\n");
  auto first = p.ReadFrame();
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, RecordedFrames(Transcript("proof_step.expected.out"))[0]);
  p.Send("{\"tactic\": \"exat 42\", \"proofState\": 0}\n\n");
  auto second = p.ReadFrame();
  ASSERT_TRUE(second);
  auto j = nlohmann::json::parse(*second);
  std::string message = j.at("message");
  EXPECT_NE(message.find("tatami-repl-double: request 2 differs from"), std::string::npos)
      << message;
  EXPECT_NE(message.find("apply Int.natAbs"), std::string::npos) << message;
  EXPECT_NE(message.find("exat 42"), std::string::npos) << message;
}

TEST(ReplayTest, ExpectComparesJsonValuesNotText) {
  TATAMI_REQUIRE_FIXTURES();
  DoubleProcess p({"--replay", Transcript("readme.expected.out").string(), "--expect",
                   Transcript("readme.in").string()});
  // Same values, other key order and spacing, split over lines.
  p.Send("{\n  \"cmd\":\"def f (x : Unit) : Nat := by sorry\"\n}\n\n");
  p.Send("{\"proofState\": 0,\n \"tactic\":\"apply Int.natAbs\"}\n\n");
  auto recorded = RecordedFrames(Transcript("readme.expected.out"));
  for (int i = 0; i < 2; ++i) {
    auto r = p.ReadFrame();
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, recorded[i]);
  }
}

TEST(ReplayTest, SaysSoWhenTheRecordedResponsesRunOut) {
  TATAMI_REQUIRE_FIXTURES();
  DoubleProcess p({"--replay", Transcript("import_lean.expected.out").string()});
  p.Send("{\"cmd\": \"import Lean\"}\n\n{\"cmd\": \"def x := 1\", \"env\": 0}\n\n");
  auto first = p.ReadFrame();
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, "{\"env\": 0}");
  auto second = p.ReadFrame();
  ASSERT_TRUE(second);
  std::string message = nlohmann::json::parse(*second).at("message");
  EXPECT_NE(message.find("no recorded response left for request 2"), std::string::npos) << message;
  p.CloseStdin();
  EXPECT_EQ(p.ReadToEof(), "");
  EXPECT_EQ(p.Wait(), 0);
}

TEST(ReplayTest, InFileWithoutResponsesIsHandled) {
  TATAMI_REQUIRE_FIXTURES();
  // pickle_scoped_notation has requests but no recorded responses.
  DoubleProcess p({"--replay", Transcript("pickle_scoped_notation.in").string() + ".missing"});
  int status = p.Wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_NE(p.Stderr().find("cannot open recorded responses file"), std::string::npos)
      << p.Stderr();
}

}  // namespace
}  // namespace tatami::testing
