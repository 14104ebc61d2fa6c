// Retrieval evaluation: the metrics on hand-made rankings, reading LeanDojo
// splits (the recorded Benchmark 4 sample and broken files), and locating
// annotated premises in an index.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fixtures.h"
#include "tatami/retriever/premise_index.h"
#include "tatami/retriever/retrieval_eval.h"

namespace tatami::retriever {
namespace {

namespace fs = std::filesystem;
using Ids = std::vector<std::uint32_t>;

TEST(RankingMetrics, ReProverDefinitionsOnHandMadeRankings) {
  RankingMetrics m;
  // Two positives, found at ranks 1 and 4: R@1 = 1/2, R@10 = 1, RR = 1.
  EXPECT_TRUE(m.Add(Ids{5, 1, 2, 7, 8}, Ids{5, 7}));
  // One positive at rank 4: R@1 = 0, R@10 = 1, RR = 1/4.
  EXPECT_TRUE(m.Add(Ids{1, 2, 4, 3}, Ids{3}));
  // Not retrieved: everything 0.
  EXPECT_TRUE(m.Add(Ids{1, 2, 3, 4, 5, 6, 7, 8, 10, 11}, Ids{9}));
  // No positives: not counted.
  EXPECT_FALSE(m.Add(Ids{1, 2, 3}, Ids{}));
  EXPECT_EQ(m.queries(), 3u);
  EXPECT_NEAR(m.RecallAt(1), 100.0 * (0.5 + 0 + 0) / 3, 1e-9);
  EXPECT_NEAR(m.RecallAt(10), 100.0 * (1 + 1 + 0) / 3, 1e-9);
  EXPECT_NEAR(m.RecallAt(3), 100.0 * (0.5 + 0 + 0) / 3, 1e-9);
  EXPECT_NEAR(m.Mrr(), (1 + 0.25 + 0) / 3, 1e-12);
}

TEST(RankingMetrics, RankElevenCountsForMrrButNotRecallAtTen) {
  RankingMetrics m;
  Ids ranked;
  for (std::uint32_t i = 100; i < 110; ++i) ranked.push_back(i);
  ranked.push_back(42);
  m.Add(ranked, Ids{42});
  EXPECT_EQ(m.RecallAt(10), 0.0);
  EXPECT_EQ(m.RecallAt(11), 100.0);
  EXPECT_NEAR(m.Mrr(), 1.0 / 11, 1e-12);
}

TEST(RankingMetrics, DuplicatesCountOnce) {
  RankingMetrics m;
  m.Add(Ids{4, 4, 6}, Ids{4, 4, 6, 6, 7});  // positives {4, 6, 7}
  EXPECT_NEAR(m.RecallAt(1), 100.0 / 3, 1e-9);
  EXPECT_NEAR(m.RecallAt(10), 200.0 / 3, 1e-9);
  EXPECT_EQ(m.Mrr(), 1.0);
}

TEST(RankingMetrics, EmptyAndInvalid) {
  RankingMetrics m;
  EXPECT_EQ(m.RecallAt(1), 0.0);
  EXPECT_EQ(m.Mrr(), 0.0);
  EXPECT_THROW(m.RecallAt(0), std::invalid_argument);
}

TEST(LeanDojoSplit, ReadsTheRecordedBenchmarkSample) {
  const fs::path split =
      ::tatami::testing::FixturesDir() / "leandojo-benchmark4-sample/random/test.prefix.json";
  TATAMI_REQUIRE_FIXTURES("leandojo-benchmark4-sample/random/test.prefix.json");
  const auto tactics = LoadLeanDojoSplit(split);
  // The fixture's README: 23 theorems, 41 traced tactics, 54 annotated premises.
  EXPECT_EQ(tactics.size(), 41u);
  std::size_t premises = 0;
  for (const auto& t : tactics) premises += t.premises.size();
  EXPECT_EQ(premises, 54u);
  const EvalTactic& first = tactics.front();
  EXPECT_EQ(first.theorem_name, "CategoryTheory.Equivalence.invFunIdAssoc_hom_app");
  EXPECT_EQ(first.theorem_path, "Mathlib/CategoryTheory/Equivalence.lean");
  EXPECT_EQ(first.theorem_start, (Pos{344, 1}));
  EXPECT_EQ(first.tactic_index, 0u);
  EXPECT_EQ(first.state_before.rfind("C : Type u\xE2\x82\x81\n", 0), 0u);
  ASSERT_EQ(first.premises.size(), 1u);
  EXPECT_EQ(first.premises[0].full_name, "CategoryTheory.Equivalence.invFunIdAssoc");
  EXPECT_EQ(first.premises[0].def_path, "Mathlib/CategoryTheory/Equivalence.lean");
  EXPECT_EQ(first.premises[0].def_pos, (Pos{339, 5}));
  EXPECT_EQ(tactics[1].tactic_index, 1u);
  EXPECT_TRUE(tactics[1].premises.empty());  // "aesop_cat" names none
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "tatami-eval-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  fs::path Write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name, std::ios::binary) << text;
    return path_ / name;
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string SplitError(const std::string& text) {
  TempDir dir;
  try {
    LoadLeanDojoSplit(dir.Write("split.json", text));
  } catch (const retriever::SplitError& e) {
    return e.what();
  }
  return "";
}

TEST(LeanDojoSplit, BrokenFilesNameWhatIsWrong) {
  EXPECT_NE(SplitError("[").find("not valid JSON"), std::string::npos);
  EXPECT_NE(SplitError("{}").find("JSON list"), std::string::npos);
  const std::string ok_thm =
      R"({"file_path": "A.lean", "full_name": "t", "start": [1, 1], "traced_tactics": [)";
  std::string e = SplitError("[" + ok_thm + R"({"annotated_tactic": ["x", []]}]}])");
  EXPECT_NE(e.find("theorem 0 (t): traced tactic 0: \"state_before\""), std::string::npos) << e;
  e = SplitError(
      "[" + ok_thm +
      R"({"state_before": "s", "annotated_tactic": ["x", [{"full_name": "p", "def_path": "B.lean", "def_pos": [1]}]]}]}])");
  EXPECT_NE(e.find("premise 0: \"def_pos\" must be [line, column]"), std::string::npos) << e;
  e = SplitError(R"([{"file_path": "A.lean", "start": [1, 1], "traced_tactics": []}])");
  EXPECT_NE(e.find("theorem 0: \"full_name\""), std::string::npos) << e;
  TempDir dir;
  EXPECT_THROW(LoadLeanDojoSplit(dir.path() / "missing.json"), retriever::SplitError);
}

TEST(PremiseLocator, FindsThePremiseWhoseSpanContainsThePosition) {
  TempDir dir;
  std::vector<CorpusFile> files = {{"A.lean", {}, 0, 0}, {"B.lean", {"A.lean"}, 0, 0}};
  std::vector<Premise> premises = {
      {"a1", 0, {1, 1}, {2, 10}, "", "theorem a1 : True := trivial"},
      {"a2", 0, {4, 1}, {4, 30}, "", "theorem a2 : True := trivial"},
      {"b1", 1, {3, 5}, {6, 2}, "", "theorem b1 : True := trivial"},
  };
  Corpus corpus = Corpus::FromParts(files, premises);
  const fs::path path = dir.path() / "p.idx";
  {
    IndexWriter writer(path, corpus, 2);
    const std::vector<float> rows = {1, 0, 0, 1, 0.6f, 0.8f};
    writer.Append(rows);
    writer.Finish();
  }
  PremiseIndex index = PremiseIndex::Open(path);
  PremiseLocator locator(index);
  EXPECT_EQ(locator.Locate("A.lean", {1, 1}), 0u);
  EXPECT_EQ(locator.Locate("A.lean", {2, 10}), 0u);
  EXPECT_EQ(locator.Locate("A.lean", {1, 500}), 0u);
  EXPECT_EQ(locator.Locate("A.lean", {3, 1}), std::nullopt);
  EXPECT_EQ(locator.Locate("A.lean", {4, 7}), 1u);
  EXPECT_EQ(locator.Locate("B.lean", {5, 1}), 2u);
  EXPECT_EQ(locator.Locate("B.lean", {3, 4}), std::nullopt);
  EXPECT_EQ(locator.Locate("C.lean", {1, 1}), std::nullopt);
}

}  // namespace
}  // namespace tatami::retriever
