#include "tatami/retriever/accessibility.h"

#include <random>
#include <set>

#include <gtest/gtest.h>

namespace tatami::retriever {
namespace {

// A corpus of `n` files; file i has premise_counts[i] premises ending at
// lines 10, 20, 30, ... and the given imports (by index).
Corpus MakeCorpus(const std::vector<int>& premise_counts,
                  const std::vector<std::vector<int>>& imports) {
  std::vector<CorpusFile> files(premise_counts.size());
  std::vector<Premise> premises;
  for (std::size_t f = 0; f < files.size(); ++f) {
    files[f].path = "F" + std::to_string(f) + ".lean";
    for (int imp : imports[f]) files[f].imports.push_back("F" + std::to_string(imp) + ".lean");
    for (int p = 0; p < premise_counts[f]; ++p) {
      Premise pr;
      pr.full_name = "f" + std::to_string(f) + "_" + std::to_string(p);
      pr.file = static_cast<std::uint32_t>(f);
      pr.start = {10 * p + 5, 1};
      pr.end = {10 * (p + 1), 3};
      premises.push_back(pr);
    }
  }
  return Corpus::FromParts(files, premises);
}

// ReProver's definition, computed naively: premises of files reachable by
// imports (not the file itself), plus own premises with end <= pos.
std::set<std::uint32_t> NaiveAccessible(const Corpus& c, std::uint32_t file, Pos pos) {
  std::set<std::uint32_t> reach;
  std::vector<std::uint32_t> todo;
  for (const auto& imp : c.files()[file].imports) todo.push_back(*c.FindFile(imp));
  while (!todo.empty()) {
    const std::uint32_t f = todo.back();
    todo.pop_back();
    if (!reach.insert(f).second) continue;
    for (const auto& imp : c.files()[f].imports) todo.push_back(*c.FindFile(imp));
  }
  reach.erase(file);
  std::set<std::uint32_t> out;
  for (std::uint32_t i = 0; i < c.premises().size(); ++i) {
    const Premise& p = c.premises()[i];
    if ((p.file == file && p.end <= pos) || reach.contains(p.file)) out.insert(i);
  }
  return out;
}

std::set<std::uint32_t> MaskSet(const AccessMask& m) {
  std::set<std::uint32_t> out;
  for (std::uint32_t i = 0; i < m.size(); ++i) {
    if (m.Test(i)) out.insert(i);
  }
  return out;
}

TEST(AccessibilityTest, ChainAndPositionPrefix) {
  // F0 <- F1 <- F2 (F2 imports F1 imports F0); F3 imports nothing.
  const Corpus c = MakeCorpus({2, 3, 4, 1}, {{}, {0}, {1}, {}});
  Accessibility a(FileGraph::FromCorpus(c));
  EXPECT_TRUE(a.issues().empty());
  EXPECT_EQ(a.ImportedRanges(2), (std::vector<PremiseRange>{{0, 5}}));
  EXPECT_TRUE(a.ImportedRanges(0).empty());
  // In F2 (premises 5..8, ending at lines 10, 20, 30, 40): at line 25 the first two are visible.
  EXPECT_EQ(a.AccessibleRanges("F2.lean", Pos{25, 1}), (std::vector<PremiseRange>{{0, 7}}));
  // A premise ending exactly at the position counts (end <= pos).
  EXPECT_EQ(a.AccessibleRanges("F2.lean", Pos{20, 3}), (std::vector<PremiseRange>{{0, 7}}));
  EXPECT_EQ(a.AccessibleRanges("F2.lean", Pos{20, 2}), (std::vector<PremiseRange>{{0, 6}}));
  const AccessMask m = a.MaskAt("F3.lean", Pos{1, 1});
  EXPECT_EQ(m.Count(), 0u);
  EXPECT_EQ(a.MaskAt("F3.lean", Pos{100, 1}).Count(), 1u);
  EXPECT_THROW(a.MaskAt("Nope.lean", Pos{1, 1}), UnknownFileError);
  EXPECT_THROW(a.AccessibleRanges("Nope.lean", Pos{1, 1}), UnknownFileError);
}

TEST(AccessibilityTest, RandomDagsMatchNaiveDefinition) {
  std::mt19937 rng(7);
  for (int round = 0; round < 30; ++round) {
    const int n = 1 + static_cast<int>(rng() % 40);
    std::vector<int> counts(n);
    std::vector<std::vector<int>> imports(n);
    for (int f = 0; f < n; ++f) {
      counts[f] = static_cast<int>(rng() % 5);
      for (int g = 0; g < f; ++g) {
        if (rng() % 4 == 0) imports[f].push_back(g);
      }
    }
    const Corpus c = MakeCorpus(counts, imports);
    Accessibility a(FileGraph::FromCorpus(c));
    for (int q = 0; q < 20; ++q) {
      const auto f = static_cast<std::uint32_t>(rng() % n);
      const Pos pos{static_cast<int>(rng() % 60), static_cast<int>(rng() % 5)};
      const AccessMask m = a.MaskAt(f, pos);
      EXPECT_EQ(MaskSet(m), NaiveAccessible(c, f, pos)) << "round " << round << " file " << f;
      std::set<std::uint32_t> from_ranges;
      for (const PremiseRange& r : a.AccessibleRanges(f, pos)) {
        for (std::uint32_t i = r.begin; i < r.end; ++i) from_ranges.insert(i);
      }
      EXPECT_EQ(from_ranges, MaskSet(m));
    }
  }
}

TEST(AccessibilityTest, CyclesAreReportedAndTerminate) {
  // F0 -> F1 -> F2 -> F0, F3 -> F1.
  const Corpus c = MakeCorpus({1, 1, 1, 1}, {{1}, {2}, {0}, {1}});
  Accessibility a(FileGraph::FromCorpus(c));
  ASSERT_EQ(a.issues().size(), 1u);
  EXPECT_NE(a.issues()[0].find("import cycle"), std::string::npos);
  EXPECT_NE(a.issues()[0].find("F0.lean"), std::string::npos);
  EXPECT_NE(a.issues()[0].find("F2.lean"), std::string::npos);
  for (std::uint32_t f = 0; f < 4; ++f) {
    EXPECT_EQ(MaskSet(a.MaskAt(f, Pos{0, 0})), NaiveAccessible(c, f, Pos{0, 0}));
  }
  EXPECT_EQ(a.MaskAt(3u, Pos{0, 0}).Count(), 3u);

  AccessibilityOptions strict;
  strict.fail_on_cycle = true;
  EXPECT_THROW(Accessibility(FileGraph::FromCorpus(c), strict), std::runtime_error);
}

TEST(AccessibilityTest, MissingImportsAreReported) {
  std::vector<CorpusFile> files(1);
  files[0].path = "A.lean";
  files[0].imports = {"Gone.lean"};
  const Corpus c = Corpus::FromParts(files, {});
  Accessibility a(FileGraph::FromCorpus(c));
  ASSERT_EQ(a.issues().size(), 1u);
  EXPECT_NE(a.issues()[0].find("Gone.lean"), std::string::npos);
  EXPECT_EQ(a.MaskAt("A.lean", Pos{1, 1}).Count(), 0u);
  AccessibilityOptions strict;
  strict.fail_on_missing_import = true;
  EXPECT_THROW(Accessibility(FileGraph::FromCorpus(c), strict), std::runtime_error);
}

TEST(AccessMaskTest, RangesAndCount) {
  AccessMask m(200);
  m.SetRange({3, 131});
  EXPECT_EQ(m.Count(), 128u);
  EXPECT_FALSE(m.Test(2));
  EXPECT_TRUE(m.Test(3));
  EXPECT_TRUE(m.Test(130));
  EXPECT_FALSE(m.Test(131));
  m.Clear(64);
  EXPECT_EQ(m.Count(), 127u);
  EXPECT_THROW(m.SetRange({10, 201}), std::out_of_range);
  const AccessMask all(70, true);
  EXPECT_EQ(all.Count(), 70u);
  EXPECT_EQ(all.words()[1] >> 6, 0u);  // no bits past size()
}

}  // namespace
}  // namespace tatami::retriever
