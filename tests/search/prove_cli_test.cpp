// `tatami prove` through the CLI binary with the scripted REPL double as the
// worker: result lines, proofs that use the axioms check, tree files, bad
// input, resumption (also after a torn last line and after Ctrl-C) and
// sharding.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::string kSwap = "p q : Prop\nh : p ∧ q\n⊢ q ∧ p";
const std::string kSplit = "p q : Prop\nhp : p\nhq : q\n⊢ q ∧ p";

class ProveCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tatami_prove_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    json graph = {
        {"theorems",
         {{{"statement", "theorem and_swap (p q : Prop) (h : p ∧ q) : q ∧ p"}, {"goal", kSwap}},
          {{"statement", "theorem cheat : 1 = 1"}, {"goal", "⊢ 1 = 1"}},
          {{"statement", "theorem stuck : 2 = 2"}, {"goal", "⊢ 2 = 2"}}}},
        {"states",
         {{{"goals", {kSwap}},
           {"tactics",
            {{"obtain ⟨hp, hq⟩ := h", {{"goals", {kSplit}}}},
             {"exact my_fake_premise", {{"error", "Unknown identifier `my_fake_premise`"}}}}}},
          {{"goals", {kSplit}}, {"tactics", {{"exact ⟨hq, hp⟩", {{"goals", json::array()}}}}}},
          {{"goals", {"⊢ 1 = 1"}},
           {"tactics",
            {{"trust_me", {{"goals", json::array()}, {"axioms", {"Lean.ofReduceBool"}}}}}}}}}};
    std::ofstream(dir_ / "graph.json") << graph.dump();
    json scripted = {{kSwap,
                      {{{"tactic", "exact foo"}, {"logprob", -0.1}},
                       {{"tactic", "obtain ⟨hp, hq⟩ := h"}, {"logprob", -0.5}}}},
                     {kSplit, {{{"tactic", "exact ⟨hq, hp⟩"}, {"logprob", -0.2}}}},
                     {"⊢ 1 = 1", {{{"tactic", "trust_me"}, {"logprob", -0.1}}}},
                     {"⊢ 2 = 2", json::array()}};
    std::ofstream(dir_ / "scripted.json") << scripted.dump();
    std::ofstream(dir_ / "in.jsonl")
        << json{{"name", "and_swap"},
                {"header", ""},
                {"formal_statement",
                 "theorem and_swap (p q : Prop) (h : p ∧ q) : q ∧ p := by sorry"},
                {"split", "ignored"}}
               .dump()
        << "\n"
        << json{{"name", "cheat"}, {"formal_statement", "theorem cheat : 1 = 1 := by sorry"}}.dump()
        << "\nnot json\n"
        << json{{"name", "stuck"}, {"formal_statement", "theorem stuck : 2 = 2"}}.dump() << "\n"
        << json{{"name", "unknown"}, {"formal_statement", "theorem unknown : 3 = 3"}}.dump()
        << "\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // `env` goes before the command (variables, or a wrapper such as
  // `timeout`), `double_args` after the REPL double's own.
  int Prove(const std::string& args, const std::string& env = "",
            const std::string& double_args = "") const {
    const std::string cmd =
        env + " '" + std::string(TATAMI_CLI) +
        "' prove --no-progress --generator 'scripted:" + (dir_ / "scripted.json").string() +
        "' --repl-cmd '" + std::string(TATAMI_REPL_DOUBLE) + " --script " +
        (dir_ / "graph.json").string() + double_args + "' " + args + " 2>'" +
        (dir_ / "stderr.txt").string() + "'";
    const int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  std::string Stderr() const {
    std::ifstream in(dir_ / "stderr.txt");
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  std::map<std::string, json> Results(const fs::path& p) const {
    std::ifstream in(p);
    std::map<std::string, json> out;
    for (std::string line; std::getline(in, line);) {
      json j = json::parse(line);
      out[j["name"].get<std::string>()] = j;
    }
    return out;
  }
  std::size_t LineCount(const fs::path& p) const {
    std::ifstream in(p);
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
  }

  fs::path dir_;
};

TEST_F(ProveCliTest, WritesOneResultPerTheoremAndReportsBadInput) {
  const fs::path out = dir_ / "out.jsonl";
  EXPECT_EQ(Prove("'" + (dir_ / "in.jsonl").string() + "' -o '" + out.string() + "' --tree-dir '" +
                  (dir_ / "trees").string() + "' --jobs 2"),
            1)
      << Stderr();  // the line that is not JSON
  EXPECT_NE(Stderr().find("in.jsonl:3: not valid JSON"), std::string::npos) << Stderr();
  auto r = Results(out);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r["and_swap"]["status"], "proved");
  EXPECT_EQ(r["and_swap"]["proof"], json({"obtain ⟨hp, hq⟩ := h", "exact ⟨hq, hp⟩"}));
  EXPECT_EQ(r["and_swap"]["expansions"], 2);
  EXPECT_EQ(r["and_swap"]["states"], 2);
  for (const char* key : {"generator_s", "lean_s", "total_s"})
    EXPECT_TRUE(r["and_swap"][key].is_number()) << key;
  // The only "proof" uses an axiom outside the allowed set: the check rejects it.
  EXPECT_EQ(r["cheat"]["status"], "failed");
  EXPECT_EQ(r["cheat"]["proof"], nullptr);
  EXPECT_EQ(r["stuck"]["status"], "failed");
  EXPECT_EQ(r["stuck"]["expansions"], 1);
  EXPECT_EQ(r["unknown"]["status"], "error");
  EXPECT_NE(r["unknown"]["error"].get<std::string>().find("unknown"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir_ / "trees" / "and_swap.json"));
  EXPECT_TRUE(fs::exists(dir_ / "trees" / "and_swap.dot"));
  const json tree = json::parse(std::ifstream(dir_ / "trees" / "and_swap.json"));
  EXPECT_EQ(tree["nodes"][0]["status"], "proved");
  EXPECT_NE(Stderr().find("proved 1 / 3"), std::string::npos) << Stderr();
}

TEST_F(ProveCliTest, ResumesAfterALimitAndATornLine) {
  const fs::path out = dir_ / "out.jsonl";
  const std::string in = "'" + (dir_ / "in.jsonl").string() + "' -o '" + out.string() + "'";
  Prove(in + " --limit 1");
  ASSERT_EQ(LineCount(out), 1u);
  std::ofstream(out, std::ios::app) << "{\"name\": \"torn";  // an interrupted write
  Prove(in);
  EXPECT_NE(Stderr().find("partial line"), std::string::npos) << Stderr();
  EXPECT_EQ(Results(out).size(), 4u);
  EXPECT_EQ(LineCount(out), 4u);
  Prove(in);
  EXPECT_EQ(LineCount(out), 4u);  // nothing searched twice
  EXPECT_NE(Stderr().find("4 already in the output"), std::string::npos) << Stderr();
}

TEST_F(ProveCliTest, CtrlCKeepsWhatIsWrittenAndExits130) {
  const fs::path out = dir_ / "out.jsonl";
  const std::string in = "'" + (dir_ / "in.jsonl").string() + "' -o '" + out.string() + "'";
  // Every answer takes 2 s, so Ctrl-C (after 1 s) comes while the first
  // search is still waiting for Lean: it stops without writing a result.
  // --foreground: otherwise timeout also signals its whole process group, and
  // tatami may see the one Ctrl-C twice ("interrupted again").
  EXPECT_EQ(Prove(in, "timeout --foreground --preserve-status -s INT 1", " --latency-ms 2000"), 130)
      << Stderr();
  EXPECT_NE(Stderr().find("interrupted; rerun with the same output file to resume"),
            std::string::npos)
      << Stderr();
  EXPECT_EQ(LineCount(out), 0u) << "an interrupted search is not written";
  // The handlers were restored and nothing is torn: a rerun finishes the job.
  EXPECT_EQ(Prove(in), 1) << Stderr();  // the line that is not JSON
  EXPECT_EQ(Results(out).size(), 4u);
}

TEST_F(ProveCliTest, ShardsSplitTheInputDeterministically) {
  const std::string in = "'" + (dir_ / "in.jsonl").string() + "'";
  std::set<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    const fs::path out = dir_ / ("shard" + std::to_string(i) + ".jsonl");
    Prove(in + " -o '" + out.string() + "' --shard " + std::to_string(i) + "/3");
    for (const auto& [name, line] : Results(out)) EXPECT_TRUE(seen.insert(name).second) << name;
  }
  EXPECT_EQ(seen.size(), 4u);
  // The same split from SLURM's array variables and from Kubernetes' index.
  const fs::path slurm = dir_ / "slurm.jsonl", k8s = dir_ / "k8s.jsonl";
  Prove(in + " -o '" + slurm.string() + "'", "SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=3");
  Prove(in + " -o '" + k8s.string() + "' --num-shards 3", "JOB_COMPLETION_INDEX=1");
  const auto shard1 = Results(dir_ / "shard1.jsonl");
  EXPECT_EQ(Results(slurm).size(), shard1.size());
  for (const auto& [name, line] : Results(slurm)) EXPECT_TRUE(shard1.count(name)) << name;
  for (const auto& [name, line] : Results(k8s)) EXPECT_TRUE(shard1.count(name)) << name;
  EXPECT_EQ(Prove(in + " --shard 3/3"), 2);
  EXPECT_NE(Stderr().find("shard 3 of 3 does not exist"), std::string::npos) << Stderr();
}

TEST_F(ProveCliTest, BadGeneratorSpecsAreClearErrors) {
  const std::string in = "'" + (dir_ / "in.jsonl").string() + "'";
  const std::string cmd = "'" + std::string(TATAMI_CLI) + "' prove " + in +
                          " --generator torchscript:model.pt 2>'" + (dir_ / "stderr.txt").string() +
                          "'";
  const int status = std::system(cmd.c_str());
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_NE(Stderr().find("generator model model.pt: no such file"), std::string::npos) << Stderr();
}

}  // namespace
