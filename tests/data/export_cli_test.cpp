// `tatami data export` through the CLI binary, on search trees that
// `tatami prove` wrote against the scripted REPL double: a hand-made graph
// (rows, provenance, deduplication) and random graphs from
// tests/search/random_graphs.py (every row checked against its tree).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::string kRoot = "x : Nat\n⊢ x + 0 = x";
const std::string kMid = "x : Nat\n⊢ x = x";
// Recorded Lean texts (lean-messages/tactic_failures.jsonl, unknown_names.jsonl).
const std::string kNoProgress = "simp made no progress";

class ExportCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tatami_export_cli_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static int System(const std::string& cmd) {
    const int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  int Prove(const std::string& theorems, const std::string& out, const std::string& trees) const {
    return System("'" + std::string(TATAMI_CLI) + "' prove --no-progress --generator 'scripted:" +
                  (dir_ / "scripted.json").string() + "' --repl-cmd '" +
                  std::string(TATAMI_REPL_DOUBLE) + " --script " + (dir_ / "graph.json").string() +
                  "' '" + theorems + "' -o '" + out + "' --tree-dir '" + trees + "' 2>'" +
                  (dir_ / "prove_stderr.txt").string() + "'");
  }
  int Export(const std::string& args) const {
    return System("'" + std::string(TATAMI_CLI) + "' data export " + args + " >'" +
                  (dir_ / "stdout.txt").string() + "' 2>'" + (dir_ / "stderr.txt").string() + "'");
  }
  std::string Read(const fs::path& p) const {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  std::string Stderr() const { return Read(dir_ / "stderr.txt"); }
  std::vector<json> Lines(const fs::path& p) const {
    std::vector<json> out;
    std::ifstream in(p);
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
    return out;
  }
  std::string P(const std::string& name) const { return (dir_ / name).string(); }

  // Two theorems with the same start state (so the same rows) and one that
  // cannot be proved.
  void WriteSmallGraph() {
    const json graph = {
        {"theorems",
         {{{"statement", "theorem t1 (x : Nat) : x + 0 = x"}, {"goal", kRoot}},
          {{"statement", "theorem t2 (x : Nat) : x + 0 = x"}, {"goal", kRoot}},
          {{"statement", "theorem stuck : 2 = 2"}, {"goal", "⊢ 2 = 2"}}}},
        {"states",
         {{{"goals", {kRoot}},
           {"tactics",
            {{"simp", {{"error", kNoProgress}, {"shape", "messages"}}},
             {"exat 42", {{"error", "<input>:1:1: unknown tactic"}, {"shape", "exception"}}},
             {"induction x", {{"goals", {kMid}}}}}}},
          {{"goals", {kMid}},
           {"tactics",
            {{"simp", {{"error", kNoProgress}, {"shape", "messages"}}},
             {"rfl", {{"goals", json::array()}}}}}}}}};
    std::ofstream(dir_ / "graph.json") << graph.dump();
    const json scripted = {
        {kRoot,
         {{{"tactic", "simp"}, {"logprob", -0.1}},
          {{"tactic", "exat 42"}, {"logprob", -0.2}},
          {{"tactic", "induction x"}, {"logprob", -0.5}}}},
        {kMid, {{{"tactic", "simp"}, {"logprob", -0.1}}, {{"tactic", "rfl"}, {"logprob", -0.3}}}},
        {"⊢ 2 = 2", json::array()}};
    std::ofstream(dir_ / "scripted.json") << scripted.dump();
    std::ofstream(dir_ / "in.jsonl")
        << json{{"name", "Nat.t1'"},
                {"formal_statement", "theorem t1 (x : Nat) : x + 0 = x := by sorry"}}
               .dump()
        << "\n"
        << json{{"name", "t2"},
                {"formal_statement", "theorem t2 (x : Nat) : x + 0 = x := by sorry"}}
               .dump()
        << "\n"
        << json{{"name", "stuck"}, {"formal_statement", "theorem stuck : 2 = 2 := by sorry"}}.dump()
        << "\n";
  }

  fs::path dir_;
};

TEST_F(ExportCliTest, RowsAlongTheProofWithProvenanceEachOnce) {
  WriteSmallGraph();
  ASSERT_EQ(Prove(P("in.jsonl"), P("run.jsonl"), P("trees")), 0) << Read(dir_ / "prove_stderr.txt");
  ASSERT_EQ(
      Export("'" + P("run.jsonl") + "' --tree-dir '" + P("trees") + "' -o '" + P("out") + "'"), 0)
      << Stderr();
  const auto tactics = Lines(dir_ / "out" / "tactics.jsonl");
  ASSERT_EQ(tactics.size(), 2u);  // t2's identical rows are dropped
  EXPECT_EQ(tactics[0]["state"], kRoot);
  EXPECT_EQ(tactics[0]["tactic"], "induction x");
  EXPECT_EQ(tactics[1]["state"], kMid);
  EXPECT_EQ(tactics[1]["tactic"], "rfl");
  const json& src = tactics[0]["source"];
  EXPECT_EQ(src["run"], P("run.jsonl"));
  EXPECT_EQ(src["theorem"], "Nat.t1'");
  EXPECT_EQ(src["tree"], (dir_ / "trees" / "Nat.t1%27.json").string());  // prove's file name
  const json tree = json::parse(Read(dir_ / "trees" / "Nat.t1%27.json"));
  for (const json& row : tactics) {
    const json& e = tree["edges"][row["source"]["edge"].get<std::size_t>()];
    EXPECT_EQ(e["src"], row["source"]["node"]);
    EXPECT_EQ(e["dst"], row["source"]["next"]);
    EXPECT_EQ(e["tactic"], row["tactic"]);
  }
  const std::size_t line = tactics[0]["source"]["line"];
  EXPECT_EQ(Lines(dir_ / "run.jsonl")[line - 1]["name"], "Nat.t1'");

  const auto prefs = Lines(dir_ / "out" / "preferences.jsonl");
  ASSERT_EQ(prefs.size(), 3u);
  std::set<std::pair<std::string, std::string>> got;
  for (const json& p : prefs) {
    got.insert({p["chosen"].get<std::string>(), p["rejected"].get<std::string>()});
    const json& rejected = tree["edges"][p["source"]["rejected_edge"].get<std::size_t>()];
    EXPECT_EQ(rejected["tactic"], p["rejected"]);
    EXPECT_EQ(rejected["src"], p["source"]["node"]);
    const std::string leaf = tree["nodes"][rejected["dst"].get<std::size_t>()]["text"];
    EXPECT_NE(leaf.find(p["message"].get<std::string>()), std::string::npos);
    if (p["rejected"] == "simp")
      EXPECT_NE(p["message"].get<std::string>().find(kNoProgress), std::string::npos) << p;
    else
      EXPECT_NE(p["message"].get<std::string>().find("unknown tactic"), std::string::npos) << p;
  }
  EXPECT_EQ(got, (std::set<std::pair<std::string, std::string>>{
                     {"induction x", "simp"}, {"induction x", "exat 42"}, {"rfl", "simp"}}));
  EXPECT_NE(Stderr().find("3 results, 2 proofs exported; 2 tactic rows (2 duplicates dropped), 3 "
                          "preference rows (3 duplicates dropped); 0 problems"),
            std::string::npos)
      << Stderr();

  // The same run given twice: nothing new.
  ASSERT_EQ(Export("'" + P("run.jsonl") + "' '" + P("run.jsonl") + "' --tree-dir '" + P("trees") +
                   "' -o '" + P("out2") + "'"),
            0);
  EXPECT_EQ(Read(dir_ / "out2" / "tactics.jsonl"), Read(dir_ / "out" / "tactics.jsonl"));
  EXPECT_EQ(Read(dir_ / "out2" / "preferences.jsonl"), Read(dir_ / "out" / "preferences.jsonl"));
}

TEST_F(ExportCliTest, BadInputIsReportedWithFileAndLine) {
  WriteSmallGraph();
  ASSERT_EQ(Prove(P("in.jsonl"), P("run.jsonl"), P("trees")), 0);
  std::string run = Read(dir_ / "run.jsonl");
  std::ofstream(dir_ / "bad.jsonl") << run << "not json\n"
                                    << R"({"name": 3})"
                                    << "\n"
                                    << R"({"name": "ghost", "status": "proved", "proof": ["rfl"]})"
                                    << "\n";
  EXPECT_EQ(
      Export("'" + P("bad.jsonl") + "' --tree-dir '" + P("trees") + "' -o '" + P("out") + "'"), 1);
  EXPECT_NE(Stderr().find("bad.jsonl:4: not a JSON object"), std::string::npos) << Stderr();
  EXPECT_NE(Stderr().find("bad.jsonl:5: needs string fields \"name\" and \"status\""),
            std::string::npos)
      << Stderr();
  EXPECT_NE(Stderr().find("bad.jsonl:6: theorem ghost was proved but its tree"), std::string::npos)
      << Stderr();
  // What could be read is still exported.
  EXPECT_EQ(Lines(dir_ / "out" / "tactics.jsonl").size(), 2u);

  // A tree that does not hold the reported proof.
  std::ofstream(dir_ / "trees" / "t2.json") << R"({"nodes": [], "edges": []})";
  EXPECT_EQ(
      Export("'" + P("run.jsonl") + "' --tree-dir '" + P("trees") + "' -o '" + P("out") + "'"), 1);
  EXPECT_NE(Stderr().find("t2.json: the tree has no nodes (theorem t2, " + P("run.jsonl") + ":2)"),
            std::string::npos)
      << Stderr();

  EXPECT_EQ(
      Export("'" + P("run.jsonl") + "' --tree-dir '" + P("nowhere") + "' -o '" + P("out") + "'"),
      2);
  EXPECT_NE(Stderr().find("nowhere: not a directory"), std::string::npos) << Stderr();
  EXPECT_EQ(
      Export("'" + P("missing.jsonl") + "' --tree-dir '" + P("trees") + "' -o '" + P("out") + "'"),
      1);
  EXPECT_NE(Stderr().find("cannot read " + P("missing.jsonl")), std::string::npos) << Stderr();
  EXPECT_EQ(Export("'" + P("run.jsonl") + "' '" + P("run.jsonl") +
                   "' --tree-dir a --tree-dir b --tree-dir c -o x"),
            2);
  EXPECT_NE(Stderr().find("one per file (2 files, 3 tree directories)"), std::string::npos)
      << Stderr();
  EXPECT_EQ(Export("--help"), 0);
  EXPECT_NE(Read(dir_ / "stdout.txt").find("--tree-dir"), std::string::npos);
}

// Random graphs: merges, cycles, dead ends, both error shapes. Every row is
// checked against its tree: tactic rows are exactly the reported proofs (each
// theorem's states are its own, so nothing is dropped), preference rows
// exactly the Lean rejections at the proofs' states.
TEST_F(ExportCliTest, RandomGraphsEveryRowMatchesItsTree) {
  if (System("python3 -c 'import json' 2>/dev/null") != 0) GTEST_SKIP() << "python3 not found";
  const std::string make = "python3 -c \"import sys; sys.path.insert(0, '" +
                           std::string(TATAMI_SOURCE_DIR) +
                           "/tests/search'); import random_graphs; random_graphs.write('" +
                           dir_.string() + "', 11, theorems=30)\"";
  ASSERT_EQ(System(make), 0);
  Prove(P("theorems.jsonl"), P("run.jsonl"), P("trees"));
  ASSERT_EQ(
      Export("'" + P("run.jsonl") + "' --tree-dir '" + P("trees") + "' -o '" + P("out") + "'"), 0)
      << Stderr();
  std::map<std::string, std::vector<json>> tactic_rows, pref_rows;
  std::set<std::pair<std::string, std::string>> tactic_keys;
  for (const json& r : Lines(dir_ / "out" / "tactics.jsonl")) {
    tactic_rows[r["source"]["theorem"]].push_back(r);
    EXPECT_TRUE(
        tactic_keys.insert({r["state"].get<std::string>(), r["tactic"].get<std::string>()}).second)
        << "repeated row " << r;
  }
  for (const json& r : Lines(dir_ / "out" / "preferences.jsonl"))
    pref_rows[r["source"]["theorem"]].push_back(r);
  std::size_t proved = 0, prefs = 0;
  for (const json& result : Lines(dir_ / "run.jsonl")) {
    const std::string name = result["name"];
    if (result["status"] != "proved") {
      EXPECT_FALSE(tactic_rows.count(name)) << name;
      continue;
    }
    ++proved;
    const json tree = json::parse(Read(dir_ / "trees" / (name + ".json")));
    const auto& rows = tactic_rows[name];
    ASSERT_EQ(rows.size(), result["proof"].size()) << name;
    std::size_t node = 0;
    std::size_t expected_prefs = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      EXPECT_EQ(rows[i]["tactic"], result["proof"][i]);
      EXPECT_EQ(rows[i]["source"]["node"], node);
      EXPECT_EQ(rows[i]["state"], tree["nodes"][node]["text"]);
      for (const json& e : tree["edges"]) {
        if (e["src"] != node) continue;
        const json& leaf = tree["nodes"][e["dst"].get<std::size_t>()];
        expected_prefs += leaf["kind"] == "failure" && leaf["failure"]["kind"] == "tactic_error";
      }
      node = tree["edges"][rows[i]["source"]["edge"].get<std::size_t>()]["dst"];
    }
    EXPECT_EQ(tree["nodes"][node]["kind"], "proof_finished") << name;
    EXPECT_EQ(pref_rows[name].size(), expected_prefs) << name;
    prefs += expected_prefs;
    for (const json& p : pref_rows[name]) {
      const json& e = tree["edges"][p["source"]["rejected_edge"].get<std::size_t>()];
      EXPECT_EQ(e["tactic"], p["rejected"]);
      EXPECT_EQ(p["message"], tree["nodes"][e["dst"].get<std::size_t>()]["failure"]["message"]);
    }
  }
  EXPECT_GT(proved, 3u);  // the graphs are made so that some are proved
  EXPECT_GT(prefs, 0u);
}

}  // namespace
