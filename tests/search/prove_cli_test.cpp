// `tatami prove` through the CLI binary with the scripted REPL double as the
// worker: result lines, proofs that use the axioms check, tree files, bad
// input, resumption (also after a torn last line and after Ctrl-C) and
// sharding.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

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
  // Every line has every field, an error's too.
  for (const auto& [name, line] : r) {
    for (const char* key : {"proof", "expansions", "states", "generator_s", "lean_s", "total_s",
                            "generator", "statement_hash", "settings"})
      EXPECT_TRUE(line.contains(key)) << name << " lacks " << key;
    EXPECT_EQ(line.contains("tree"), name != "unknown") << name;  // no search, no tree
  }
  EXPECT_EQ(r["unknown"]["expansions"], 0);
  EXPECT_EQ(r["and_swap"]["tree"], "and_swap");
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

// The failure leaves at the root of a tree file, by tactic: their "failure"
// objects, each with the leaf's "text" added under "text".
std::map<std::string, json> RootFailures(const fs::path& tree_file) {
  const json tree = json::parse(std::ifstream(tree_file));
  std::map<std::string, json> out;
  for (const json& e : tree["edges"]) {
    const json& leaf = tree["nodes"][e["dst"].get<std::size_t>()];
    if (e["src"] != 0 || leaf["kind"] != "failure") continue;
    json f = leaf.value("failure", json(nullptr));
    if (f.is_object()) f["text"] = leaf["text"];
    out[e["tactic"].get<std::string>()] = f;
  }
  return out;
}

// Each failure kind the Dojo tells apart, as the REPL double produces it:
// Lean's messages are the graph's recorded texts, the others the Dojo's words.
TEST_F(ProveCliTest, TreesNameTheKindAndMessageOfEachFailure) {
  const std::string long_tactic = "exact " + std::string(5000, 'a');  // over 4096 bytes
  json scripted = {{kSwap,
                    {{{"tactic", "exact foo"}, {"logprob", -0.1}},
                     {{"tactic", "exact my_fake_premise"}, {"logprob", -0.2}},
                     {{"tactic", "sorry"}, {"logprob", -0.3}},
                     {{"tactic", long_tactic}, {"logprob", -0.4}},
                     {{"tactic", "obtain ⟨hp, hq⟩ := h"}, {"logprob", -0.5}}}},
                   {kSplit, {{{"tactic", "exact ⟨hq, hp⟩"}, {"logprob", -0.2}}}},
                   {"⊢ 1 = 1", {{{"tactic", "trust_me"}, {"logprob", -0.1}}}},
                   {"⊢ 2 = 2", {{{"tactic", "rfl"}, {"logprob", -0.1}}}}};
  std::ofstream(dir_ / "scripted.json") << scripted.dump();
  std::ofstream(dir_ / "two.jsonl")
      << json{{"name", "and_swap"},
              {"formal_statement", "theorem and_swap (p q : Prop) (h : p ∧ q) : q ∧ p := by sorry"}}
             .dump()
      << "\n"
      << json{{"name", "cheat"}, {"formal_statement", "theorem cheat : 1 = 1 := by sorry"}}.dump()
      << "\n";
  std::ofstream(dir_ / "stuck.jsonl")
      << json{{"name", "stuck"}, {"formal_statement", "theorem stuck : 2 = 2 := by sorry"}}.dump()
      << "\n";
  const auto run = [&](const std::string& input, const std::string& name, const std::string& extra,
                       const std::string& double_args) {
    const fs::path trees = dir_ / ("trees_" + name);
    EXPECT_EQ(Prove("'" + (dir_ / input).string() + "' -o '" + (dir_ / (name + ".jsonl")).string() +
                        "' --tree-dir '" + trees.string() + "'" + extra,
                    "", double_args),
              0)
        << Stderr();
    return trees;
  };

  const fs::path trees = run("two.jsonl", "plain", "", "");
  auto swap = RootFailures(trees / "and_swap.json");
  ASSERT_EQ(swap.size(), 4u);
  EXPECT_EQ(swap["exact foo"]["kind"], "tactic_error");
  EXPECT_EQ(swap["exact foo"]["message"], "<input>:1:1: unknown tactic");
  EXPECT_EQ(swap["exact my_fake_premise"]["kind"], "tactic_error");
  EXPECT_EQ(swap["exact my_fake_premise"]["message"], "Unknown identifier `my_fake_premise`");
  EXPECT_EQ(swap["sorry"]["kind"], "given_up");
  EXPECT_EQ(swap["sorry"]["message"], "");
  EXPECT_EQ(swap[long_tactic]["kind"], "tactic_too_long");
  EXPECT_NE(swap[long_tactic]["message"].get<std::string>().find("5006 bytes"), std::string::npos)
      << swap[long_tactic];
  auto cheat = RootFailures(trees / "cheat.json");
  ASSERT_EQ(cheat.size(), 1u);
  EXPECT_EQ(cheat["trust_me"]["kind"], "proof_rejected");
  EXPECT_NE(cheat["trust_me"]["message"].get<std::string>().find("Lean.ofReduceBool"),
            std::string::npos)
      << cheat["trust_me"];
  // The one-line text stays, and a message, when there is one, is in it.
  for (const auto* failures : {&swap, &cheat})
    for (const auto& [tactic, f] : *failures) {
      EXPECT_NE(f["text"].get<std::string>().find(f["message"].get<std::string>()),
                std::string::npos)
          << f;
      EXPECT_FALSE(f["text"].get<std::string>().empty()) << tactic;
    }

  // Request 1 enters the theorem, request 2 is the tactic: every worker
  // started dies on it, or never answers it.
  auto crashed = RootFailures(run("stuck.jsonl", "crash", "", " --crash-on 2") / "stuck.json");
  ASSERT_EQ(crashed.size(), 1u);
  EXPECT_EQ(crashed["rfl"]["kind"], "worker_failure");
  EXPECT_NE(crashed["rfl"]["message"].get<std::string>().find("kept failing"), std::string::npos)
      << crashed["rfl"];
  auto hung = RootFailures(run("stuck.jsonl", "hang", " --tactic-timeout 1s", " --hang-on 2") /
                           "stuck.json");
  ASSERT_EQ(hung.size(), 1u);
  EXPECT_EQ(hung["rfl"]["kind"], "timeout");
  EXPECT_EQ(hung["rfl"]["message"], "");
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

TEST_F(ProveCliTest, NegativeCountsAreClearErrors) {
  // An unsigned option would otherwise take -1 as its largest value.
  for (const std::string flag :
       {"--jobs", "--batch-size", "--speculation-depth", "--max-expansions", "--limit"}) {
    SCOPED_TRACE(flag);
    const std::string cmd = "'" + std::string(TATAMI_CLI) + "' prove '" +
                            (dir_ / "in.jsonl").string() + "' " + flag + " -1 2>'" +
                            (dir_ / "stderr.txt").string() + "'";
    const int status = std::system(cmd.c_str());
    EXPECT_NE(WEXITSTATUS(status), 0);
    EXPECT_NE(Stderr().find(flag), std::string::npos) << Stderr();
    EXPECT_FALSE(fs::exists(dir_ / "in.out.jsonl"));
  }
}

// When no worker can be started, nothing is Lean's verdict on a theorem:
// the run stops with exit code 1, writes no line, and a rerun with a working
// Lean searches every theorem.
TEST_F(ProveCliTest, NoLeanStopsTheRunAndWritesNothing) {
  const fs::path out = dir_ / "out.jsonl";
  const std::string cmd = "'" + std::string(TATAMI_CLI) + "' prove --no-progress '" +
                          (dir_ / "in.jsonl").string() + "' -o '" + out.string() +
                          "' --repl-cmd /nonexistent/repl 2>'" + (dir_ / "stderr.txt").string() +
                          "'";
  const int status = std::system(cmd.c_str());
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_NE(Stderr().find("/nonexistent/repl"), std::string::npos) << Stderr();
  EXPECT_EQ(LineCount(out), 0u);
  EXPECT_EQ(Prove("'" + (dir_ / "in.jsonl").string() + "' -o '" + out.string() + "'"), 1)
      << Stderr();  // the line that is not JSON
  EXPECT_EQ(Results(out).size(), 4u);
}

// ProveNet-like input: a name used by two statements (both searched, each
// with its own tree file), and the same theorem twice (searched once).
TEST_F(ProveCliTest, TheoremsSharingANameAreEachSearched) {
  std::ofstream(dir_ / "dup.jsonl")
      << json{{"name", "dup"},
              {"formal_statement", "theorem and_swap (p q : Prop) (h : p ∧ q) : q ∧ p := by sorry"}}
             .dump()
      << "\n"
      << json{{"name", "dup"}, {"formal_statement", "theorem stuck : 2 = 2"}}.dump() << "\n"
      << json{{"name", "dup"}, {"formal_statement", "theorem stuck : 2 = 2"}}.dump() << "\n";
  const fs::path out = dir_ / "out.jsonl", trees = dir_ / "trees";
  const std::string args = "'" + (dir_ / "dup.jsonl").string() + "' -o '" + out.string() +
                           "' --tree-dir '" + trees.string() + "'";
  EXPECT_EQ(Prove(args), 0) << Stderr();
  EXPECT_NE(Stderr().find("dup.jsonl:3: theorem dup appears again"), std::string::npos) << Stderr();
  std::ifstream in(out);
  std::map<std::string, json> by_status;
  for (std::string line; std::getline(in, line);) {
    const json j = json::parse(line);
    by_status[j["status"]] = j;
  }
  ASSERT_EQ(by_status.size(), 2u);
  ASSERT_TRUE(by_status.count("proved") && by_status.count("failed"));
  const std::string a = by_status["proved"]["tree"], b = by_status["failed"]["tree"];
  EXPECT_NE(a, b);
  EXPECT_NE(by_status["proved"]["statement_hash"], by_status["failed"]["statement_hash"]);
  const json proved_tree = json::parse(std::ifstream(trees / (a + ".json")));
  EXPECT_EQ(proved_tree["nodes"][0]["status"], "proved");
  const json failed_tree = json::parse(std::ifstream(trees / (b + ".json")));
  EXPECT_EQ(failed_tree["nodes"][0]["status"], "failed");
  // Both are known to a rerun, which searches nothing.
  EXPECT_EQ(Prove(args), 0) << Stderr();
  EXPECT_EQ(LineCount(out), 2u);
  EXPECT_NE(Stderr().find("2 already in the output"), std::string::npos) << Stderr();
  // Results of another generator are kept, with a warning.
  std::ofstream(dir_ / "other.json") << json{{kSwap, json::array()}}.dump();
  const std::string other = "'" + std::string(TATAMI_CLI) + "' prove --no-progress " + args +
                            " --generator 'scripted:" + (dir_ / "other.json").string() + "' 2>'" +
                            (dir_ / "stderr.txt").string() + "'";
  EXPECT_EQ(WEXITSTATUS(std::system(other.c_str())), 0);
  EXPECT_NE(Stderr().find("holds results of another generator"), std::string::npos) << Stderr();
  EXPECT_EQ(LineCount(out), 2u);
  // And of other limits.
  EXPECT_EQ(Prove(args + " --max-expansions 7"), 0) << Stderr();
  EXPECT_NE(Stderr().find("searched with other settings"), std::string::npos) << Stderr();
  EXPECT_NE(Stderr().find("\"max_expansions\":7"), std::string::npos) << Stderr();
  EXPECT_EQ(LineCount(out), 2u);
}

// A second Ctrl-C (or SIGTERM) ends the run at once, and its Lean workers
// with it: they are in process groups of their own, which the terminal's
// signal misses. (SIGINT then SIGTERM: two SIGINTs sent at once may arrive
// as one.)
TEST_F(ProveCliTest, ASecondInterruptKillsTheWorkers) {
  const fs::path pid_file = dir_ / "double.pid";
  // The worker records its pid, then answers every request after 30 s.
  const fs::path wrapper = dir_ / "double.sh";
  std::ofstream(wrapper) << "#!/bin/sh\necho $$ > '" << pid_file.string() << "'\nexec '"
                         << TATAMI_REPL_DOUBLE << "' --script '" << (dir_ / "graph.json").string()
                         << "' --latency-ms 30000\n";
  fs::permissions(wrapper, fs::perms::owner_all);
  const std::string cmd =
      "'" + std::string(TATAMI_CLI) + "' prove --no-progress '" + (dir_ / "in.jsonl").string() +
      "' -o '" + (dir_ / "out.jsonl").string() +
      "' --generator 'scripted:" + (dir_ / "scripted.json").string() + "' --repl-cmd '" +
      wrapper.string() + "' 2>'" + (dir_ / "stderr.txt").string() + "' & p=$!; while [ ! -s '" +
      pid_file.string() + "' ]; do sleep 0.05; done; kill -INT $p; kill -TERM $p; wait $p";
  const int status = std::system(cmd.c_str());
  EXPECT_EQ(WEXITSTATUS(status), 130) << Stderr();
  EXPECT_NE(Stderr().find("interrupted again"), std::string::npos) << Stderr();
  int pid = 0;
  std::ifstream(pid_file) >> pid;
  ASSERT_GT(pid, 0);
  // Killed: gone, or a zombie waiting for whoever adopted it.
  auto alive = [pid] {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(stat, text)) return false;
    const std::size_t close = text.rfind(')');
    return close != std::string::npos && close + 2 < text.size() && text[close + 2] != 'Z';
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (alive() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_FALSE(alive()) << "worker " << pid << " outlived tatami";
  if (alive()) ::kill(pid, SIGKILL);
}

TEST_F(ProveCliTest, OutputToAPipeIsWrittenNotRead) {
  const fs::path copy = dir_ / "copy.jsonl";
  const std::string cmd =
      "timeout 120 '" + std::string(TATAMI_CLI) + "' prove --no-progress '" +
      (dir_ / "in.jsonl").string() +
      "' -o /dev/stdout --generator 'scripted:" + (dir_ / "scripted.json").string() +
      "' --repl-cmd '" + std::string(TATAMI_REPL_DOUBLE) + " --script " +
      (dir_ / "graph.json").string() + "' 2>'" + (dir_ / "stderr.txt").string() + "' | cat > '" +
      copy.string() + "'";
  std::system(cmd.c_str());
  EXPECT_EQ(LineCount(copy), 4u) << Stderr();
}

TEST_F(ProveCliTest, TheoremFlagsAndNamesThatPickNothingAreInputErrors) {
  std::ofstream(dir_ / "a.lean") << "theorem a_true : True := trivial\n";
  EXPECT_EQ(Prove("'" + (dir_ / "a.lean").string() + "' --theorem no_such_theorem"), 2);
  EXPECT_NE(Stderr().find("--theorem no_such_theorem: no such theorem"), std::string::npos)
      << Stderr();
  EXPECT_EQ(Prove("'" + (dir_ / "in.jsonl").string() + "' --theorem and_swap"), 2);
  EXPECT_NE(Stderr().find("there is none"), std::string::npos) << Stderr();
  std::ofstream(dir_ / "empty_name.jsonl")
      << json{{"name", ""}, {"formal_statement", "theorem stuck : 2 = 2"}}.dump() << "\n";
  EXPECT_EQ(Prove("'" + (dir_ / "empty_name.jsonl").string() + "' -o '" +
                  (dir_ / "o.jsonl").string() + "'"),
            1);
  EXPECT_NE(Stderr().find("empty_name.jsonl:1: \"name\" is empty"), std::string::npos) << Stderr();
  EXPECT_EQ(LineCount(dir_ / "o.jsonl"), 0u);
}

// An array --array=1-5:2 has the ids 1, 3, 5: id 5 is shard 2 of 3. An array
// given as a list has no shard numbers.
TEST_F(ProveCliTest, SlurmArraysWithAStepShardByPosition) {
  const std::string in = "'" + (dir_ / "in.jsonl").string() + "'";
  const fs::path flag = dir_ / "flag.jsonl", slurm = dir_ / "slurm.jsonl";
  Prove(in + " -o '" + flag.string() + "' --shard 2/3");
  Prove(in + " -o '" + slurm.string() + "'",
        "SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_COUNT=3 SLURM_ARRAY_TASK_MIN=1 "
        "SLURM_ARRAY_TASK_MAX=5 SLURM_ARRAY_TASK_STEP=2");
  ASSERT_GT(LineCount(flag), 0u);
  EXPECT_EQ(Results(slurm).size(), Results(flag).size());
  for (const auto& [name, line] : Results(flag)) EXPECT_TRUE(Results(slurm).count(name)) << name;
  EXPECT_EQ(Prove(in,
                  "SLURM_ARRAY_TASK_ID=4 SLURM_ARRAY_TASK_COUNT=3 SLURM_ARRAY_TASK_MIN=1 "
                  "SLURM_ARRAY_TASK_MAX=9"),
            2);
  EXPECT_NE(Stderr().find("give each task its shard with --shard"), std::string::npos) << Stderr();
}

// "Unlimited" said as a huge or infinite number of seconds.
TEST_F(ProveCliTest, AnInfiniteTimeoutIsNoLimit) {
  for (const std::string t : {"inf", "1e17"}) {
    const fs::path out = dir_ / ("t" + t + ".jsonl");
    Prove("'" + (dir_ / "in.jsonl").string() + "' -o '" + out.string() + "' --timeout " + t);
    EXPECT_EQ(Results(out)["and_swap"]["status"], "proved") << t;
  }
}

}  // namespace
