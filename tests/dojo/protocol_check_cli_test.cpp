// `tatami protocol-check`, run as a user would: exit 0 on a recorded pair,
// non-zero with one line per problem on a wrong one, and --replay through the
// REPL test double.
#include <sys/wait.h>

#include <unistd.h>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "fixtures.h"

namespace {

namespace fs = std::filesystem;
using ::tatami::testing::FixturesDir;

struct CliRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

CliRun RunCli(const std::string& args) {
  std::string cmd = Quote(TATAMI_CLI) + " protocol-check " + args + " 2>&1";
  CliRun run;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return run;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) run.output.append(buf.data(), n);
  int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "tatami-protocol-check-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  fs::path Write(const std::string& name, const std::string& text) const {
    fs::path p = path_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

fs::path Transcript(const std::string& name) { return FixturesDir() / "repl-transcripts" / name; }

TEST(ProtocolCheckCli, RecordedPairPasses) {
  TATAMI_REQUIRE_FIXTURES();
  fs::path in = Transcript("invalid_tactic.in");
  CliRun run = RunCli(Quote(in.string()) + " " + Quote(Transcript("invalid_tactic.expected.out")));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.output, in.string() + ": 2 requests, 2 responses: ok\n");
}

TEST(ProtocolCheckCli, WrongPairFailsWithOneLinePerProblem) {
  TempDir dir;
  fs::path in = dir.Write("bad.in",
                          "{\"cmd\": \"def f : Nat := by sorry\"}\n\n"
                          "{\"tactic\": 42, \"proofState\": 0}\n\n"
                          "{\"tactic\": \"rfl\", \"proofState\": 0}\n");
  fs::path out = dir.Write("bad.expected.out",
                           "{\"env\": 0}\n\n"
                           "{\"proofState\": 1, \"goals\": []}\n\n"
                           "{\"proofState\": 2, \"goals\": \"not a list\"}\n");
  CliRun run = RunCli(Quote(in.string()) + " " + Quote(out.string()));
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find(in.string() + ":request 2: not a REPL request: tactic: expected a "
                                          "string, got integer"),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find(out.string() + ":response 3 (line 5): not a proof step response: "
                                           "goals: expected an array of strings, got string"),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find(in.string() + ": 3 requests, 3 responses: 2 problems\n"),
            std::string::npos)
      << run.output;
}

TEST(ProtocolCheckCli, CountMismatchAndUnreadableInput) {
  TempDir dir;
  fs::path in = dir.Write("short.in", "{\"cmd\": \"def f := 1\"}\n");
  fs::path out = dir.Write("short.expected.out", "{\"env\": 0}\n\n{\"env\": 1}\n");
  CliRun run = RunCli(Quote(in.string()) + " " + Quote(out.string()));
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find(out.string() + ": 2 responses for 1 requests"), std::string::npos)
      << run.output;
  CliRun missing = RunCli(Quote((dir.path() / "nope.in").string()));
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("nope.in"), std::string::npos) << missing.output;
}

TEST(ProtocolCheckCli, ReplayThroughTheDoubleMatchesTheRecording) {
  TATAMI_REQUIRE_FIXTURES();
  for (const char* name : {"proof_step", "unknown_tactic", "pickle_proof_state_1",
                           "history/v4.9.0/name_generator", "Mathlib/test/exact"}) {
    SCOPED_TRACE(name);
    fs::path in = Transcript(std::string(name) + ".in");
    CliRun run = RunCli(Quote(in.string()) + " " +
                        Quote(Transcript(std::string(name) + ".expected.out").string()) +
                        " --replay --double " + Quote(TATAMI_REPL_DOUBLE));
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find(", replayed: ok"), std::string::npos) << run.output;
  }
}

TEST(ProtocolCheckCli, ReplayReportsADifferentAnswer) {
  TATAMI_REQUIRE_FIXTURES();
  // A "REPL" that answers proof_step's requests with invalid_tactic's
  // responses: the second answer is a failed tactic instead of an advance.
  TempDir dir;
  fs::path fake =
      dir.Write("fake-repl", "#!/bin/sh\nexec " + Quote(TATAMI_REPL_DOUBLE) + " --replay " +
                                 Quote(Transcript("invalid_tactic.expected.out").string()) + "\n");
  fs::permissions(fake, fs::perms::owner_all);
  fs::path in = Transcript("proof_step.in");
  CliRun run = RunCli(Quote(in.string()) + " " + Quote(Transcript("proof_step.expected.out")) +
                      " --replay --timeout-ms 5000 --double " + Quote(fake.string()));
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find(in.string() + ":request 2: replay: got tactic failed (error "
                                          "messages)"),
            std::string::npos)
      << run.output;
}

TEST(ProtocolCheckCli, ReplayDeadlineTakesDurationsAndMilliseconds) {
  TATAMI_REQUIRE_FIXTURES();
  // A "REPL" that never answers: the deadline the flags asked for is the one
  // the replay reports.
  TempDir dir;
  fs::path hang = dir.Write(
      "hang-repl", "#!/bin/sh\nexec " + Quote(TATAMI_REPL_DOUBLE) + " --replay " +
                       Quote(Transcript("def_eval.expected.out").string()) + " --hang-on 1\n");
  fs::permissions(hang, fs::perms::owner_all);
  const std::string args = Quote(Transcript("def_eval.in").string()) + " " +
                           Quote(Transcript("def_eval.expected.out").string()) +
                           " --replay --double " + Quote(hang.string());
  for (const char* flag :
       {"--timeout 0.3s", "--timeout 300ms", "--timeout-ms 300", "--timeout-ms 0.3s"}) {
    SCOPED_TRACE(flag);
    CliRun run = RunCli(args + " " + flag);
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_NE(run.output.find("no response within 300 ms"), std::string::npos) << run.output;
  }
}

TEST(ProtocolCheckCli, BadDeadlineNamesTheFlag) {
  TATAMI_REQUIRE_FIXTURES();
  const std::string in = Quote(Transcript("def_eval.in").string());
  for (const auto& [flag, name] :
       {std::pair{"--timeout soon", "--timeout:"}, std::pair{"--timeout-ms 0", "--timeout-ms:"},
        std::pair{"--timeout-ms 5parsecs", "--timeout-ms:"}}) {
    SCOPED_TRACE(flag);
    CliRun run = RunCli(in + " " + flag);
    EXPECT_EQ(run.exit_code, 2) << run.output;
    EXPECT_NE(run.output.find(name), std::string::npos) << run.output;
  }
}

}  // namespace
