// One meaning per outcome: every shape a REPL answer (or its absence) can
// take maps to exactly one typed result. Recorded responses are covered by
// conformance_test.cpp; these cases pin the rules on minimal responses.
#include "tatami/dojo/outcome.h"

#include <gtest/gtest.h>

namespace tatami::dojo {
namespace {

using protocol::Json;

Json J(const char* text) { return Json::parse(text); }

// As ReplProcess hands responses out: the text, parsed only when read.
ReplOutcome Response(const char* text) {
  ReplResponse r;
  r.text = text;
  r.json = ResponseJson::FromText(text);
  return r;
}

// A response made from a parsed value (recordings, callers' own responses).
ReplOutcome TreeResponse(const char* text) {
  ReplResponse r;
  r.json = J(text);
  return r;
}

TacticFailed Failed(const TacticResult& r) {
  if (!std::holds_alternative<TacticFailed>(r))
    throw std::runtime_error("expected TacticFailed, got " + Describe(r));
  return std::get<TacticFailed>(r);
}

TEST(InterpretTactic, ThreeWaysToFailReadAlike) {
  // 1. An error object.
  TacticFailed lean = Failed(
      InterpretTactic(Response(R"({"message": "Lean error:\n<input>:1:1: unknown tactic"})")));
  EXPECT_EQ(lean.kind, FailureKind::kLeanError);
  EXPECT_EQ(lean.reason, "<input>:1:1: unknown tactic");
  EXPECT_FALSE(lean.proof_state.has_value());
  // 2. Error messages with no goals and "contains sorry".
  TacticFailed msgs = Failed(InterpretTactic(Response(R"({"proofStatus":
      "Incomplete: contains sorry", "proofState": 1, "goals": [], "messages": [
      {"severity": "error", "pos": {"line": 0, "column": 0}, "endPos": {"line": 0, "column": 0},
       "data": "Unknown identifier `my_fake_premise`"}]})")));
  EXPECT_EQ(msgs.kind, FailureKind::kErrorMessages);
  EXPECT_EQ(msgs.reason, "Unknown identifier `my_fake_premise`");
  ASSERT_EQ(msgs.messages.size(), 1u);
  EXPECT_EQ(msgs.proof_state, 1);
  EXPECT_EQ(msgs.status, ProofStatus::kContainsSorry);
  // 3. The worker: timeout, crash, garbage, refusal.
  ReplCrash crash;
  crash.signal = 9;
  crash.reason = "killed by signal 9";
  ReplProtocolError garbage;
  garbage.reason = "not JSON";
  const std::pair<ReplOutcome, FailureKind> worker[] = {
      {ReplTimeout{std::chrono::milliseconds(50), ""}, FailureKind::kTimeout},
      {crash, FailureKind::kCrash},
      {garbage, FailureKind::kProtocolError},
      {ReplRejected{"worker shut down"}, FailureKind::kRejected},
  };
  for (const auto& [outcome, kind] : worker) {
    TacticFailed f = Failed(InterpretTactic(outcome));
    EXPECT_EQ(f.kind, kind);
    EXPECT_EQ(OriginOf(f.kind), FailureOrigin::kWorker);
    EXPECT_FALSE(f.reason.empty());
    EXPECT_EQ(f.reason, Describe(outcome));
  }
}

TEST(InterpretTactic, ErrorMessagesWinEvenWithGoalsLeft) {
  TacticFailed f = Failed(InterpretTactic(Response(R"({"proofState": 4, "goals": ["⊢ P"],
      "proofStatus": "Incomplete: open goals remain", "messages": [
      {"severity": "error", "pos": {"line": 0, "column": 0}, "data": "first"},
      {"severity": "info", "pos": {"line": 0, "column": 0}, "data": "note"},
      {"severity": "error", "pos": {"line": 0, "column": 0}, "data": "second"}]})")));
  EXPECT_EQ(f.kind, FailureKind::kErrorMessages);
  EXPECT_EQ(f.reason, "first (and 1 more error)");
  EXPECT_EQ(f.messages.size(), 3u);
}

TEST(InterpretTactic, CompleteOnlyOnCompletedStatus) {
  auto done = InterpretTactic(Response(R"({"proofStatus": "Completed", "proofState": 3,
      "goals": [], "traces": ["t"]})"));
  ASSERT_TRUE(std::holds_alternative<ProofCompleted>(done)) << Describe(done);
  EXPECT_EQ(std::get<ProofCompleted>(done).proof_state, 3);
  EXPECT_EQ(std::get<ProofCompleted>(done).traces, std::vector<std::string>{"t"});

  // An empty goal list under any other status is not a proof.
  for (const char* status : {"Incomplete: contains sorry", "Incomplete: contains metavariable(s)",
                             "Error: kernel type check failed: (kernel) bad",
                             "Error: Goal not assigned", "Incomplete: open goals remain"}) {
    SCOPED_TRACE(status);
    Json j = {{"proofStatus", status}, {"proofState", 5}, {"goals", Json::array()}};
    TacticFailed f = Failed(InterpretTactic(j));
    EXPECT_EQ(f.kind, FailureKind::kProofRejected);
    EXPECT_NE(f.reason.find(status), std::string::npos) << f.reason;
    EXPECT_EQ(f.proof_state, 5);
    EXPECT_EQ(OriginOf(f.kind), FailureOrigin::kLean);
  }
  // "Completed" with goals left is self-contradictory: not trusted.
  EXPECT_EQ(Failed(InterpretTactic(J(R"({"proofStatus": "Completed", "proofState": 1,
                                         "goals": ["⊢ P"]})")))
                .kind,
            FailureKind::kMalformedResponse);
}

TEST(InterpretTactic, WithoutProofStatusEmptyGoalsAreUnverified) {
  auto r = InterpretTactic(J(R"({"proofState": 3, "goals": []})"));
  ASSERT_TRUE(std::holds_alternative<ProofUnverified>(r)) << Describe(r);
  EXPECT_EQ(std::get<ProofUnverified>(r).status, ProofStatus::kAbsent);
  EXPECT_FALSE(std::get<ProofUnverified>(r).reason.empty());
  // ...unless the step visibly used sorry.
  TacticFailed f = Failed(InterpretTactic(
      J(R"({"sorries": [{"proofState": 1, "goal": "⊢ Nat"}], "proofState": 2, "goals": []})")));
  EXPECT_EQ(f.kind, FailureKind::kProofRejected);
  // "Not verified" (several root goals) is unverified too.
  auto nv = InterpretTactic(J(R"({"proofStatus": "Not verified: more than one initial goal",
                                  "proofState": 7, "goals": []})"));
  ASSERT_TRUE(std::holds_alternative<ProofUnverified>(nv));
  EXPECT_EQ(std::get<ProofUnverified>(nv).status, ProofStatus::kNotVerified);
}

TEST(InterpretTactic, OpenGoalsAdvance) {
  auto r = InterpretTactic(J(R"({"sorries": [{"proofState": 1, "goal": "x : Int\n⊢ x = 1"}],
      "proofStatus": "Incomplete: open goals remain", "proofState": 2,
      "goals": ["x : Int\nh : x = 1\n⊢ x = x"],
      "messages": [{"severity": "warning", "pos": {"line": 0, "column": 0}, "data": "w"}]})"));
  ASSERT_TRUE(std::holds_alternative<TacticAdvanced>(r)) << Describe(r);
  const auto& a = std::get<TacticAdvanced>(r);
  EXPECT_EQ(a.proof_state, 2);
  EXPECT_EQ(a.goals, std::vector<std::string>{"x : Int\nh : x = 1\n⊢ x = x"});
  EXPECT_EQ(a.sorries.size(), 1u);
  EXPECT_EQ(a.messages.size(), 1u);
  EXPECT_EQ(a.status, ProofStatus::kOpenGoals);
  // Old REPL: no status, still advanced.
  auto old = InterpretTactic(J(R"({"proofState": 1, "goals": ["⊢ Int"]})"));
  ASSERT_TRUE(std::holds_alternative<TacticAdvanced>(old));
  EXPECT_EQ(std::get<TacticAdvanced>(old).status, ProofStatus::kAbsent);
}

TEST(InterpretTactic, ReplRefusalsAreRecognisable) {
  EXPECT_EQ(Failed(InterpretTactic(J(R"({"message": "Unknown proof state."})"))).kind,
            FailureKind::kUnknownProofState);
  // The pickle path spells it with a capital S.
  EXPECT_EQ(Failed(InterpretTactic(J(R"({"message": "Unknown proof State."})"))).kind,
            FailureKind::kUnknownProofState);
  EXPECT_EQ(Failed(InterpretTactic(J(R"({"message": "Unknown environment."})"))).kind,
            FailureKind::kUnknownEnvironment);
  TacticFailed other = Failed(InterpretTactic(J(R"({"message": "no such file"})")));
  EXPECT_EQ(other.kind, FailureKind::kReplError);
  EXPECT_EQ(other.reason, "no such file");
  EXPECT_EQ(OriginOf(other.kind), FailureOrigin::kRepl);
}

TEST(InterpretTactic, MalformedResponsesAreFailuresNotExceptions) {
  for (const char* text : {R"({"proofState": 1})", R"({"env": 0})", R"([1, 2])",
                           R"({"proofState": 1, "goals": [3]})", R"({"message": 5})"}) {
    SCOPED_TRACE(text);
    TacticFailed f = Failed(InterpretTactic(J(text)));
    EXPECT_EQ(f.kind, FailureKind::kMalformedResponse);
    EXPECT_FALSE(f.reason.empty());
  }
}

TEST(InterpretCommand, VerdictSaysWhatLeanThought) {
  auto clean = InterpretCommand(Response(R"({"env": 0, "messages": [{"severity": "info",
      "pos": {"line": 1, "column": 0}, "data": "Goals accomplished!"}]})"));
  ASSERT_TRUE(std::holds_alternative<CommandSucceeded>(clean)) << Describe(clean);
  EXPECT_EQ(std::get<CommandSucceeded>(clean).verdict, CommandVerdict::kClean);
  EXPECT_TRUE(CodeAccepted(clean));

  auto errors = InterpretCommand(J(R"({"env": 4, "messages": [{"severity": "error",
      "pos": {"line": 1, "column": 7}, "data": "Unknown identifier `g`"}]})"));
  ASSERT_TRUE(std::holds_alternative<CommandSucceeded>(errors));
  EXPECT_EQ(std::get<CommandSucceeded>(errors).env, 4);  // Lean records an env anyway
  EXPECT_EQ(std::get<CommandSucceeded>(errors).verdict, CommandVerdict::kErrors);
  EXPECT_FALSE(CodeAccepted(errors));

  // Sorry shows as a sorries list, or only as the warning (both quotings).
  auto listed = InterpretCommand(J(R"({"env": 1, "sorries": [{"goal": "⊢ P", "proofState": 0}]})"));
  EXPECT_EQ(std::get<CommandSucceeded>(listed).verdict, CommandVerdict::kUsesSorry);
  for (const char* data : {"declaration uses `sorry`", "declaration uses 'sorry'"}) {
    Json j = {{"env", 2},
              {"messages",
               {{{"severity", "warning"}, {"pos", {{"line", 1}, {"column", 0}}}, {"data", data}}}}};
    auto r = InterpretCommand(j);
    EXPECT_EQ(std::get<CommandSucceeded>(r).verdict, CommandVerdict::kUsesSorry) << data;
    EXPECT_FALSE(CodeAccepted(r));
  }
}

TEST(InterpretCommand, FailuresCarryKindAndReason) {
  auto env = InterpretCommand(J(R"({"message": "Unknown environment."})"));
  ASSERT_TRUE(std::holds_alternative<CommandFailed>(env));
  EXPECT_EQ(std::get<CommandFailed>(env).kind, FailureKind::kUnknownEnvironment);
  auto timeout = InterpretCommand(ReplOutcome(ReplTimeout{std::chrono::milliseconds(10), ""}));
  ASSERT_TRUE(std::holds_alternative<CommandFailed>(timeout));
  EXPECT_EQ(std::get<CommandFailed>(timeout).kind, FailureKind::kTimeout);
  auto malformed = InterpretCommand(J(R"({"proofState": 0, "goals": []})"));
  ASSERT_TRUE(std::holds_alternative<CommandFailed>(malformed));
  EXPECT_EQ(std::get<CommandFailed>(malformed).kind, FailureKind::kMalformedResponse);
  EXPECT_NE(std::get<CommandFailed>(malformed).reason.find("env: missing"), std::string::npos);
  EXPECT_FALSE(CodeAccepted(malformed));
}

TEST(Interpret, DispatchesOnTheRequestKind) {
  ReplOutcome env_only = Response(R"({"env": 0})");
  EXPECT_TRUE(std::holds_alternative<CommandResult>(
      Interpret(protocol::RequestKind::kPickleEnvironment, env_only)));
  auto as_tactic = Interpret(protocol::RequestKind::kPickleProofState, env_only);
  ASSERT_TRUE(std::holds_alternative<TacticResult>(as_tactic));
  EXPECT_EQ(Failed(std::get<TacticResult>(as_tactic)).kind, FailureKind::kMalformedResponse);
}

TEST(ProofStatus, Classification) {
  EXPECT_EQ(ClassifyProofStatus(std::nullopt), ProofStatus::kAbsent);
  EXPECT_EQ(ClassifyProofStatus("Completed"), ProofStatus::kCompleted);
  EXPECT_EQ(ClassifyProofStatus("Incomplete: open goals remain"), ProofStatus::kOpenGoals);
  EXPECT_EQ(ClassifyProofStatus("Incomplete: contains sorry"), ProofStatus::kContainsSorry);
  EXPECT_EQ(ClassifyProofStatus("Incomplete: contains metavariable(s)"),
            ProofStatus::kContainsMetavariables);
  EXPECT_EQ(ClassifyProofStatus("Error: proof has type A but root goal has type B"),
            ProofStatus::kError);
  EXPECT_EQ(ClassifyProofStatus("Not verified: more than one initial goal"),
            ProofStatus::kNotVerified);
  EXPECT_EQ(ClassifyProofStatus("completed"), ProofStatus::kOther);  // case matters
}

TEST(Describe, SaysWhatHappened) {
  EXPECT_EQ(Describe(InterpretTactic(J(R"({"message": "Lean error:\nboom"})"))),
            "tactic failed (lean error): boom");
  EXPECT_EQ(Describe(InterpretTactic(J(R"({"proofState": 3, "goals": ["a", "b"]})"))),
            "advanced to proof state 3 (2 goals)");
  EXPECT_EQ(Describe(InterpretCommand(J(R"({"env": 2})"))), "command ran: env 2 (clean)");
}

TEST(Interpret, TextAndTreeResponsesMeanTheSame) {
  for (const char* text : {
           R"({"message": "Lean error:\n<input>:1:1: unknown tactic"})",
           R"({"proofState": 1, "goals": ["⊢ P"]})",
           R"({"proofState": 2, "goals": [], "proofStatus": "Completed"})",
           R"({"proofState": 2, "goals": [], "proofStatus": "Incomplete: contains sorry"})",
           R"({"proofState": 3, "goals": []})",
           R"({"env": 0, "messages": [{"severity": "error", "pos": {"line": 1, "column": 0},
               "data": "x"}]})",
           R"({"env": 1})",
           R"({"message": 5})",
       }) {
    SCOPED_TRACE(text);
    EXPECT_EQ(InterpretTactic(Response(text)), InterpretTactic(TreeResponse(text)));
    EXPECT_EQ(InterpretCommand(Response(text)), InterpretCommand(TreeResponse(text)));
  }
}

TEST(StartupFailure, IsTheErrorObjectOrAnErrorMessage) {
  // No import failure of real Lean is recorded: the text is the test's own.
  auto error = StartupFailure(std::get<ReplResponse>(
      Response(R"({"message": "tatami-test: synthetic import failure of Mathlib"})")));
  EXPECT_EQ(error, "the REPL answered: tatami-test: synthetic import failure of Mathlib");
  auto lean = StartupFailure(std::get<ReplResponse>(TreeResponse(
      R"({"env": 0, "messages": [{"severity": "warning", "pos": {"line": 1, "column": 0}, "data": "w"},
          {"severity": "error", "pos": {"line": 2, "column": 7}, "data": "unknown identifier 'x'"}]})")));
  EXPECT_EQ(lean, "Lean reported an error at line 2, column 7: unknown identifier 'x'");
  EXPECT_EQ(StartupFailure(std::get<ReplResponse>(Response(R"({"env": 0})"))), std::nullopt);
  EXPECT_EQ(StartupFailure(std::get<ReplResponse>(Response(
                R"({"env": 0, "messages": [{"severity": "warning", "pos": {"line": 1, "column": 0},
                    "data": "declaration uses 'sorry'"}]})"))),
            std::nullopt);
}

}  // namespace
}  // namespace tatami::dojo
