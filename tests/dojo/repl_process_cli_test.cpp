// `tatami repl` driven as a subprocess, with the REPL test double behind it.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "repl_process_test_support.h"
#include "tatami/dojo/framing.h"
#include "tatami/dojo/transcript.h"

namespace tatami {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class ReplCliTest : public tatami::testing::NoLeaksTest {
 protected:
  void SetUp() override {
    NoLeaksTest::SetUp();
    dir_ = fs::temp_directory_path() /
           ("tatami-repl-cli-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    fs::remove_all(dir_);
    NoLeaksTest::TearDown();
  }

  // Runs `tatami repl ARGS` with `input` on stdin, with the variables `env`
  // (NAME=value) added to the environment and no other TATAMI_* set.
  CliRun Repl(const std::vector<std::string>& args, const std::string& input,
              const std::vector<std::string>& env = {}) {
    std::ofstream(dir_ / "in") << input;
    std::string cmd = "env";
    for (const char* name : {"TATAMI_CONFIG", "TATAMI_REPL_CMD", "TATAMI_PROJECT", "TATAMI_TIMEOUT",
                             "TATAMI_MEMORY_LIMIT"})
      cmd += std::string(" -u ") + name;
    for (const auto& e : env) cmd += " " + Quoted(e);
    cmd += " " + Quoted(TATAMI_CLI) + " repl";
    for (const auto& a : args) cmd += " " + Quoted(a);
    cmd += " < " + Quoted((dir_ / "in").string()) + " > " + Quoted((dir_ / "out").string()) +
           " 2> " + Quoted((dir_ / "err").string());
    int status = std::system(cmd.c_str());
    CliRun r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = ReadFile(dir_ / "out");
    r.err = ReadFile(dir_ / "err");
    return r;
  }

  static std::string DoubleCmd(const std::string& args) {
    return Quoted(tatami::testing::ReplDoublePath().string()) + " " + args;
  }

  static std::vector<json> Frames(const std::string& out) {
    dojo::FrameSplitter s;
    s.Append(out);
    std::vector<json> frames;
    while (auto f = s.Next()) frames.push_back(json::parse(*f));
    EXPECT_EQ(s.pending_size(), 0u) << "output ends with a complete frame";
    return frames;
  }

  static std::vector<json> Lines(const std::string& out) {
    std::vector<json> lines;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) lines.push_back(json::parse(line));
    return lines;
  }

  fs::path dir_;
};

std::string MessageOf(const json& j) {
  return j.contains("message") ? j["message"].get<std::string>() : std::string();
}

TEST_F(ReplCliTest, CrashIsAnsweredWithAnErrorAndServingContinues) {
  CliRun r = Repl({"--repl-cmd", DoubleCmd("--instant --crash-on 2")},
                  "{\"cmd\": \"def f := 37\"}\n\n"
                  "{\"cmd\": \"def g := 1\"}\n\n"
                  "{\"cmd\": \"def h := 2\"}\n\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto frames = Frames(r.out);
  ASSERT_EQ(frames.size(), 3u) << r.out;
  EXPECT_EQ(frames[0], json({{"env", 0}}));
  EXPECT_EQ(MessageOf(frames[1]).rfind("tatami: the REPL crashed", 0), 0u) << frames[1];
  EXPECT_NE(MessageOf(frames[1]).find("SIGSEGV"), std::string::npos) << frames[1];
  EXPECT_NE(MessageOf(frames[1]).find("restarted"), std::string::npos) << frames[1];
  EXPECT_EQ(frames[2], json({{"env", 0}})) << "a fresh REPL answered";
}

TEST_F(ReplCliTest, JsonlModeWithTimeoutAndRejectedRequest) {
  CliRun r = Repl({"--jsonl", "--timeout", "0.3", "--repl-cmd", DoubleCmd("--instant --hang-on 2")},
                  "{\"cmd\": \"a\"}\n"
                  "\n"
                  "{\"cmd\": \"b\"}\n"
                  "[1, 2]\n"
                  "{\"cmd\": \"c\"}\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  EXPECT_EQ(lines[0], json({{"env", 0}}));
  EXPECT_NE(MessageOf(lines[1]).find("did not answer within 0.3 s"), std::string::npos) << lines[1];
  EXPECT_NE(MessageOf(lines[2]).find("line 4"), std::string::npos) << lines[2];
  EXPECT_NE(MessageOf(lines[2]).find("JSON object"), std::string::npos) << lines[2];
  EXPECT_EQ(lines[3], json({{"env", 0}}));
  // One compact line per response.
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "{\"env\":0}");
}

TEST_F(ReplCliTest, MalformedJsonNamesLineAndColumnAndServingContinues) {
  CliRun r = Repl({"--repl-cmd", DoubleCmd("--instant")},
                  "{\"cmd\": \"a\"}\n\n"
                  "{\"cmd\": \"b\",\n"
                  " \"env\": oops}\n\n"
                  "{\"cmd\": \"c\"}\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto frames = Frames(r.out);
  ASSERT_EQ(frames.size(), 3u) << r.out;
  EXPECT_NE(MessageOf(frames[1]).find("invalid JSON in the request at line 4, column 9"),
            std::string::npos)
      << frames[1];
  EXPECT_EQ(frames[2], json({{"env", 1}})) << "the REPL was not restarted for a user error";
}

TEST_F(ReplCliTest, PassesARecordedTranscriptThroughByteForByte) {
  TATAMI_REQUIRE_FIXTURES();
  const auto t = tatami::testing::FixturesDir() / "repl-transcripts";
  for (const char* name : {"by_cases", "invalid_line_break", "def_eval"}) {
    const auto in = t / (std::string(name) + ".in");
    const auto expected = t / (std::string(name) + ".expected.out");
    CliRun r = Repl({"--repl-cmd", DoubleCmd("--replay " + Quoted(expected.string()) +
                                             " --expect " + Quoted(in.string()))},
                    ReadFile(in));
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.err;
    // Live output is split as a response stream, the recording as a recorded file.
    dojo::FrameSplitter got;
    got.Append(r.out);
    int n = 0;
    for (const auto& [line, w] : dojo::SplitResponseStream(ReadFile(expected))) {
      auto g = got.Next();
      ASSERT_TRUE(g.has_value()) << name << ": response " << n + 1 << " missing";
      EXPECT_EQ(*g, w) << name << ": response " << n + 1 << " (line " << line << ")";
      ++n;
    }
    EXPECT_FALSE(got.Next().has_value()) << name << ": extra output";
    EXPECT_GT(n, 0);
  }
}

TEST_F(ReplCliTest, ProjectIsTheWorkingDirectory) {
  const fs::path double_path = tatami::testing::ReplDoublePath();
  CliRun r = Repl({"--project", double_path.parent_path().string(), "--repl-cmd",
                   "./" + double_path.filename().string() + " --instant"},
                  "{\"cmd\": \"a\"}\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Frames(r.out), std::vector<json>{json({{"env", 0}})});
}

TEST_F(ReplCliTest, UnknownReplCommandFailsClearly) {
  CliRun r = Repl({"--repl-cmd", "tatami-no-such-repl --flag"}, "{\"cmd\": \"a\"}\n");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("tatami-no-such-repl"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not found"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_F(ReplCliTest, BadOptionsFailWithExitCode2) {
  EXPECT_EQ(Repl({"--memory-limit", "8Q", "--repl-cmd", DoubleCmd("--instant")}, "").exit_code, 2);
  EXPECT_EQ(Repl({"--repl-cmd", "'unbalanced"}, "").exit_code, 2);
  EXPECT_EQ(Repl({"--project", (dir_ / "missing").string()}, "").exit_code, 2);
}

TEST_F(ReplCliTest, MemoryLimitAcceptsSizes) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "an AddressSanitizer child cannot run under RLIMIT_AS";
#endif
  // A generous cap in each spelling still lets the REPL run.
  for (const char* size : {"8G", "4096M", "8GiB", "8589934592"}) {
    CliRun r =
        Repl({"--memory-limit", size, "--repl-cmd", DoubleCmd("--instant")}, "{\"cmd\": \"a\"}\n");
    EXPECT_EQ(r.exit_code, 0) << size << ": " << r.err;
    EXPECT_EQ(Frames(r.out), std::vector<json>{json({{"env", 0}})}) << size;
  }
}

// `tatami repl` reads the configuration of the other commands: file,
// TATAMI_* variables and flags, with the same precedence and value syntax.
TEST_F(ReplCliTest, ConfigFileAndEnvironmentConfigureTheRepl) {
  std::ofstream(dir_ / "tatami.toml")
      << "[repl]\ncommand = \"" << DoubleCmd("--instant --hang-on 2")
      << "\"\nrequest_timeout = \"300ms\"\n";
  const std::string input = "{\"cmd\": \"a\"}\n\n{\"cmd\": \"b\"}\n\n{\"cmd\": \"c\"}\n\n";
  CliRun r = Repl({"--config", (dir_ / "tatami.toml").string()}, input);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto frames = Frames(r.out);
  ASSERT_EQ(frames.size(), 3u) << r.out;
  EXPECT_EQ(frames[0], json({{"env", 0}}));
  EXPECT_NE(MessageOf(frames[1]).find("did not answer within 0.3 s"), std::string::npos)
      << frames[1];
  EXPECT_EQ(frames[2], json({{"env", 0}}));

  // The same through the environment, and the file named by TATAMI_CONFIG.
  r = Repl({}, input,
           {"TATAMI_REPL_CMD=" + DoubleCmd("--instant --hang-on 2"), "TATAMI_TIMEOUT=0.3"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("did not answer within 0.3 s"), std::string::npos) << r.out;
  r = Repl({}, input, {"TATAMI_CONFIG=" + (dir_ / "tatami.toml").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("did not answer within 0.3 s"), std::string::npos) << r.out;
}

TEST_F(ReplCliTest, FlagsBeatTheEnvironmentWhichBeatsTheFile) {
  std::ofstream(dir_ / "tatami.toml") << "[repl]\ncommand = \"tatami-no-such-repl-from-file\"\n";
  // The environment's command beats the file's; the flag's timeout beats the
  // environment's (a duration with a unit, as everywhere).
  CliRun r = Repl({"--config", (dir_ / "tatami.toml").string(), "--timeout", "250ms"},
                  "{\"cmd\": \"a\"}\n\n{\"cmd\": \"b\"}\n\n",
                  {"TATAMI_REPL_CMD=" + DoubleCmd("--instant --hang-on 2"), "TATAMI_TIMEOUT=1h"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto frames = Frames(r.out);
  ASSERT_EQ(frames.size(), 2u) << r.out;
  EXPECT_NE(MessageOf(frames[1]).find("did not answer within 0.25 s"), std::string::npos)
      << frames[1];
  // The file's command is used when nothing overrides it.
  r = Repl({"--config", (dir_ / "tatami.toml").string()}, "{\"cmd\": \"a\"}\n");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("tatami-no-such-repl-from-file"), std::string::npos) << r.err;
}

TEST_F(ReplCliTest, BadConfigurationNamesTheSourceAndExits2) {
  std::ofstream(dir_ / "bad.toml") << "[repl]\nrequest_timeout = \"soon\"\n";
  CliRun r =
      Repl({"--config", (dir_ / "bad.toml").string(), "--repl-cmd", DoubleCmd("--instant")}, "");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.toml"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("repl.request_timeout"), std::string::npos) << r.err;
  r = Repl({"--repl-cmd", DoubleCmd("--instant")}, "", {"TATAMI_MEMORY_LIMIT=lots"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("TATAMI_MEMORY_LIMIT"), std::string::npos) << r.err;
  // Pool settings mean nothing for one process: not offered as flags.
  EXPECT_NE(Repl({"--workers", "2", "--repl-cmd", DoubleCmd("--instant")}, "").exit_code, 0);
}

TEST_F(ReplCliTest, EmptyInputExitsZero) {
  CliRun r = Repl({"--repl-cmd", DoubleCmd("--instant")}, "");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
}

}  // namespace
}  // namespace tatami
