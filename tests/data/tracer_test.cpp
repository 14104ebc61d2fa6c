// Tracing a small project through the worker pool and the REPL test double,
// which answers each file's command with real Lean's recorded answer for that
// code (--replay-by-code): incremental re-runs, resumption, bad files.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "tatami/data/benchmark_json.h"
#include "tatami/data/tracer.h"

namespace tatami::data {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Spit(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

class TracerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TATAMI_REQUIRE_FIXTURES("repl-transcripts/file2.lean");
    root_ = fs::temp_directory_path() /
            ("tatami_tracer_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    project_ = root_ / "project";
    out_ = root_ / "out";
    const fs::path t = testing::FixturesDir() / "repl-transcripts";
    // Files whose text real Lean answered in the recordings.
    fs::create_directories(project_ / "Demo");
    fs::copy_file(t / "file.lean", project_ / "Demo/First.lean");
    fs::copy_file(t / "file2.lean", project_ / "Demo/Second.lean");
    Spit(project_ / "lean-toolchain", "leanprover/lean4:v4.33.0-rc2\n");
    nlohmann::json manifest = {{"recordings",
                                {{{"requests", (t / "file.in").string()},
                                  {"responses", (t / "file.expected.out").string()}},
                                 {{"requests", (t / "file2.in").string()},
                                  {"responses", (t / "file2.expected.out").string()}}}}};
    manifest_ = root_ / "manifest.json";
    Spit(manifest_, manifest.dump());
  }
  void TearDown() override {
    if (!root_.empty()) fs::remove_all(root_);
  }

  dojo::WorkerPoolOptions Pool(std::vector<std::string> extra = {}) const {
    dojo::WorkerPoolOptions o;
    o.repl_command = {testing::ReplDoublePath().string(), "--replay-by-code", manifest_.string()};
    for (auto& e : extra) o.repl_command.push_back(e);
    o.workers = 2;
    o.request_timeout = std::chrono::seconds(30);
    return o;
  }
  TraceSummary Trace(const dojo::WorkerPoolOptions& pool_options) const {
    dojo::WorkerPool pool(pool_options);
    TraceOptions o;
    o.project = project_;
    o.output = out_;
    o.url = "https://example.org/demo";
    o.commit = "0123abc";
    return TraceProject(pool, o);
  }

  fs::path root_, project_, out_, manifest_;
};

TEST_F(TracerTest, WritesTheDatasetFiles) {
  const TraceSummary s = Trace(Pool());
  EXPECT_EQ(s.files, 2u);
  EXPECT_EQ(s.traced, 2u);
  EXPECT_EQ(s.failed, 0u) << (s.failures.empty() ? "" : s.failures[0]);
  const auto theorems = ReadTheoremList((out_ / "theorems.json").string());
  ASSERT_EQ(theorems.size(), 3u);  // h (First), h1 and h (Second)
  EXPECT_EQ(theorems[0].file_path, "Demo/First.lean");
  EXPECT_EQ(theorems[0].url, "https://example.org/demo");
  ASSERT_EQ(theorems[0].traced_tactics.size(), 1u);
  EXPECT_EQ(theorems[0].traced_tactics[0].tactic, "exact rfl");
  EXPECT_EQ(theorems[0].traced_tactics[0].state_before, "⊢ f + g = 39");
  // rfl is used, but defined outside the project: not annotated.
  EXPECT_EQ(theorems[0].traced_tactics[0].annotated_tactic, "exact rfl");
  const auto& rw = theorems[2].traced_tactics.at(0);
  EXPECT_EQ(rw.annotated_tactic, "rw [Nat.add_assoc, Nat.add_comm y, <a>h1</a>]");
  EXPECT_EQ(rw.premises.at(0).def_path, "Demo/Second.lean");

  std::istringstream corpus(Slurp(out_ / "corpus.jsonl"));
  std::string line;
  std::vector<CorpusFile> files;
  while (std::getline(corpus, line))
    files.push_back(CorpusFileFromJson(nlohmann::json::parse(line), "corpus"));
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].path, "Demo/First.lean");
  ASSERT_EQ(files[0].premises.size(), 3u);
  EXPECT_EQ(files[0].premises[0].full_name, "f");
  EXPECT_EQ(files[0].premises[0].kind, "def");
  EXPECT_EQ(Slurp(out_ / "traced_files.jsonl"),
            "{\"traced_file_path\": \"Demo/First.lean\"}\n{\"traced_file_path\": "
            "\"Demo/Second.lean\"}\n");
  const DatasetMetadata m =
      MetadataFromJson(nlohmann::json::parse(Slurp(out_ / "metadata.json")), "metadata");
  EXPECT_EQ(m.toolchain, "leanprover/lean4:v4.33.0-rc2");
  EXPECT_EQ(m.commit, "0123abc");
}

// --locate-premises sends one more request per file (the Lean helper, on the
// file's imports plus `import Lean`). The double has no recording for it and
// says so: the premises stay where the project places them, nothing fails.
TEST_F(TracerTest, PremiseLocatingRequestThatFailsCostsNothing) {
  dojo::WorkerPool pool(Pool());
  TraceOptions o;
  o.project = project_;
  o.output = out_;
  o.locate_premises = true;
  const TraceSummary s = TraceProject(pool, o);
  EXPECT_EQ(s.traced, 2u);
  EXPECT_EQ(s.failed, 0u);
  const auto theorems = ReadTheoremList((out_ / "theorems.json").string());
  ASSERT_EQ(theorems.size(), 3u);
  EXPECT_EQ(theorems[2].traced_tactics.at(0).annotated_tactic,
            "rw [Nat.add_assoc, Nat.add_comm y, <a>h1</a>]");
  // Both files used constants from outside the project (rfl, Nat.add_assoc, ...).
  EXPECT_GE(pool.stats().requests, 4u);
}

TEST_F(TracerTest, UnchangedFilesAreNotTracedAgain) {
  ASSERT_EQ(Trace(Pool()).traced, 2u);
  const std::string first = Slurp(out_ / "theorems.json");
  TraceSummary again = Trace(Pool());
  EXPECT_EQ(again.cached, 2u);
  EXPECT_EQ(again.traced, 0u);
  EXPECT_EQ(Slurp(out_ / "theorems.json"), first);
  // A changed toolchain invalidates every file.
  Spit(project_ / "lean-toolchain", "leanprover/lean4:v4.19.0\n");
  EXPECT_EQ(Trace(Pool()).traced, 2u);
}

TEST_F(TracerTest, AChangedFileIsTracedAgainAndABadOneIsReported) {
  ASSERT_EQ(Trace(Pool()).traced, 2u);
  // No recording answers this text: the double says so, the file fails, the rest stays.
  Spit(project_ / "Demo/First.lean", Slurp(project_ / "Demo/First.lean") + "\n-- edited\n");
  const TraceSummary s = Trace(Pool());
  EXPECT_EQ(s.cached, 1u);
  EXPECT_EQ(s.failed, 1u);
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_NE(s.failures[0].find("Demo/First.lean: the REPL answered with an error"),
            std::string::npos)
      << s.failures[0];
  const auto theorems = ReadTheoremList((out_ / "theorems.json").string());
  ASSERT_EQ(theorems.size(), 2u);
  EXPECT_EQ(theorems[0].file_path, "Demo/Second.lean");
}

TEST_F(TracerTest, ACrashingWorkerFailsOnlyItsFile) {
  auto options = Pool({"--crash-on", "2"});
  options.workers = 1;  // one process: its 2nd request is the 2nd file
  const TraceSummary s = Trace(options);
  EXPECT_EQ(s.traced, 1u);
  EXPECT_EQ(s.failed, 1u);
  // The failed file is traced on the next run; the other is kept.
  const TraceSummary again = Trace(Pool());
  EXPECT_EQ(again.cached, 1u);
  EXPECT_EQ(again.traced, 1u);
  EXPECT_EQ(ReadTheoremList((out_ / "theorems.json").string()).size(), 3u);
}

TEST_F(TracerTest, ResumesAfterAKillMidWrite) {
  ASSERT_EQ(Trace(Pool()).traced, 2u);
  // What a kill can leave: a result never renamed into place (a stray
  // temporary) and a file whose result is missing.
  fs::remove(out_ / "files/Demo/Second.lean.trace");
  Spit(out_ / "files/Demo/Second.lean.trace.tmp.1", "{\"key\": \"x\", \"status\": \"o");
  const TraceSummary s = Trace(Pool());
  EXPECT_EQ(s.cached, 1u);
  EXPECT_EQ(s.traced, 1u);
  EXPECT_EQ(ReadTheoremList((out_ / "theorems.json").string()).size(), 3u);
}

}  // namespace
}  // namespace tatami::data

namespace tatami::data {
namespace {

// The command line: exit codes and messages.
int RunCli(const std::string& args, std::string* err) {
  const fs::path log =
      fs::temp_directory_path() / ("tatami_trace_cli_" + std::to_string(::getpid()));
  const int status =
      std::system((std::string(TATAMI_CLI) + " " + args + " 2>" + log.string()).c_str());
  *err = Slurp(log);
  fs::remove(log);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(TracerTest, CommandLineTracesAndReportsBadInput) {
  std::string err;
  const std::string repl = "--repl-cmd '" + testing::ReplDoublePath().string() +
                           " --replay-by-code " + manifest_.string() + "'";
  EXPECT_EQ(
      RunCli("trace " + project_.string() + " -o " + out_.string() + " " + repl + " --no-progress",
             &err),
      0)
      << err;
  EXPECT_NE(err.find("2 files: 2 traced, 0 unchanged, 0 failed; 3 theorems"), std::string::npos)
      << err;
  // A target that names no file: exit 2, naming it.
  EXPECT_EQ(
      RunCli("trace " + project_.string() + " Demo.Missing -o " + out_.string() + " " + repl, &err),
      2);
  EXPECT_NE(err.find("Demo.Missing"), std::string::npos) << err;
  EXPECT_EQ(RunCli("trace --help", &err), 0);
}

}  // namespace
}  // namespace tatami::data
