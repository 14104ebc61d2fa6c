// ReplProcess and ReplClient against the REPL test double: responses, every
// failure outcome, restarts, start-up failures, queueing, and no leaked
// processes or descriptors after any of it.
#include <utility>  // before Asio: g++ 12 coroutine support needs it

#include "tatami/dojo/repl_process.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "repl_process_test_support.h"
#include "tatami/dojo/protocol.h"
#include "tatami/dojo/transcript.h"

namespace tatami::dojo {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using tatami::testing::Double;
using tatami::testing::NoLeaksTest;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif

ReplProcessOptions DoubleOptions(std::vector<std::string> args) {
  ReplProcessOptions o;
  o.command = Double(std::move(args));
  o.request_timeout = 30s;
  o.startup_timeout = 30s;
  return o;
}

const json kDef = {{"cmd", "def f := 37"}};
const json kImport = {{"cmd", "import Mathlib"}};

template <class T>
const T& As(const ReplOutcome& o) {
  EXPECT_TRUE(std::holds_alternative<T>(o)) << Describe(o);
  static const T kEmpty{};
  return std::holds_alternative<T>(o) ? std::get<T>(o) : kEmpty;
}

// Runs `io` until `done()` or a generous safety limit (which fails the test).
template <class Pred>
void RunUntil(boost::asio::io_context& io, Pred done) {
  const auto limit = std::chrono::steady_clock::now() + 60s;
  while (!done()) {
    ASSERT_LT(std::chrono::steady_clock::now(), limit) << "the event loop did not finish";
    if (io.stopped()) io.restart();
    io.run_one_for(100ms);
  }
}

bool IsGone(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  auto close = line.rfind(')');
  return close != std::string::npos && line[close + 2] == 'Z';
}

// Waits (bounded) until `pid` has exited: gone, or a zombie not yet reaped.
bool WaitUntilGone(int pid) {
  const auto limit = std::chrono::steady_clock::now() + 10s;
  while (!IsGone(pid) && std::chrono::steady_clock::now() < limit) std::this_thread::yield();
  return IsGone(pid);
}

class ReplProcessTest : public NoLeaksTest {};

TEST_F(ReplProcessTest, AnswersRequestsInOrder) {
  ReplClient client(DoubleOptions({"--instant"}));
  StartResult started = client.Start();
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_EQ(client.process().state(), ReplProcess::State::kReady);
  EXPECT_GT(client.process().pid(), 0);
  EXPECT_EQ(client.process().generation(), 1u);
  for (int i = 0; i < 3; ++i) {
    ReplOutcome o = client.Send(kDef);
    const auto& r = As<ReplResponse>(o);
    EXPECT_EQ(r.json, json({{"env", i}}));
    EXPECT_EQ(json::parse(r.text), r.json);
  }
  EXPECT_GT(client.process().ResidentBytes(), 0u);
}

TEST_F(ReplProcessTest, ReplaysARecordedTranscriptExactly) {
  TATAMI_REQUIRE_FIXTURES();
  const auto dir = tatami::testing::FixturesDir() / "repl-transcripts";
  ReplClient client(DoubleOptions({"--replay", (dir / "by_cases.expected.out").string(), "--expect",
                                   (dir / "by_cases.in").string()}));
  ASSERT_TRUE(client.Start().ok);
  std::ifstream in(dir / "by_cases.in"), out(dir / "by_cases.expected.out");
  std::stringstream in_text, out_text;
  in_text << in.rdbuf();
  out_text << out.rdbuf();
  // Recorded files are split by the one rule for them (protocol.h, transcript.h).
  const auto requests = protocol::SplitRequestStream(in_text.str());
  const auto responses = SplitResponseStream(out_text.str());
  std::size_t n = 0;
  for (const auto& request : requests) {
    if (request.comment) continue;
    ASSERT_LT(n, responses.size());
    const std::string& expected = responses[n].second;
    ReplOutcome o = client.Send(json::parse(request.text));
    const auto& r = As<ReplResponse>(o);
    EXPECT_EQ(r.json, json::parse(expected)) << "response " << n + 1;
    EXPECT_EQ(r.text, expected) << "the response text is passed on byte for byte";
    ++n;
  }
  EXPECT_GT(n, 2u);
}

TEST_F(ReplProcessTest, TimeoutKillsReapsAndRestartReplaysStartup) {
  // Request 1 is the start-up import, 2 is answered, 3 hangs.
  auto options = DoubleOptions({"--instant", "--hang-on", "3", "--stderr-lines", "1"});
  options.startup_requests = {kImport};
  ReplClient client(options);
  StartResult started = client.Start();
  ASSERT_TRUE(started.ok) << started.error;
  ASSERT_EQ(client.process().startup_responses().size(), 1u);
  EXPECT_EQ(client.process().startup_responses()[0], json({{"env", 0}}));
  As<ReplResponse>(client.Send(kDef));
  const int pid = client.process().pid();

  ReplOutcome o = client.Send(kDef, 300ms);
  const auto& t = As<ReplTimeout>(o);
  EXPECT_EQ(t.deadline, 300ms);
  EXPECT_NE(t.stderr_tail.find("hanging on request 3"), std::string::npos) << t.stderr_tail;
  EXPECT_EQ(client.process().state(), ReplProcess::State::kDead);
  EXPECT_EQ(client.process().pid(), -1);
  EXPECT_TRUE(IsGone(pid));
  EXPECT_TRUE(tatami::testing::OurChildren().empty()) << "the hung child was not reaped";

  // Dead until restarted.
  ReplOutcome dead = client.Send(kDef);
  EXPECT_NE(As<ReplCrash>(dead).reason.find("dead"), std::string::npos);

  StartResult restarted = client.Restart();
  ASSERT_TRUE(restarted.ok) << restarted.error;
  EXPECT_EQ(client.process().generation(), 2u);
  EXPECT_NE(client.process().pid(), pid);
  ASSERT_EQ(client.process().startup_responses().size(), 1u);
  EXPECT_EQ(As<ReplResponse>(client.Send(kDef)).json, json({{"env", 1}}));
}

TEST_F(ReplProcessTest, CrashMidResponseReportsSignalAndStderr) {
  ReplClient client(DoubleOptions({"--instant", "--crash-on", "2"}));
  ASSERT_TRUE(client.Start().ok);
  As<ReplResponse>(client.Send(kDef));
  ReplOutcome o = client.Send(kDef);
  const auto& c = As<ReplCrash>(o);
  ASSERT_TRUE(c.signal.has_value()) << c.reason;
  EXPECT_EQ(*c.signal, SIGSEGV);
  EXPECT_FALSE(c.exit_code.has_value());
  EXPECT_NE(c.reason.find("SIGSEGV"), std::string::npos) << c.reason;
  EXPECT_NE(c.stderr_tail.find("raising SIGSEGV"), std::string::npos) << c.stderr_tail;
  EXPECT_FALSE(c.memory_limit_suspected);
  EXPECT_EQ(client.process().state(), ReplProcess::State::kDead);
}

TEST_F(ReplProcessTest, ExitMidResponseReportsExitCode) {
  ReplClient client(DoubleOptions({"--instant", "--exit-on", "1", "--exit-code", "7"}));
  ASSERT_TRUE(client.Start().ok);
  ReplOutcome o = client.Send(kDef);
  const auto& c = As<ReplCrash>(o);
  ASSERT_TRUE(c.exit_code.has_value()) << c.reason;
  EXPECT_EQ(*c.exit_code, 7);
  EXPECT_NE(c.reason.find("exited with code 7"), std::string::npos) << c.reason;
  EXPECT_NE(c.stderr_tail.find("--exit-on"), std::string::npos) << c.stderr_tail;
}

TEST_F(ReplProcessTest, GarbageIsAProtocolErrorWithTheBytes) {
  ReplClient client(DoubleOptions({"--instant", "--garbage-on", "2"}));
  ASSERT_TRUE(client.Start().ok);
  As<ReplResponse>(client.Send(kDef));
  ReplOutcome o = client.Send(kDef);
  const auto& p = As<ReplProtocolError>(o);
  EXPECT_NE(p.bytes.find("garbage instead of the response to request 2"), std::string::npos)
      << p.bytes;
  EXPECT_NE(p.reason.find("not JSON"), std::string::npos) << p.reason;
  EXPECT_EQ(client.process().state(), ReplProcess::State::kDead);
}

TEST_F(ReplProcessTest, TruncatedResponseIsAProtocolError) {
  ReplClient client(DoubleOptions({"--instant", "--truncate-on", "1"}));
  ASSERT_TRUE(client.Start().ok);
  ReplOutcome o = client.Send(kDef);
  const auto& p = As<ReplProtocolError>(o);
  EXPECT_FALSE(p.bytes.empty());
  EXPECT_EQ(std::string(R"({"env": 0})").substr(0, p.bytes.size()), p.bytes);
}

TEST_F(ReplProcessTest, ResponseOverTheSizeCapIsAProtocolError) {
  auto options = DoubleOptions({"--instant", "--huge-on", "2", "--huge-bytes", "300000"});
  options.max_response_bytes = 100000;
  ReplClient client(options);
  ASSERT_TRUE(client.Start().ok);
  As<ReplResponse>(client.Send(kDef));
  ReplOutcome o = client.Send(kDef);
  const auto& p = As<ReplProtocolError>(o);
  EXPECT_NE(p.reason.find("exceeds the limit of 100000 bytes"), std::string::npos) << p.reason;
  EXPECT_LE(p.bytes.size(), 4096u + 64u) << "the quoted bytes are bounded";
  EXPECT_EQ(p.bytes.rfind("{\"tatamiReplDoublePadding\"", 0), 0u);
}

TEST_F(ReplProcessTest, ResponseUnderTheSizeCapIsFine) {
  auto options = DoubleOptions({"--instant", "--huge-on", "1", "--huge-bytes", "300000"});
  ReplClient client(options);
  ASSERT_TRUE(client.Start().ok);
  ReplOutcome o = client.Send(kDef);
  EXPECT_EQ(As<ReplResponse>(o).json["tatamiReplDoublePadding"].get<std::string>().size(), 300000u);
}

TEST_F(ReplProcessTest, MemoryCapStopsAChildThatAllocatesTooMuch) {
  if (kAddressSanitizer) {
    GTEST_SKIP() << "an AddressSanitizer child cannot run under RLIMIT_AS (its shadow memory "
                    "alone exceeds any small cap)";
  }
  auto options = DoubleOptions({"--instant", "--import-memory-mb", "512"});
  options.memory_limit_bytes = 256ull << 20;
  options.startup_requests = {kImport};
  ReplClient client(options);
  StartResult started = client.Start();
  ASSERT_FALSE(started.ok);
  ASSERT_TRUE(started.failure.has_value());
  const auto& c = As<ReplCrash>(*started.failure);
  EXPECT_TRUE(c.memory_limit_suspected) << c.reason << "\n" << c.stderr_tail;
  EXPECT_NE(started.error.find("tatami-repl-double"), std::string::npos) << started.error;

  // The same import fits without the cap.
  options.memory_limit_bytes = 0;
  ReplClient uncapped(options);
  StartResult ok = uncapped.Start();
  EXPECT_TRUE(ok.ok) << ok.error;
  EXPECT_GT(uncapped.process().ResidentBytes(), 512ull << 20);
}

TEST_F(ReplProcessTest, StartFailsForAMissingCommand) {
  ReplProcessOptions options;
  options.command = {"tatami-no-such-repl-command", "--flag"};
  ReplClient client(options);
  StartResult r = client.Start();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("tatami-no-such-repl-command"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("not found"), std::string::npos) << r.error;
  EXPECT_EQ(client.process().state(), ReplProcess::State::kDead);
  EXPECT_TRUE(std::holds_alternative<ReplCrash>(client.Send(kDef)));
}

TEST_F(ReplProcessTest, StartFailsForANonExecutableFile) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("tatami-not-executable-" + std::to_string(::getpid()));
  { std::ofstream(path) << "#!/bin/sh\necho hi\n"; }
  ::chmod(path.c_str(), 0644);
  ReplProcessOptions options;
  options.command = {path.string()};
  ReplClient client(options);
  StartResult r = client.Start();
  std::filesystem::remove(path);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find(path.string()), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("not executable"), std::string::npos) << r.error;
}

TEST_F(ReplProcessTest, StartFailsForAMissingWorkingDirectory) {
  auto options = DoubleOptions({"--instant"});
  options.working_directory = "/nonexistent-tatami-dir";
  ReplClient client(options);
  StartResult r = client.Start();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("/nonexistent-tatami-dir"), std::string::npos) << r.error;
}

TEST_F(ReplProcessTest, StartFailsWhenTheChildExitsAtStartup) {
  auto options = DoubleOptions({"--instant", "--exit-at-start", "3"});
  options.startup_requests = {kImport};
  ReplClient client(options);
  StartResult r = client.Start();
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("exited with code 3"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("tatami-repl-double"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("--exit-at-start"), std::string::npos) << "stderr is quoted: " << r.error;
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(As<ReplCrash>(*r.failure).exit_code, std::optional<int>(3));
}

TEST_F(ReplProcessTest, ChildExitingAtStartupWithoutStartupRequestsFailsTheFirstRequest) {
  ReplClient client(DoubleOptions({"--instant", "--exit-at-start", "3"}));
  ASSERT_TRUE(client.Start().ok);  // nothing to ask it yet
  ReplOutcome o = client.Send(kDef);
  EXPECT_EQ(As<ReplCrash>(o).exit_code, std::optional<int>(3)) << Describe(o);
}

TEST_F(ReplProcessTest, StartFailsOnGarbageAtStartup) {
  auto options = DoubleOptions({"--instant", "--garbage-at-start"});
  options.startup_requests = {kImport};
  ReplClient client(options);
  StartResult r = client.Start();
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("invalid output"), std::string::npos) << r.error;
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_NE(As<ReplProtocolError>(*r.failure).bytes.find("garbage at start-up"), std::string::npos);
}

TEST_F(ReplProcessTest, StartupRequestTimeoutFailsTheStart) {
  auto options = DoubleOptions({"--instant", "--hang-on", "1"});
  options.startup_requests = {kImport};
  options.startup_timeout = 200ms;
  ReplClient client(options);
  StartResult r = client.Start();
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("no answer within 200 ms"), std::string::npos) << r.error;
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_TRUE(std::holds_alternative<ReplTimeout>(*r.failure));
}

TEST_F(ReplProcessTest, StartupRequestWithAReplErrorFailsTheStart) {
  ReplProcessOptions options;
  // A REPL whose import fails: it answers the first request with an error
  // (a synthetic text: no import failure of real Lean is recorded).
  options.command = {"/bin/sh", "-c",
                     "read request; read blank; "
                     "printf '{\"message\": \"tatami-test: import of Mathlib failed\"}\\n\\n'; "
                     "exec cat > /dev/null"};
  options.startup_requests = {kImport};
  ReplClient client(options);
  StartResult r = client.Start();
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("start-up request 1"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("tatami-test: import of Mathlib failed"), std::string::npos) << r.error;
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(As<ReplResponse>(*r.failure).json,
            json({{"message", "tatami-test: import of Mathlib failed"}}));
}

TEST_F(ReplProcessTest, RejectsBadRequestsWithoutHarmingTheWorker) {
  ReplClient client(DoubleOptions({"--instant"}));
  ASSERT_TRUE(client.Start().ok);
  ReplOutcome not_object = client.Send(json::array({1, 2}));
  EXPECT_NE(As<ReplRejected>(not_object).reason.find("object"), std::string::npos);
  ReplOutcome bad_utf8 = client.Send(json{{"cmd", std::string("def x := \"\xff\"")}});
  EXPECT_NE(As<ReplRejected>(bad_utf8).reason.find("UTF-8"), std::string::npos);
  EXPECT_EQ(As<ReplResponse>(client.Send(kDef)).json, json({{"env", 0}}));
}

TEST_F(ReplProcessTest, NotStartedRejects) {
  boost::asio::io_context io;
  ReplProcess process(io, DoubleOptions({"--instant"}));
  std::optional<ReplOutcome> got;
  process.AsyncRequest(kDef, [&](ReplOutcome o) { got = std::move(o); });
  EXPECT_FALSE(got.has_value()) << "callbacks never run inside AsyncRequest";
  RunUntil(io, [&] { return got.has_value(); });
  EXPECT_TRUE(std::holds_alternative<ReplRejected>(*got));
}

TEST_F(ReplProcessTest, SlowReaderGetsLargeRequestsWhole) {
  // 80 KB does not fit into a pipe: the write has to wait for the child.
  ReplClient client(DoubleOptions({"--instant", "--slow-read-ms", "1"}));
  ASSERT_TRUE(client.Start().ok);
  std::string big = "def big := \"" + std::string(80000, 'a') + "\"";
  EXPECT_EQ(As<ReplResponse>(client.Send(json{{"cmd", big}})).json, json({{"env", 0}}));
  EXPECT_EQ(As<ReplResponse>(client.Send(kDef)).json, json({{"env", 1}}));
}

TEST_F(ReplProcessTest, QueuedRequestsGoOneAtATimeInOrder) {
  boost::asio::io_context io;
  ReplProcess process(io, DoubleOptions({"--instant"}));
  std::optional<StartResult> started;
  process.AsyncStart([&](StartResult r) { started = std::move(r); });
  // Queued before the start completes: they wait for it.
  constexpr int kCount = 300;
  std::vector<int> envs;
  for (int i = 0; i < kCount; ++i) {
    process.AsyncRequest(kDef, [&](ReplOutcome o) {
      envs.push_back(std::get<ReplResponse>(o).json.at("env").get<int>());
    });
  }
  RunUntil(io, [&] { return static_cast<int>(envs.size()) == kCount; });
  ASSERT_TRUE(started && started->ok);
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(envs[static_cast<std::size_t>(i)], i);
}

// `count` requests (kDef) queued at once, before the start completes, on a
// worker with `options`; their outcomes in order, once all have come.
std::vector<ReplOutcome> QueuedAtOnce(const ReplProcessOptions& options, int count) {
  boost::asio::io_context io;
  ReplProcess process(io, options);
  bool started = false;
  process.AsyncStart([&](StartResult r) { started = r.ok; });
  std::vector<ReplOutcome> outcomes;
  for (int i = 0; i < count; ++i) {
    process.AsyncRequest(kDef, [&](ReplOutcome o) { outcomes.push_back(std::move(o)); });
  }
  RunUntil(io, [&] { return static_cast<int>(outcomes.size()) == count; });
  EXPECT_TRUE(started);
  return outcomes;
}

// Four requests queued at once on a double that crashes on the second;
// `window` is max_pipelined_requests. The first two outcomes are checked here.
std::vector<ReplOutcome> FourRequestsDyingOnTheSecond(std::size_t window) {
  ReplProcessOptions options = DoubleOptions({"--instant", "--crash-on", "2"});
  options.max_pipelined_requests = window;
  std::vector<ReplOutcome> outcomes = QueuedAtOnce(options, 4);
  As<ReplResponse>(outcomes[0]);
  EXPECT_EQ(As<ReplCrash>(outcomes[1]).signal, std::optional<int>(SIGSEGV));
  EXPECT_FALSE(NeverRan(outcomes[1]));  // the REPL died working on it
  return outcomes;
}

TEST_F(ReplProcessTest, DeathFailsQueuedRequestsAsNotSent) {
  const auto outcomes = FourRequestsDyingOnTheSecond(1);  // the later ones stay queued
  for (int i : {2, 3}) {
    EXPECT_EQ(As<ReplCrash>(outcomes[i]).reason.rfind("not sent: ", 0), 0u);
    EXPECT_TRUE(NeverRan(outcomes[i]));
  }
}

TEST_F(ReplProcessTest, ResponsesCarryTheLargestProofStateTheyName) {
  ReplClient client(DoubleOptions({"--instant"}));
  ASSERT_TRUE(client.Start().ok);
  const auto def = As<ReplResponse>(client.Send(kDef));
  EXPECT_EQ(def.max_proof_state, std::optional<std::int64_t>(-1));
  for (int i = 0; i < 3; ++i) {
    const auto r = As<ReplResponse>(client.Send({{"tactic", "skip"}, {"proofState", 0}}));
    ASSERT_TRUE(r.max_proof_state.has_value());
    EXPECT_EQ(*r.max_proof_state, r.json.at("proofState").get<std::int64_t>());
  }
}

TEST_F(ReplProcessTest, DeathFailsPipelinedRequestsAsNotRun) {
  const auto outcomes = FourRequestsDyingOnTheSecond(64);  // all written at once
  for (int i : {2, 3}) {
    EXPECT_EQ(As<ReplCrash>(outcomes[i]).reason.rfind("not run: ", 0), 0u);
    EXPECT_TRUE(NeverRan(outcomes[i]));
  }
}

TEST_F(ReplProcessTest, PipelinedDeadlineStartsWhenTheReplReachesTheRequest) {
  // 20 requests of 100 ms each are written at once; the last is answered
  // after about 2 s, well past its own 1.5 s deadline if that counted from
  // the write. Each one alone takes far less than its deadline.
  boost::asio::io_context io;
  ReplProcessOptions options = DoubleOptions({"--instant", "--latency-ms", "100"});
  ReplProcess process(io, options);
  bool started = false;
  process.AsyncStart([&](StartResult r) { started = r.ok; });
  constexpr int kCount = 20;
  std::vector<ReplOutcome> outcomes;
  for (int i = 0; i < kCount; ++i) {
    process.AsyncRequest(
        kDef, [&](ReplOutcome o) { outcomes.push_back(std::move(o)); }, 1500ms);
  }
  RunUntil(io, [&] { return static_cast<int>(outcomes.size()) == kCount; });
  EXPECT_TRUE(started);
  for (int i = 0; i < kCount; ++i) {
    const auto& r = As<ReplResponse>(outcomes[static_cast<std::size_t>(i)]);
    EXPECT_EQ(r.json.at("env").get<int>(), i);
    EXPECT_LT(r.elapsed, 1500ms) << "request " << i;
  }
}

TEST_F(ReplProcessTest, KillIsIdempotentAndFailsPendingRequests) {
  boost::asio::io_context io;
  ReplProcess process(io, DoubleOptions({"--instant", "--hang-on", "1"}));
  bool started = false;
  process.AsyncStart([&](StartResult r) { started = r.ok; });
  RunUntil(io, [&] { return started; });
  std::optional<ReplOutcome> got;
  process.AsyncRequest(kDef, [&](ReplOutcome o) { got = std::move(o); });
  io.poll();
  const int pid = process.pid();
  ASSERT_GT(pid, 0);
  process.Kill();
  EXPECT_FALSE(got.has_value()) << "callbacks are posted, not run inside Kill()";
  EXPECT_TRUE(IsGone(pid));
  EXPECT_EQ(process.state(), ReplProcess::State::kDead);
  EXPECT_EQ(process.pid(), -1);
  process.Kill();
  process.Kill();
  RunUntil(io, [&] { return got.has_value(); });
  EXPECT_NE(As<ReplCrash>(*got).reason.find("Kill()"), std::string::npos);
  EXPECT_EQ(process.ResidentBytes(), 0u);
}

TEST_F(ReplProcessTest, DestructorKillsAndReapsABusyChild) {
  boost::asio::io_context io;
  int pid = -1;
  {
    ReplProcess process(io, DoubleOptions({"--instant", "--hang-on", "1"}));
    bool started = false;
    process.AsyncStart([&](StartResult r) { started = r.ok; });
    RunUntil(io, [&] { return started; });
    process.AsyncRequest(kDef, [](ReplOutcome) {});
    io.poll();
    pid = process.pid();
  }
  EXPECT_TRUE(IsGone(pid));
  io.poll();  // the posted callback runs harmlessly
}

TEST_F(ReplProcessTest, CallbackMayRestartTheWorker) {
  boost::asio::io_context io;
  ReplProcess process(io, DoubleOptions({"--instant", "--crash-on", "1"}));
  bool started = false;
  process.AsyncStart([&](StartResult r) { started = r.ok; });
  RunUntil(io, [&] { return started; });
  std::optional<StartResult> restarted;
  std::optional<ReplOutcome> first;
  process.AsyncRequest(kDef, [&](ReplOutcome o) {
    first = std::move(o);
    process.AsyncRestart([&](StartResult r) { restarted = std::move(r); });
  });
  RunUntil(io, [&] { return restarted.has_value(); });
  EXPECT_TRUE(std::holds_alternative<ReplCrash>(*first));
  ASSERT_TRUE(restarted->ok) << restarted->error;
  EXPECT_EQ(process.generation(), 2u);
}

TEST_F(ReplProcessTest, KillReachesGrandchildrenAndChildrenInheritNoDescriptors) {
  const auto pid_file =
      std::filesystem::temp_directory_path() / ("tatami-grandchild-" + std::to_string(::getpid()));
  ReplProcessOptions options;
  // Like `lake env repl`: a wrapper that leaves a process of its own behind.
  options.command = {"/bin/sh", "-c",
                     "sleep 1000 & echo $! > '" + pid_file.string() + "'; exec '" +
                         tatami::testing::ReplDoublePath().string() + "' --instant"};
  boost::asio::io_context io;
  ReplProcess first(io, DoubleOptions({"--instant"}));
  ReplProcess process(io, options);
  int ok = 0;
  first.AsyncStart([&](StartResult r) { ok += r.ok; });
  process.AsyncStart([&](StartResult r) { ok += r.ok; });
  RunUntil(io, [&] { return ok == 2; });
  std::optional<ReplOutcome> got;
  process.AsyncRequest(kDef, [&](ReplOutcome o) { got = std::move(o); });
  RunUntil(io, [&] { return got.has_value(); });
  As<ReplResponse>(*got);  // the pid file is written by now

  int grandchild = 0;
  std::ifstream(pid_file) >> grandchild;
  std::filesystem::remove(pid_file);
  ASSERT_GT(grandchild, 0);
  EXPECT_FALSE(IsGone(grandchild));

  // The second child holds only its standard streams: none of the first
  // child's pipes (nor any other descriptor of ours).
  std::vector<std::string> fds;
  for (const auto& e :
       std::filesystem::directory_iterator("/proc/" + std::to_string(process.pid()) + "/fd")) {
    fds.push_back(e.path().filename().string());
  }
  std::sort(fds.begin(), fds.end());
  EXPECT_EQ(fds, (std::vector<std::string>{"0", "1", "2"}));

  process.Kill();
  first.Kill();
  // SIGKILL to the group is delivered at once, but the orphaned grandchild is
  // reaped by init, not by us: wait for that (bounded).
  EXPECT_TRUE(WaitUntilGone(grandchild)) << "the grandchild survived the kill of the group";
  io.poll();
}

TEST_F(ReplProcessTest, ManyWorkersShareOneIoContext) {
  boost::asio::io_context io;
  constexpr int kWorkers = 6;
  constexpr int kRequests = 25;
  std::vector<std::unique_ptr<ReplProcess>> workers;
  for (int w = 0; w < kWorkers; ++w) {
    // Worker 0 crashes on its 10th request; the others must not notice.
    std::vector<std::string> args = {"--instant", "--stderr-lines", "3"};
    if (w == 0) args.insert(args.end(), {"--crash-on", "10"});
    workers.push_back(std::make_unique<ReplProcess>(io, DoubleOptions(args)));
  }
  int started = 0;
  for (auto& w : workers) w->AsyncStart([&](StartResult r) { started += r.ok; });
  std::vector<int> responses(kWorkers, 0), crashes(kWorkers, 0);
  int done = 0;
  for (int i = 0; i < kRequests; ++i) {
    for (int w = 0; w < kWorkers; ++w) {
      workers[static_cast<std::size_t>(w)]->AsyncRequest(kDef, [&, w](ReplOutcome o) {
        ++done;
        if (std::holds_alternative<ReplResponse>(o)) ++responses[static_cast<std::size_t>(w)];
        if (std::holds_alternative<ReplCrash>(o)) ++crashes[static_cast<std::size_t>(w)];
      });
    }
  }
  RunUntil(io, [&] { return done == kWorkers * kRequests; });
  EXPECT_EQ(started, kWorkers);
  EXPECT_EQ(responses[0], 9);
  EXPECT_EQ(crashes[0], kRequests - 9);
  for (int w = 1; w < kWorkers; ++w) EXPECT_EQ(responses[static_cast<std::size_t>(w)], kRequests);
}

TEST_F(ReplProcessTest, AnswersSpanningManyReadsAreHandedOutWholeAndInOrder) {
  // Eight requests written at once; the double answers them in one go, the
  // third with 300 KB of padding, so the answers come over many reads, most
  // of them made as soon as the one before is handled.
  auto options = DoubleOptions({"--instant", "--huge-on", "3", "--huge-bytes", "300000"});
  options.max_pipelined_requests = 8;
  const std::vector<ReplOutcome> outcomes = QueuedAtOnce(options, 8);
  for (int i = 0; i < 8; ++i) {
    const ResponseJson& response = As<ReplResponse>(outcomes[static_cast<std::size_t>(i)]).json;
    EXPECT_EQ(response.at("env").get<int>(), i);
    EXPECT_EQ(response.contains("tatamiReplDoublePadding"), i == 2) << i;
  }
  EXPECT_EQ(As<ReplResponse>(outcomes[2]).json["tatamiReplDoublePadding"].get<std::string>().size(),
            300000u);
}

TEST_F(ReplProcessTest, AnswersWrittenBeforeACrashSurviveAFailedWrite) {
  // The child answers request 1 and crashes on request 2 while nothing reads
  // its output; request 3 then finds it gone through a failed write (EPIPE).
  // The answer to request 1 is in the pipe and must still be handed out.
  boost::asio::io_context io;
  ReplProcess process(io, DoubleOptions({"--instant", "--crash-on", "2"}));
  bool started = false;
  process.AsyncStart([&](StartResult r) { started = r.ok; });
  RunUntil(io, [&] { return started; });
  std::vector<std::optional<ReplOutcome>> got(3);
  auto send = [&](std::size_t i) {
    process.AsyncRequest(kDef, [&got, i](ReplOutcome o) { got[i] = std::move(o); });
  };
  send(0);
  send(1);
  ASSERT_TRUE(WaitUntilGone(process.pid())) << "the double did not crash on request 2";
  send(2);
  // Completions are never run inside AsyncRequest, not even when its write
  // finds the child gone.
  EXPECT_FALSE(got[0] || got[1] || got[2]) << "a callback ran inside AsyncRequest";
  RunUntil(io, [&] { return got[0] && got[1] && got[2]; });
  EXPECT_EQ(As<ReplResponse>(*got[0]).json, json({{"env", 0}}));
  EXPECT_EQ(As<ReplCrash>(*got[1]).signal, SIGSEGV);
  EXPECT_FALSE(NeverRan(*got[1]));
  // Request 3 never reached the child.
  EXPECT_TRUE(NeverRan(*got[2])) << As<ReplCrash>(*got[2]).reason;
}

TEST_F(ReplProcessTest, AnAnswerReadAheadOfTheNoticedExitIsHandedOut) {
  // The double answers request 1, then request 2 in a write of its own, then
  // crashes on request 3. Request 1's callback returns only once the child is
  // gone, and asks for request 4, whose write fails (EPIPE): the exit is then
  // known while the answer to request 2 is still on its way through the read
  // path. It must be handed out, and request 3 blamed for the crash.
  boost::asio::io_context io;
  ReplProcess process(io, DoubleOptions({"--instant", "--latency-ms", "20", "--crash-on", "3"}));
  bool started = false;
  process.AsyncStart([&](StartResult r) { started = r.ok; });
  RunUntil(io, [&] { return started; });
  std::vector<std::optional<ReplOutcome>> got(4);
  auto record = [&got](std::size_t i) {
    return [&got, i](ReplOutcome o) { got[i] = std::move(o); };
  };
  process.AsyncRequest(kDef, [&](ReplOutcome o) {
    got[0] = std::move(o);
    EXPECT_TRUE(WaitUntilGone(process.pid())) << "the double did not crash on request 3";
    process.AsyncRequest(kDef, record(3));
  });
  process.AsyncRequest(kDef, record(1));
  process.AsyncRequest(kDef, record(2));
  RunUntil(io, [&] { return got[0] && got[1] && got[2] && got[3]; });
  EXPECT_EQ(As<ReplResponse>(*got[0]).json, json({{"env", 0}}));
  EXPECT_EQ(As<ReplResponse>(*got[1]).json, json({{"env", 1}}));
  EXPECT_EQ(As<ReplCrash>(*got[2]).signal, SIGSEGV);
  EXPECT_FALSE(NeverRan(*got[2]));
  EXPECT_TRUE(NeverRan(*got[3])) << As<ReplCrash>(*got[3]).reason;
}

TEST_F(ReplProcessTest, ARequestToAChildThatDiedUnnoticedNeverRan) {
  boost::asio::io_context io;
  ReplProcess process(io, DoubleOptions({"--instant"}));
  bool started = false;
  process.AsyncStart([&](StartResult r) { started = r.ok; });
  RunUntil(io, [&] { return started; });
  // Killed behind our back (the kernel's OOM killer, say) while idle.
  ASSERT_EQ(::kill(process.pid(), SIGKILL), 0);
  ASSERT_TRUE(WaitUntilGone(process.pid()));
  std::optional<ReplOutcome> got;
  process.AsyncRequest(kDef, [&](ReplOutcome o) { got = std::move(o); });
  EXPECT_FALSE(got.has_value()) << "the callback ran inside AsyncRequest";
  RunUntil(io, [&] { return got.has_value(); });
  const ReplCrash& crash = As<ReplCrash>(*got);
  EXPECT_TRUE(NeverRan(*got)) << crash.reason;
  EXPECT_EQ(crash.signal, SIGKILL);
  // And it restarts as any dead worker does.
  std::optional<StartResult> restarted;
  process.AsyncRestart([&](StartResult r) { restarted = std::move(r); });
  RunUntil(io, [&] { return restarted.has_value(); });
  ASSERT_TRUE(restarted->ok);
  got.reset();
  process.AsyncRequest(kDef, [&](ReplOutcome o) { got = std::move(o); });
  RunUntil(io, [&] { return got.has_value(); });
  EXPECT_EQ(As<ReplResponse>(*got).json, json({{"env", 0}}));
}

TEST_F(ReplProcessTest, ChattyStderrNeverBlocksTheChild) {
  // 2000 lines of stderr per request is far beyond a pipe's buffer.
  auto options = DoubleOptions({"--instant", "--stderr-lines", "2000"});
  options.stderr_tail_bytes = 256;
  ReplClient client(options);
  ASSERT_TRUE(client.Start().ok);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(As<ReplResponse>(client.Send(kDef, 20s)).json, json({{"env", i}}));
  }
}

TEST_F(ReplProcessTest, StderrTailIsBounded) {
  auto options = DoubleOptions({"--instant", "--stderr-lines", "500", "--crash-on", "3"});
  options.stderr_tail_bytes = 300;
  ReplClient client(options);
  ASSERT_TRUE(client.Start().ok);
  As<ReplResponse>(client.Send(kDef));
  As<ReplResponse>(client.Send(kDef));
  ReplOutcome o = client.Send(kDef);
  const auto& c = As<ReplCrash>(o);
  EXPECT_LE(c.stderr_tail.size(), 300u);
  EXPECT_NE(c.stderr_tail.find("raising SIGSEGV"), std::string::npos) << c.stderr_tail;
}

TEST_F(ReplProcessTest, AsyncStartTwiceIsMisuse) {
  boost::asio::io_context io;
  ReplProcess process(io, DoubleOptions({"--instant"}));
  process.AsyncStart([](StartResult) {});
  EXPECT_THROW(process.AsyncStart([](StartResult) {}), std::logic_error);
  io.poll();
}

}  // namespace
}  // namespace tatami::dojo
