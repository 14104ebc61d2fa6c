// Each fault flag does what it says; deadlines are poll() timeouts, never sleeps.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "double_process.h"
#include "test_util.h"

namespace tatami::testing {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kCmd = "{\"cmd\": \"def x := 1\"}\n\n";
constexpr const char* kTactic = "{\"tactic\": \"rfl\", \"proofState\": 0}\n\n";

bool IsJson(const std::string& s) { return json::accept(s); }

TEST(InstantTest, AnswersEveryKindWithTheRightShape) {
  DoubleProcess p({"--instant"});
  p.Send(kCmd);
  p.Send("{\"cmd\": \"import Lean\"}\n\n");
  p.Send(kTactic);
  p.Send("{\"pickleTo\": \"a\", \"env\": 1}\n\n");
  p.Send("{\"unpickleProofStateFrom\": \"b\"}\n\n");
  p.Send("-- a comment the REPL skips\n\n");
  p.Send("{\"cmd\":\n \"multi\",\n \"env\": 0}\n\n");  // lines joined without newlines
  p.Send("[1, 2]\n\n");
  p.CloseStdin();
  std::vector<std::string> frames;
  while (auto f = p.ReadFrame()) frames.push_back(*f);
  ASSERT_EQ(frames.size(), 7u);
  EXPECT_EQ(frames[0], "{\"env\": 0}");
  EXPECT_EQ(frames[1], "{\"env\": 1}");
  EXPECT_EQ(frames[2], "{\"proofStatus\": \"Completed\", \"proofState\": 0, \"goals\": []}");
  EXPECT_EQ(frames[3], "{\"env\": 1}");
  EXPECT_EQ(frames[4], "{\"proofStatus\": \"Completed\", \"proofState\": 1, \"goals\": []}");
  EXPECT_EQ(frames[5], "{\"env\": 2}");
  EXPECT_NE(frames[6].find("tatami-repl-double: not a REPL command"), std::string::npos);
  EXPECT_EQ(p.Wait(), 0);  // EOF: exit status 0
  EXPECT_NE(p.Stderr().find("tatami-repl-double: Lean REPL test double (not Lean)"),
            std::string::npos);
}

TEST(InstantTest, InvalidJsonGetsTheErrorObjectOrIsFatalOnRequest) {
  {
    DoubleProcess p({"--instant"});
    p.Send("{not json\n\n");
    auto r = p.ReadFrame();
    ASSERT_TRUE(r);
    std::string message = json::parse(*r).at("message");
    EXPECT_EQ(message.rfind("tatami-repl-double: not JSON: ", 0), 0u) << message;
  }
  DoubleProcess p({"--instant", "--fatal-parse-errors"});
  p.Send("{not json\n\n");
  p.CloseStdin();
  EXPECT_EQ(p.ReadToEof(), "");
  int status = p.Wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_NE(p.Stderr().find("uncaught exception: {\"message\""), std::string::npos);
}

TEST(InstantTest, RequestCutOffByEofIsStillAnswered) {
  DoubleProcess p({"--instant"});
  p.Send("{\"cmd\": \"x\"}");
  p.CloseStdin();
  EXPECT_EQ(p.ReadToEof(), "{\"env\": 0}\n\n");
  EXPECT_EQ(p.Wait(), 0);
}

TEST(InstantTest, RequestsAreSplitLineByLineAsTheReplReadsThem) {
  // A line that is blank once its trailing whitespace is gone ends a request,
  // CRLF line ends are stripped, the lines are joined without newlines, and
  // extra blank lines between requests are skipped.
  DoubleProcess p({"--instant"});
  p.Send("{\"cmd\":\r\n \"x\"}\r\n \t\r\n");
  auto first = p.ReadFrame();
  ASSERT_TRUE(first) << "a whitespace-only line ends the request; " << p.Stderr();
  EXPECT_EQ(*first, "{\"env\": 0}");
  p.Send("\n\n{\"cmd\": \"y\"}  \n\n");
  auto second = p.ReadFrame();
  ASSERT_TRUE(second) << p.Stderr();
  EXPECT_EQ(*second, "{\"env\": 1}");
  p.CloseStdin();
  EXPECT_EQ(p.ReadToEof(), "");
  EXPECT_EQ(p.Wait(), 0);
}

TEST(FaultTest, ExitOnWritesHalfAndExitsWithTheCode) {
  DoubleProcess p({"--instant", "--exit-on", "2", "--exit-code", "7"});
  p.Send(kCmd);
  EXPECT_EQ(p.ReadFrame(), std::optional<std::string>("{\"env\": 0}"));
  p.Send(kCmd);
  std::string rest = p.ReadToEof();
  EXPECT_EQ(rest, std::string("{\"env\": 1}").substr(0, 5));
  int status = p.Wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 7);
}

TEST(FaultTest, CrashOnDiesBySigsegv) {
  DoubleProcess p({"--instant", "--crash-on", "1"});
  p.Send(kTactic);
  std::string rest = p.ReadToEof();
  EXPECT_FALSE(rest.empty());
  EXPECT_FALSE(IsJson(rest));
  int status = p.Wait();
  ASSERT_TRUE(WIFSIGNALED(status)) << status;
  EXPECT_EQ(WTERMSIG(status), SIGSEGV);
}

TEST(FaultTest, GarbageTruncateAndHugeAnswers) {
  DoubleProcess p({"--instant", "--garbage-on", "1", "--truncate-on", "2", "--huge-on", "3",
                   "--huge-bytes", "300000"});
  p.Send(kTactic);
  p.Send(kTactic);
  p.Send(kTactic);
  p.Send(kTactic);
  auto garbage = p.ReadFrame();
  ASSERT_TRUE(garbage);
  EXPECT_FALSE(IsJson(*garbage));
  EXPECT_NE(garbage->find("tatami-repl-double"), std::string::npos);
  auto truncated = p.ReadFrame();
  ASSERT_TRUE(truncated);
  EXPECT_FALSE(IsJson(*truncated));
  EXPECT_EQ(truncated->front(), '{');
  auto huge = p.ReadFrame();
  ASSERT_TRUE(huge);
  json h = json::parse(*huge);
  EXPECT_EQ(h.at("tatamiReplDoublePadding").get<std::string>().size(), 300000u);
  EXPECT_EQ(h.at("proofState"), 2);
  EXPECT_GT(huge->size(), 300000u);
  auto normal = p.ReadFrame();
  ASSERT_TRUE(normal);
  EXPECT_EQ(json::parse(*normal).at("proofState"), 3);
}

// One write(2) of the client, one of the double: the answers arrive in the
// client's first read (they are far below PIPE_BUF, so the write is atomic),
// even though each new state takes the double milliseconds (16 MiB to touch).
TEST(InstantTest, AnswersToRequestsReadTogetherGoOutInOneWrite) {
  DoubleProcess p({"--instant", "--state-memory-kb", "16384"});
  p.Send(std::string(kTactic) + kTactic + kTactic);
  const std::string answer = "{\"proofStatus\": \"Completed\", \"proofState\": ";
  EXPECT_EQ(p.ReadOnce(), answer + "0, \"goals\": []}\n\n" + answer + "1, \"goals\": []}\n\n" +
                              answer + "2, \"goals\": []}\n\n");
}

// Answers already made are written before the double stops answering.
TEST(FaultTest, AnswersBeforeAHangAreWritten) {
  DoubleProcess p({"--instant", "--hang-on", "3"});
  p.Send(std::string(kCmd) + kCmd + kCmd);
  EXPECT_TRUE(p.ReadFrame());
  EXPECT_TRUE(p.ReadFrame());
  EXPECT_FALSE(p.ReadFrame(300ms));
  EXPECT_TRUE(p.timed_out());
}

TEST(FaultTest, HangOnNeverAnswersButStaysAlive) {
  DoubleProcess p({"--instant", "--hang-on", "2"});
  p.Send(kCmd);
  ASSERT_TRUE(p.ReadFrame());
  p.Send(kCmd);
  EXPECT_FALSE(p.ReadFrame(300ms));
  EXPECT_TRUE(p.timed_out());
  EXPECT_TRUE(p.Running());
}

TEST(FaultTest, LatencyDelaysTheAnswer) {
  DoubleProcess p({"--instant", "--latency-ms", "3000"});
  p.Send(kCmd);
  EXPECT_FALSE(p.ReadFrame(200ms));  // nanosleep never returns early
  EXPECT_TRUE(p.timed_out());
  EXPECT_TRUE(p.ReadFrame(20s));
}

TEST(FaultTest, ExitAtStartAndGarbageAtStart) {
  {
    DoubleProcess p({"--exit-at-start", "3"});
    int status = p.Wait();
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 3);
    EXPECT_NE(p.Stderr().find("tatami-repl-double: exiting at start-up"), std::string::npos);
  }
  DoubleProcess p({"--instant", "--garbage-at-start"});
  auto first = p.ReadFrame();
  ASSERT_TRUE(first);
  EXPECT_FALSE(IsJson(*first));
  p.Send(kCmd);
  EXPECT_EQ(p.ReadFrame(), std::optional<std::string>("{\"env\": 0}"));
}

TEST(FaultTest, SlowReaderStillAnswersCorrectly) {
  DoubleProcess p({"--instant", "--slow-read-ms", "1"});
  p.Send("{\"cmd\": \"a fairly long command that needs several small reads\"}\n\n");
  EXPECT_EQ(p.ReadFrame(), std::optional<std::string>("{\"env\": 0}"));
}

std::vector<bool> GarbagePattern(const std::string& seed, int n) {
  DoubleProcess p({"--instant", "--fault-rate", "0.5", "--faults", "garbage", "--seed", seed});
  std::vector<bool> garbage;
  for (int i = 0; i < n; ++i) p.Send(kCmd);
  for (int i = 0; i < n; ++i) {
    auto f = p.ReadFrame();
    if (!f) break;
    garbage.push_back(!IsJson(*f));
  }
  return garbage;
}

TEST(FaultTest, FaultRateIsSeededAndMixes) {
  auto a = GarbagePattern("42", 60);
  auto b = GarbagePattern("42", 60);
  auto c = GarbagePattern("43", 60);
  ASSERT_EQ(a.size(), 60u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  auto faults = std::count(a.begin(), a.end(), true);
  EXPECT_GT(faults, 10);
  EXPECT_LT(faults, 50);
}

TEST(FaultTest, FaultRateOneWithCrashKillsTheFirstRequest) {
  DoubleProcess p({"--instant", "--fault-rate", "1", "--faults", "crash"});
  p.Send(kCmd);
  p.ReadToEof();
  int status = p.Wait();
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGSEGV);
}

TEST(FaultTest, StderrLinesPerRequest) {
  DoubleProcess p({"--instant", "--stderr-lines", "3"});
  p.Send(kCmd);
  p.Send(kCmd);
  p.CloseStdin();
  p.ReadToEof();
  p.Wait();
  std::string err = p.Stderr();
  EXPECT_NE(err.find("stderr line 3 of 3 for request 2"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1 + 6) << err;  // banner + 3 per request
}

long ResidentKb(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

TEST(FaultTest, ImportAndStateMemoryIsResident) {
  DoubleProcess p({"--instant", "--import-memory-mb", "64", "--state-memory-kb", "512"});
  p.Send(kCmd);
  ASSERT_TRUE(p.ReadFrame());
  long before = ResidentKb(p.pid());
  p.Send("{\"cmd\": \"import Mathlib\"}\n\n");
  ASSERT_TRUE(p.ReadFrame());
  long after_import = ResidentKb(p.pid());
  EXPECT_GE(after_import - before, 60 * 1024);
  for (int i = 0; i < 64; ++i) p.Send(kTactic);
  for (int i = 0; i < 64; ++i) ASSERT_TRUE(p.ReadFrame());
  EXPECT_GE(ResidentKb(p.pid()) - after_import, 30 * 1024);  // 64 states x 512 KiB
}

// CPU time the process has used so far (utime + stime from /proc), in ms.
long CpuMs(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string f;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stol(f);
    if (i == 15) stime = std::stol(f);
  }
  return (utime + stime) * 1000 / sysconf(_SC_CLK_TCK);
}

TEST(FaultTest, WorkUsBurnsCpuPerRequest) {
  DoubleProcess p({"--instant", "--work-us", "150000"});
  p.Send(kCmd);
  ASSERT_TRUE(p.ReadFrame());
  p.Send(kCmd);
  ASSERT_TRUE(p.ReadFrame());
  // Two requests x 150 ms of CPU; clock-tick accounting is coarse, hence the margin.
  EXPECT_GE(CpuMs(p.pid()), 250);
}

// What the double used serving, not loading: CPU burnt per request counts.
TEST(FaultTest, ReportCpuAppendsTheServingTime) {
  const std::string file =
      (std::filesystem::temp_directory_path() / ("tatami-report-cpu-" + std::to_string(::getpid())))
          .string();
  std::filesystem::remove(file);
  for (const char* work : {"0", "20000"}) {
    DoubleProcess p({"--instant", "--work-us", work, "--report-cpu", file});
    p.Send(std::string(kCmd) + kCmd);
    p.CloseStdin();
    while (p.ReadFrame()) {
    }
    EXPECT_EQ(p.Wait(), 0);
  }
  std::ifstream in(file);
  double idle = -1, busy = -1;
  in >> idle >> busy;
  EXPECT_GE(idle, 0.0);
  EXPECT_GE(busy, 0.04);  // two answers, 20 ms of CPU before each
  std::filesystem::remove(file);
}

TEST(UsageTest, HelpPrintsTheReadmeAndBadUsageExits2) {
  {
    DoubleProcess p({"--help"});
    std::string out = p.ReadToEof();
    EXPECT_NE(out.find("## Script format"), std::string::npos);
    EXPECT_NE(out.find("--fault-rate"), std::string::npos);
    EXPECT_EQ(p.Wait(), 0);
  }
  DoubleProcess p({"--instant", "--hang-on", "x"});
  int status = p.Wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_NE(p.Stderr().find("--hang-on expects a non-negative integer"), std::string::npos);
}

}  // namespace
}  // namespace tatami::testing
