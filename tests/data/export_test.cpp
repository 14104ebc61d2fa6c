// Training rows from one search tree: built with the search module's
// SearchTree and exported with its TreeToJson, as `tatami prove` does.
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tatami/data/export.h"
#include "tatami/data/export_tree.h"
#include "tatami/dojo/dojo.h"
#include "tatami/search/search_tree.h"
#include "tatami/search/tree_export.h"

namespace {

using nlohmann::json;
namespace data = tatami::data;
namespace se = tatami::search;

// A Lean message from the recordings (lean-messages/), prefixed as the Dojo
// describes a rejected tactic.
const std::string kNoProgress = "simp made no progress";

// A failure leaf as the search writes a tactic Lean rejected.
std::size_t Rejected(se::SearchTree& t) {
  return t.AddFailure(data::kLeanRejectedPrefix + kNoProgress, se::FailureKind::kTacticError,
                      kNoProgress);
}

// root --bad1 (Lean error)--, --step--> s1, --slow (timeout)--;
// s1 --bad2 (Lean error)--, --done--> proof; a second route root --loop--> s1.
json SampleTree() {
  se::SearchTree t;
  const std::size_t root = t.AddState("x : Nat\n⊢ x = x", 0);
  std::vector<std::size_t> edges;
  edges.push_back(t.AddEdge(root, Rejected(t), "bad1", -1));
  const std::size_t s1 = t.AddState("⊢ True", -0.5);
  edges.push_back(t.AddEdge(root, s1, "step", -0.5));
  edges.push_back(t.AddEdge(
      root, t.AddFailure("timeout after 100 ms", se::FailureKind::kTimeout, ""), "slow", -2));
  edges.push_back(t.AddEdge(root, s1, "loop", -3));
  t.MarkExplored(root, edges);
  edges.clear();
  edges.push_back(t.AddEdge(s1, Rejected(t), "bad2", -1));
  edges.push_back(t.AddEdge(s1, t.AddProofFinished(), "done", -0.25));
  t.MarkExplored(s1, edges);
  EXPECT_EQ(t.ExtractProof(), (std::vector<std::string>{"step", "done"}));
  return se::TreeToJson(t);
}

TEST(RowsFromTreeTest, TacticAndPreferenceRowsAlongTheProof) {
  const json tree = SampleTree();
  const data::TreeRows rows = data::RowsFromTree(tree, {"step", "done"});
  ASSERT_EQ(rows.tactics.size(), 2u);
  EXPECT_EQ(rows.tactics[0].state, "x : Nat\n⊢ x = x");
  EXPECT_EQ(rows.tactics[0].tactic, "step");
  EXPECT_EQ(rows.tactics[1].state, "⊢ True");
  EXPECT_EQ(rows.tactics[1].tactic, "done");
  for (const data::TacticRow& r : rows.tactics) {
    const json& e = tree["edges"][r.edge];
    EXPECT_EQ(e["src"], r.node);
    EXPECT_EQ(e["dst"], r.next);
    EXPECT_EQ(e["tactic"], r.tactic);
    EXPECT_EQ(tree["nodes"][r.node]["text"], r.state);
  }
  EXPECT_EQ(tree["nodes"][rows.tactics[1].next]["kind"], "proof_finished");
  // The timeout gives no preference row; each Lean rejection gives one.
  ASSERT_EQ(rows.preferences.size(), 2u);
  EXPECT_EQ(rows.preferences[0].state, rows.tactics[0].state);
  EXPECT_EQ(rows.preferences[0].chosen, "step");
  EXPECT_EQ(rows.preferences[0].rejected, "bad1");
  EXPECT_EQ(rows.preferences[0].message, kNoProgress);
  EXPECT_EQ(rows.preferences[1].chosen, "done");
  EXPECT_EQ(rows.preferences[1].rejected, "bad2");
  for (const data::PreferenceRow& r : rows.preferences) {
    EXPECT_EQ(tree["edges"][r.rejected_edge]["tactic"], r.rejected);
    EXPECT_EQ(tree["edges"][r.rejected_edge]["dst"], r.rejected_node);
    EXPECT_EQ(tree["edges"][r.chosen_edge]["tactic"], r.chosen);
    EXPECT_EQ(tree["nodes"][r.rejected_node]["kind"], "failure");
  }
}

TEST(RowsFromTreeTest, AnotherRouteInTheTreeGivesItsOwnRows) {
  const data::TreeRows rows = data::RowsFromTree(SampleTree(), {"loop", "done"});
  ASSERT_EQ(rows.tactics.size(), 2u);
  EXPECT_EQ(rows.tactics[0].tactic, "loop");
  EXPECT_EQ(rows.preferences[0].chosen, "loop");
}

std::string ErrorOf(const json& tree, const std::vector<std::string>& proof) {
  try {
    data::RowsFromTree(tree, proof);
  } catch (const data::ExportInputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(RowsFromTreeTest, ProofsNotInTheTreeAndBrokenTreesAreErrors) {
  const json tree = SampleTree();
  EXPECT_NE(ErrorOf(tree, {"step", "nope"})
                .find("proof step 1 (\"nope\") is not a tactic tried at node 2"),
            std::string::npos)
      << ErrorOf(tree, {"step", "nope"});
  EXPECT_NE(ErrorOf(tree, {"step"}).find("ends at node 2, a state node"), std::string::npos)
      << ErrorOf(tree, {"step"});
  EXPECT_NE(ErrorOf(tree, {"bad1", "x"}).find("a failure leaf"), std::string::npos);
  EXPECT_NE(ErrorOf(tree, {}).find("no tactics"), std::string::npos);
  EXPECT_NE(ErrorOf(json::array(), {"a"}).find("not a search tree"), std::string::npos);
  json bad = tree;
  bad["edges"][0]["dst"] = 99;
  EXPECT_NE(ErrorOf(bad, {"step", "done"}).find("edges[0]: \"dst\" must be a node id below"),
            std::string::npos);
  bad = tree;
  bad["nodes"][1].erase("text");
  EXPECT_NE(ErrorOf(bad, {"step", "done"}).find("nodes[1]: needs a string \"text\""),
            std::string::npos);
}

TEST(TreeFileStemTest, EscapesUnsafeBytesOneToOne) {
  EXPECT_EQ(se::TreeFileStem("Nat.add_comm'"), "Nat.add_comm%27");
  EXPECT_EQ(se::TreeFileStem("a/b c"), "a%2Fb%20c");
  EXPECT_EQ(se::TreeFileStem(".hidden"), "%2Ehidden");
  EXPECT_EQ(se::TreeFileStem(""), "%");
  EXPECT_EQ(se::TreeFileStem("\xCE\xB1"), "%CE%B1");  // α in UTF-8
  EXPECT_EQ(se::TreeFileStem("100%"), "100%25");
  // Names that the old mapping (each unsafe byte to '_') sent to one file.
  const std::vector<std::string> names = {
      "lem_\xCE\xB1", "lem_\xCE\xB2", "lem___", "foo'", "foo_", "%", "", "_"};
  std::set<std::string> stems;
  for (const auto& n : names) stems.insert(se::TreeFileStem(n));
  EXPECT_EQ(stems.size(), names.size());
  // Long names stay within file-name limits and apart.
  const std::string a(300, 'x'), b = std::string(299, 'x') + "y";
  const std::string long_unsafe(120, '\'');
  for (const std::string& n : {a, b, long_unsafe}) {
    EXPECT_LE(se::TreeFileStem(n).size(), 200u) << n;
    EXPECT_EQ(se::TreeFileStem(n).find('/'), std::string::npos);
  }
  EXPECT_NE(se::TreeFileStem(a), se::TreeFileStem(b));
  EXPECT_EQ(se::TreeFileStem(long_unsafe).substr(0, 180), [] {
    std::string s;
    for (int i = 0; i < 60; ++i) s += "%27";
    return s;
  }());
}

// A rejected tactic's leaf holds what the Dojo writes for it, so the export
// and dojo::Describe must agree on the prefix.
TEST(RowsFromTreeTest, RejectionPrefixIsTheDojosDescription) {
  const std::string text = tatami::dojo::Describe(tatami::dojo::RunResult{
      tatami::dojo::LeanError{tatami::dojo::LeanError::kTactic, kNoProgress, std::nullopt}});
  EXPECT_EQ(text, data::kLeanRejectedPrefix + kNoProgress);
}

// The export reads the kind the search writes.
TEST(RowsFromTreeTest, RejectionKindIsTheSearchsName) {
  EXPECT_EQ(data::kLeanRejectedKind, se::ToString(se::FailureKind::kTacticError));
}

// The rows come from "failure", not from the wording of "text".
TEST(RowsFromTreeTest, FailureObjectDecidesWhateverTheTextSays) {
  json tree = SampleTree();
  for (json& n : tree["nodes"])
    if (n["kind"] == "failure") n["text"] = "rejected by Lean, in other words";
  data::TreeRows rows = data::RowsFromTree(tree, {"step", "done"});
  ASSERT_EQ(rows.preferences.size(), 2u);
  EXPECT_EQ(rows.preferences[0].rejected, "bad1");
  EXPECT_EQ(rows.preferences[0].message, kNoProgress);
  EXPECT_EQ(rows.preferences[1].message, kNoProgress);
  // A leaf of another kind gives no row even when its text has the old prefix.
  tree = SampleTree();
  const std::size_t bad1 = tree["edges"][0]["dst"];
  tree["nodes"][bad1]["failure"]["kind"] = "timeout";
  rows = data::RowsFromTree(tree, {"step", "done"});
  ASSERT_EQ(rows.preferences.size(), 1u);
  EXPECT_EQ(rows.preferences[0].rejected, "bad2");
  tree["nodes"][bad1]["failure"].erase("message");
  EXPECT_NE(ErrorOf(tree, {"step", "done"})
                .find("nodes[" + std::to_string(bad1) + "].failure: needs a string \"message\""),
            std::string::npos)
      << ErrorOf(tree, {"step", "done"});
}

// Trees written before "failure" existed: the text's prefix tells.
TEST(RowsFromTreeTest, TreesWithoutFailureObjectsFallBackToTheText) {
  json tree = SampleTree();
  for (json& n : tree["nodes"]) n.erase("failure");
  const data::TreeRows rows = data::RowsFromTree(tree, {"step", "done"});
  ASSERT_EQ(rows.preferences.size(), 2u);
  EXPECT_EQ(rows.preferences[0].rejected, "bad1");
  EXPECT_EQ(rows.preferences[0].message, kNoProgress);
  EXPECT_EQ(rows.preferences[1].rejected, "bad2");
}

TEST(ExportTrainingDataTest, TreeFileNamingIsRequiredAndFailuresLeaveNoTemporaries) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("tatami_export_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  data::ExportOptions o;
  o.results = {dir / "run.jsonl"};
  o.tree_dirs = {dir};
  o.output_dir = dir / "out";
  try {
    data::ExportTrainingData(o);
    ADD_FAILURE() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("tree_file_stem"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "out"));

  // An export stopped by an unreadable result file leaves no temporary files.
  o.tree_file_stem = se::TreeFileStem;
  EXPECT_THROW(data::ExportTrainingData(o), std::runtime_error);
  ASSERT_TRUE(std::filesystem::is_directory(dir / "out"));
  EXPECT_TRUE(std::filesystem::is_empty(dir / "out"));
  std::filesystem::remove_all(dir);
}

}  // namespace
