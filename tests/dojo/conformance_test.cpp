// Conformance with the recorded Lean REPL: every transcript pair under
// <fixtures>/repl-transcripts (the current REPL, Mathlib/test, and the older
// REPLs under history/) must parse, round-trip and be interpreted as what the
// responses mean. Named cases below pin down the meanings that matter most.
#include <algorithm>
#include <cctype>
#include <string>

#include <gtest/gtest.h>

#include "fixtures.h"
#include "tatami/dojo/outcome.h"
#include "tatami/dojo/transcript.h"

namespace tatami::dojo {
namespace {

namespace fs = std::filesystem;
using ::tatami::testing::FixturesDir;

fs::path TranscriptDir() { return FixturesDir() / "repl-transcripts"; }

std::vector<TranscriptFiles> AllTranscripts() { return FindTranscripts(TranscriptDir()); }

std::string TestName(const fs::path& in) {
  std::string rel = fs::relative(in, TranscriptDir()).replace_extension("").string();
  std::string out;
  for (char c : rel) out.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return out;
}

}  // namespace

// Names the pair in test output instead of dumping its bytes.
void PrintTo(const TranscriptFiles& files, std::ostream* os) { *os << files.in.string(); }

namespace {

class TranscriptConformance : public ::testing::TestWithParam<TranscriptFiles> {};

TEST_P(TranscriptConformance, ParsesRoundTripsAndInterprets) {
  const TranscriptFiles& files = GetParam();
  TranscriptCheck check = CheckTranscript(files.in, files.expected_out);
  for (const auto& issue : check.issues) ADD_FAILURE() << issue.ToString();
  EXPECT_FALSE(check.requests.empty()) << files.in;
  for (const auto& req : check.requests) {
    EXPECT_TRUE(req.kind.has_value()) << files.in << " request " << req.number;
    if (files.expected_out) {
      EXPECT_TRUE(req.interpretation.has_value()) << files.in << " request " << req.number;
    }
  }
}

// The same requests through a real ReplClient to the test double replaying the
// recording: the typed outcomes must equal those of the recorded responses
// (framing, process I/O and interpretation agree end to end).
TEST_P(TranscriptConformance, ReplaysThroughTheDouble) {
  const TranscriptFiles& files = GetParam();
  if (!files.expected_out) GTEST_SKIP() << files.in << " has no recorded responses";
  TranscriptCheck check = CheckTranscript(files.in, files.expected_out);
  ReplProcessOptions options;
  options.command = {::tatami::testing::ReplDoublePath().string(), "--replay",
                     files.expected_out->string(), "--expect", files.in.string()};
  options.request_timeout = std::chrono::seconds(30);
  for (const auto& issue : ReplayTranscript(check, std::move(options)))
    ADD_FAILURE() << issue.ToString();
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, TranscriptConformance,
    ::testing::ValuesIn(::tatami::testing::FixtureCases("TranscriptConformance", "repl-transcripts",
                                                        AllTranscripts())),
    [](const ::testing::TestParamInfo<TranscriptFiles>& info) { return TestName(info.param.in); });
// With no cases, FixtureCases registers TranscriptConformanceCases.NotEmpty instead.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TranscriptConformance);

// Checks that every REPL version is among the cases.
TEST(TranscriptConformanceSuite, FindsEveryVersion) {
  TATAMI_REQUIRE_FIXTURES();
  auto all = AllTranscripts();
  std::size_t pairs = 0, v49 = 0, v419 = 0, mathlib = 0;
  for (const auto& t : all) {
    if (t.expected_out) ++pairs;
    std::string p = t.in.generic_string();
    v49 += p.find("history/v4.9.0/") != std::string::npos;
    v419 += p.find("history/v4.19.0/") != std::string::npos;
    mathlib += p.find("Mathlib/test/") != std::string::npos;
  }
  EXPECT_GT(pairs, 100u);
  EXPECT_GT(v49, 0u);
  EXPECT_GT(v419, 0u);
  EXPECT_GT(mathlib, 0u);
  std::printf("transcripts: %zu .in files, %zu with responses\n", all.size(), pairs);
}

// ---------------------------------------------------------------------------
// What specific recorded responses mean.

class Recorded : public ::testing::Test {
 protected:
  void SetUp() override { TATAMI_REQUIRE_FIXTURES(); }

  // The interpretation of the recorded response to request `number` (1-based)
  // of transcript `name` (relative to repl-transcripts, without extension).
  static Interpretation At(const std::string& name, std::size_t number) {
    fs::path in = TranscriptDir() / (name + ".in");
    fs::path out = TranscriptDir() / (name + ".expected.out");
    TranscriptCheck check = CheckTranscript(in, out);
    if (number == 0 || number > check.requests.size() || !check.requests[number - 1].interpretation)
      throw std::runtime_error(name + ": no interpreted response " + std::to_string(number));
    return *check.requests[number - 1].interpretation;
  }

  static TacticResult Tactic(const std::string& name, std::size_t number) {
    return std::get<TacticResult>(At(name, number));
  }
  static CommandResult Command(const std::string& name, std::size_t number) {
    return std::get<CommandResult>(At(name, number));
  }
  static TacticFailed Failed(const std::string& name, std::size_t number) {
    TacticResult r = Tactic(name, number);
    if (!std::holds_alternative<TacticFailed>(r))
      throw std::runtime_error(name + ": expected a failure, got " + Describe(r));
    return std::get<TacticFailed>(r);
  }
};

TEST_F(Recorded, ProofStepEndsInACompletedProof) {
  for (std::string dir : {"", "history/v4.19.0/"}) {
    SCOPED_TRACE(dir);
    EXPECT_TRUE(std::holds_alternative<TacticAdvanced>(Tactic(dir + "proof_step", 2)));
    auto last = Tactic(dir + "proof_step", 4);
    ASSERT_TRUE(std::holds_alternative<ProofCompleted>(last)) << Describe(last);
    EXPECT_EQ(std::get<ProofCompleted>(last).proof_state, 3);
  }
}

TEST_F(Recorded, OldReplsEmptyGoalListIsOnlyUnverified) {
  // v4.9 writes no proofStatus: {"proofState": 3, "goals": []}.
  auto last = Tactic("history/v4.9.0/proof_step", 4);
  ASSERT_TRUE(std::holds_alternative<ProofUnverified>(last)) << Describe(last);
  EXPECT_EQ(std::get<ProofUnverified>(last).status, ProofStatus::kAbsent);
  // Why it must not count as complete: the same step, recorded by both REPLs.
  // v4.9 says only "no goals"; v4.19 says metavariables remain.
  auto old_step = Tactic("history/v4.9.0/name_generator", 3);
  EXPECT_TRUE(std::holds_alternative<ProofUnverified>(old_step)) << Describe(old_step);
  auto new_step = Failed("history/v4.19.0/name_generator", 3);
  EXPECT_EQ(new_step.kind, FailureKind::kProofRejected);
  EXPECT_EQ(new_step.status, ProofStatus::kContainsMetavariables);
}

TEST_F(Recorded, InvalidTacticIsAFailureInEveryVersion) {
  for (std::string dir : {"", "history/v4.19.0/", "history/v4.9.0/"}) {
    SCOPED_TRACE(dir);
    TacticFailed f = Failed(dir + "invalid_tactic", 2);
    EXPECT_EQ(f.kind, FailureKind::kErrorMessages);
    EXPECT_NE(f.reason.find("my_fake_premise"), std::string::npos) << f.reason;
    ASSERT_EQ(f.messages.size(), 1u);
    EXPECT_TRUE(f.messages[0].is_error());
  }
}

TEST_F(Recorded, UnknownTacticIsAFailureInEveryVersion) {
  for (std::string dir : {"", "history/v4.19.0/", "history/v4.9.0/"}) {
    SCOPED_TRACE(dir);
    TacticFailed f = Failed(dir + "unknown_tactic", 2);
    EXPECT_EQ(f.kind, FailureKind::kLeanError);
    EXPECT_EQ(f.reason, "<input>:1:1: unknown tactic");
    EXPECT_EQ(OriginOf(f.kind), FailureOrigin::kLean);
  }
}

TEST_F(Recorded, UnknownIdsAreRecognisable) {
  EXPECT_EQ(Failed("unknown_proof_state", 2).kind, FailureKind::kUnknownProofState);
  auto env = Command("unknown_environment", 1);
  ASSERT_TRUE(std::holds_alternative<CommandFailed>(env)) << Describe(env);
  EXPECT_EQ(std::get<CommandFailed>(env).kind, FailureKind::kUnknownEnvironment);
  EXPECT_EQ(OriginOf(FailureKind::kUnknownEnvironment), FailureOrigin::kRepl);
}

TEST_F(Recorded, NoGoalsWithoutCompletedStatusIsRejected) {
  // Kernel rejects a self-referential proof although no goals remain.
  TacticFailed kernel = Failed("self_proof_exact_check", 3);
  EXPECT_EQ(kernel.kind, FailureKind::kProofRejected);
  EXPECT_EQ(kernel.status, ProofStatus::kError);
  EXPECT_NE(kernel.reason.find("kernel type check failed"), std::string::npos);
  EXPECT_EQ(Failed("app_type_mismatch", 5).status, ProofStatus::kContainsMetavariables);
  // The `sorry` tactic closes the goal with sorry: with and without proofStatus.
  EXPECT_EQ(Failed("tactic_mode_sorry", 2).status, ProofStatus::kContainsSorry);
  TacticFailed old_sorry = Failed("history/v4.9.0/tactic_mode_sorry", 2);
  EXPECT_EQ(old_sorry.kind, FailureKind::kProofRejected);
  EXPECT_EQ(old_sorry.status, ProofStatus::kAbsent);
}

TEST_F(Recorded, SorriesInAdvancedStatesAreKept) {
  auto r = Tactic("sorry_hypotheses", 2);
  ASSERT_TRUE(std::holds_alternative<TacticAdvanced>(r)) << Describe(r);
  const auto& a = std::get<TacticAdvanced>(r);
  ASSERT_EQ(a.sorries.size(), 1u);
  EXPECT_EQ(a.sorries[0].goal, "x : Int\n⊢ x = 1");
  EXPECT_EQ(a.status, ProofStatus::kOpenGoals);
}

TEST_F(Recorded, ExactQuestionMarkCompletesWithInfoOrFailsWithLeanError) {
  auto done = Tactic("Mathlib/test/exact", 3);
  ASSERT_TRUE(std::holds_alternative<ProofCompleted>(done)) << Describe(done);
  ASSERT_EQ(std::get<ProofCompleted>(done).messages.size(), 1u);
  EXPECT_EQ(std::get<ProofCompleted>(done).messages[0].severity, protocol::Severity::kInfo);
  EXPECT_EQ(Failed("Mathlib/test/exact", 5).kind, FailureKind::kLeanError);
}

TEST_F(Recorded, CommandVerdicts) {
  auto verdict = [&](const std::string& name, std::size_t n) {
    auto r = Command(name, n);
    if (!std::holds_alternative<CommandSucceeded>(r))
      throw std::runtime_error(name + ": " + Describe(r));
    return std::get<CommandSucceeded>(r).verdict;
  };
  EXPECT_EQ(verdict("def_eval", 1), CommandVerdict::kClean);
  EXPECT_EQ(verdict("def_eval", 2), CommandVerdict::kClean);  // #check output is info
  EXPECT_EQ(verdict("have_by_sorry", 1), CommandVerdict::kErrors);
  EXPECT_EQ(verdict("have_by_sorry", 2), CommandVerdict::kUsesSorry);
  EXPECT_EQ(verdict("history/v4.9.0/have_by_sorry", 2), CommandVerdict::kUsesSorry);
  EXPECT_EQ(verdict("history/v4.19.0/pickle_environment", 4), CommandVerdict::kClean);
  EXPECT_FALSE(CodeAccepted(Command("dup_msg", 3)));
  EXPECT_TRUE(CodeAccepted(Command("dup_msg", 2)));
}

TEST_F(Recorded, PickleResponses) {
  // Pickling an environment answers with that environment's own number.
  auto pickle = Command("pickle_environment", 2);
  ASSERT_TRUE(std::holds_alternative<CommandSucceeded>(pickle));
  EXPECT_EQ(std::get<CommandSucceeded>(pickle).env, 0);
  // Pickling and unpickling a proof state answer like a proof step.
  auto r = Tactic("pickle_proof_state_1", 3);
  ASSERT_TRUE(std::holds_alternative<TacticAdvanced>(r)) << Describe(r);
  EXPECT_EQ(std::get<TacticAdvanced>(r).goals, std::vector<std::string>{"⊢ Nat"});
  EXPECT_TRUE(std::holds_alternative<ProofCompleted>(Tactic("pickle_proof_state_2", 2)));
}

TEST_F(Recorded, AllTacticsAreTyped) {
  auto r = Command("all_tactics", 1);
  ASSERT_TRUE(std::holds_alternative<CommandSucceeded>(r));
  const auto& tactics = std::get<CommandSucceeded>(r).response.tactics_or_empty();
  ASSERT_EQ(tactics.size(), 2u);
  EXPECT_EQ(tactics[1].tactic, "exact t");
  EXPECT_EQ(tactics[1].proof_state.value(), 1);
  EXPECT_EQ(tactics[1].pos.line, 1);
  EXPECT_EQ(tactics[1].pos.column, 32);
  ASSERT_TRUE(tactics[0].used_constants.has_value());
  // Before v4.19 there is no usedConstants; it must stay absent.
  auto old = std::get<CommandSucceeded>(Command("history/v4.9.0/all_tactics", 1));
  EXPECT_FALSE(old.response.tactics_or_empty().at(0).used_constants.has_value());
}

TEST_F(Recorded, RequestLinesAreJoinedWithoutNewlines) {
  TranscriptCheck check = CheckTranscript(TranscriptDir() / "invalid_line_break.in",
                                          TranscriptDir() / "invalid_line_break.expected.out");
  ASSERT_EQ(check.requests.size(), 2u);
  ASSERT_TRUE(check.requests[0].json.has_value());
  // Lean saw "bysorry" (see the recorded "Unknown identifier `bysorry`").
  EXPECT_EQ((*check.requests[0].json)["cmd"], "theorem foo : 1 = 1 := bysorry");
}

}  // namespace
}  // namespace tatami::dojo
