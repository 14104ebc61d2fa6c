// Splits on generated theorem lists (sizes, disjointness, the novel-premises
// property, determinism per seed), reading theorem files, and the LeanDojo
// Benchmark 4 sample from the fixtures written back unchanged.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <utility>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "tatami/data/split.h"
#include "tatami/data/split_input.h"
#include "tatami/data/split_output.h"

namespace {

using nlohmann::json;
namespace fs = std::filesystem;
namespace data = tatami::data;

// Premise lists of `n` theorems: a fifth use none; the others draw 1-5
// premises from a pool where low numbers are common (a few premises used by
// many theorems, many used by few, as in Mathlib).
std::vector<std::vector<std::string>> GeneratePremises(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::vector<std::string>> out(n);
  for (auto& ps : out) {
    if (rng() % 5 == 0) continue;
    const int k = 1 + static_cast<int>(rng() % 5);
    for (int i = 0; i < k; ++i) {
      // Roughly Zipf: the square of a uniform draw favours small numbers.
      const double u = std::uniform_real_distribution<double>(0, 1)(rng);
      const std::string p = "P" + std::to_string(static_cast<int>(u * u * 3 * n));
      if (std::find(ps.begin(), ps.end(), p) == ps.end()) ps.push_back(p);
    }
  }
  return out;
}

// The assertions below restate the promises from the split's definition
// rather than calling CheckSplit, so that a bug shared by both cannot hide.
void ExpectPartition(const data::Split& s, std::size_t n) {
  std::multiset<std::size_t> all;
  for (const auto* part : {&s.train, &s.val, &s.test}) all.insert(part->begin(), part->end());
  ASSERT_EQ(all.size(), n);
  std::size_t i = 0;
  for (std::size_t x : all) ASSERT_EQ(x, i++) << "a theorem is missing or repeated";
}

void ExpectNovelPremises(const data::Split& s, const std::vector<std::vector<std::string>>& ps) {
  std::set<std::string> train;
  for (std::size_t t : s.train) train.insert(ps[t].begin(), ps[t].end());
  for (const auto* part : {&s.val, &s.test})
    for (std::size_t t : *part) {
      bool novel = false;
      for (const std::string& p : ps[t]) novel |= !train.count(p);
      EXPECT_TRUE(novel) << "theorem " << t << " uses only premises train uses";
    }
}

TEST(SplitRandomlyTest, SizesAndDisjointnessOnManySizes) {
  for (std::size_t n : {0, 1, 7, 100, 1000})
    for (std::size_t nv : {std::size_t{0}, n / 10, n / 3})
      for (std::size_t nt : {std::size_t{0}, n / 10, n / 2}) {
        SCOPED_TRACE(testing::Message() << n << " " << nv << " " << nt);
        const data::Split s = data::SplitRandomly(n, nv, nt, 42);
        EXPECT_EQ(s.val.size(), nv);
        EXPECT_EQ(s.test.size(), nt);
        EXPECT_EQ(s.train.size(), n - nv - nt);
        ExpectPartition(s, n);
        EXPECT_EQ(data::CheckSplit(s, n, nv, nt), "");
      }
}

TEST(SplitRandomlyTest, DeterministicPerSeedAndSeedsDiffer) {
  const data::Split a = data::SplitRandomly(500, 50, 50, 3407);
  const data::Split b = data::SplitRandomly(500, 50, 50, 3407);
  const data::Split c = data::SplitRandomly(500, 50, 50, 3408);
  EXPECT_EQ(a.train, b.train);
  EXPECT_EQ(a.val, b.val);
  EXPECT_EQ(a.test, b.test);
  EXPECT_NE(a.val, c.val);
  // A shuffle, not the input order.
  std::vector<std::size_t> sorted = a.val;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_NE(a.val, sorted);
}

TEST(SplitRandomlyTest, TooFewTheoremsIsAnError) {
  try {
    data::SplitRandomly(10, 6, 5, 1);
    FAIL() << "no error";
  } catch (const data::SplitError& e) {
    EXPECT_NE(std::string(e.what()).find("need 11 theorems; there are 10"), std::string::npos)
        << e.what();
  }
}

// Counts from the command line may be huge; their sum must not wrap around
// into a small number that passes the size check.
TEST(SplitRandomlyTest, HugeCountsAreAnErrorNotAWrapAround) {
  const std::size_t huge = std::numeric_limits<std::size_t>::max();
  for (const auto& [val, test] : {std::pair{huge, std::size_t{1}}, std::pair{std::size_t{1}, huge}})
    try {
      data::SplitRandomly(10, val, test, 1);
      ADD_FAILURE() << "no error for " << val << " + " << test;
    } catch (const data::SplitError& e) {
      EXPECT_NE(std::string(e.what()).find("need more than"), std::string::npos) << e.what();
    }
}

TEST(SplitByNovelPremisesTest, HugeCountsAreAnErrorNotAWrapAround) {
  const std::vector<std::vector<std::string>> ps = {{"a"}, {"b"}, {"c"}};
  const std::size_t huge = std::numeric_limits<std::size_t>::max();
  try {
    data::SplitByNovelPremises(ps, huge, 2, 1);
    FAIL() << "no error";
  } catch (const data::SplitError& e) {
    EXPECT_NE(std::string(e.what()).find("need more than"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("there are 3"), std::string::npos) << e.what();
  }
}

TEST(SplitByNovelPremisesTest, PropertyHoldsOnGeneratedDatasets) {
  for (unsigned dataset = 1; dataset <= 8; ++dataset)
    for (std::uint64_t seed : {1u, 3407u}) {
      const std::size_t n = 200 * dataset;
      const auto ps = GeneratePremises(n, dataset);
      const std::size_t nv = n / 20, nt = n / 25;
      SCOPED_TRACE(testing::Message() << "dataset " << dataset << " seed " << seed);
      const data::Split s = data::SplitByNovelPremises(ps, nv, nt, seed);
      ExpectPartition(s, n);
      EXPECT_EQ(s.val.size(), nv);
      EXPECT_GE(s.test.size(), nt);
      ExpectNovelPremises(s, ps);
      EXPECT_EQ(data::CheckSplit(s, n, nv, nt, &ps), "");
      // Train keeps the input order.
      EXPECT_TRUE(std::is_sorted(s.train.begin(), s.train.end()));
      // Rarest premises first: some premise used by the fewest theorems has
      // all its users held out.
      std::map<std::string, std::vector<std::size_t>> users;
      for (std::size_t t = 0; t < n; ++t)
        for (const auto& p : ps[t]) users[p].push_back(t);
      std::size_t least = n + 1;
      for (const auto& [p, u] : users) least = std::min(least, u.size());
      const std::set<std::size_t> train(s.train.begin(), s.train.end());
      bool rarest_held_out = false;
      for (const auto& [p, u] : users)
        if (u.size() == least)
          rarest_held_out |=
              std::none_of(u.begin(), u.end(), [&](std::size_t t) { return train.count(t) > 0; });
      EXPECT_TRUE(rarest_held_out);
      // Theorems without premises can never be held out.
      for (std::size_t t = 0; t < n; ++t)
        if (ps[t].empty()) {
          EXPECT_TRUE(train.count(t)) << t;
        }
    }
}

TEST(SplitByNovelPremisesTest, OvershootStaysBelowTheLastGroup) {
  // Groups of 3 theorems each: val+test of 4 takes two whole groups (6).
  std::vector<std::vector<std::string>> ps;
  for (int g = 0; g < 5; ++g)
    for (int i = 0; i < 3; ++i) ps.push_back({"G" + std::to_string(g)});
  const data::Split s = data::SplitByNovelPremises(ps, 2, 2, 7);
  EXPECT_EQ(s.val.size(), 2u);
  EXPECT_EQ(s.test.size(), 4u);
  EXPECT_EQ(s.train.size(), 9u);
  ExpectNovelPremises(s, ps);
}

TEST(SplitByNovelPremisesTest, DeterministicPerSeedAndSeedsDiffer) {
  const auto ps = GeneratePremises(2000, 99);
  const data::Split a = data::SplitByNovelPremises(ps, 100, 100, 5);
  const data::Split b = data::SplitByNovelPremises(ps, 100, 100, 5);
  const data::Split c = data::SplitByNovelPremises(ps, 100, 100, 6);
  EXPECT_EQ(a.val, b.val);
  EXPECT_EQ(a.test, b.test);
  EXPECT_EQ(a.train, b.train);
  EXPECT_NE(a.val, c.val);
  // The same theorems are held out; only their order (and so val/test) differs.
  std::set<std::size_t> ha(a.val.begin(), a.val.end()), hc(c.val.begin(), c.val.end());
  ha.insert(a.test.begin(), a.test.end());
  hc.insert(c.test.begin(), c.test.end());
  EXPECT_EQ(ha, hc);
}

TEST(SplitByNovelPremisesTest, TooFewTheoremsUsingPremisesIsAnError) {
  const std::vector<std::vector<std::string>> ps = {{"a"}, {}, {"b"}, {}, {}};
  try {
    data::SplitByNovelPremises(ps, 2, 1, 1);
    FAIL() << "no error";
  } catch (const data::SplitError& e) {
    EXPECT_NE(std::string(e.what()).find("2 of the 5 theorems use any"), std::string::npos)
        << e.what();
  }
}

TEST(CheckSplitTest, FindsViolations) {
  const std::vector<std::vector<std::string>> ps = {{"a"}, {"a"}, {"b"}};
  EXPECT_NE(data::CheckSplit({{0, 1}, {1}, {2}}, 3, 1, 1), "");    // repeated
  EXPECT_NE(data::CheckSplit({{0}, {1}, {}}, 3, 1, 0), "");        // missing
  EXPECT_NE(data::CheckSplit({{0}, {1, 2}, {}}, 3, 1, 0), "");     // val size
  EXPECT_NE(data::CheckSplit({{0}, {1}, {2}}, 3, 1, 1, &ps), "");  // 1 uses only a, in train
  EXPECT_EQ(data::CheckSplit({{2}, {0}, {1}}, 3, 1, 1, &ps), "");
}

TEST(SplitSizeTest, CountsFractionsAndErrors) {
  EXPECT_EQ(data::SplitSize::Parse("2000", "--num-val").Resolve(10), 2000u);
  EXPECT_EQ(data::SplitSize::Parse("0.02", "--num-val").Resolve(1000), 20u);
  EXPECT_EQ(data::SplitSize::Parse("0.5", "--num-val").Resolve(7), 3u);  // rounded down
  EXPECT_EQ(data::SplitSize::Parse("0", "--num-val").Resolve(7), 0u);
  for (const char* bad : {"", "abc", "-1", "1.5", "1.0", "0.1.2", ".", "99999999999999999999999"}) {
    try {
      data::SplitSize::Parse(bad, "--num-test");
      ADD_FAILURE() << "accepted \"" << bad << "\"";
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()).rfind("--num-test: ", 0), 0u) << e.what();
    }
  }
}

class SplitFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tatami_split_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path Write(const std::string& name, const std::string& text) {
    fs::create_directories((dir_ / name).parent_path());
    std::ofstream(dir_ / name, std::ios::binary) << text;
    return dir_ / name;
  }
  std::string Error(const fs::path& p) {
    try {
      data::ReadTheorems(p);
    } catch (const std::exception& e) {
      return e.what();
    }
    return "no error";
  }
  fs::path dir_;
};

json Theorem(const std::string& name, std::vector<std::vector<std::string>> tactics) {
  json tt = json::array();
  for (const auto& premises : tactics) {
    json ann = json::array();
    for (const auto& p : premises)
      ann.push_back(
          {{"full_name", p}, {"def_path", "X.lean"}, {"def_pos", {1, 1}}, {"def_end_pos", {1, 5}}});
    tt.push_back({{"tactic", "simp"},
                  {"annotated_tactic", {"simp", ann}},
                  {"state_before", "⊢ True"},
                  {"state_after", "no goals"}});
  }
  return {{"url", "u"},      {"commit", "c"}, {"file_path", "F.lean"}, {"full_name", name},
          {"start", {1, 1}}, {"end", {2, 1}}, {"traced_tactics", tt},  {"extra", {{"kept", 1.5}}}};
}

TEST_F(SplitFilesTest, ReadsTextsUnchangedAndPremisesInOrder) {
  // Spacing, key order and escapes as a producer wrote them.
  const std::string a =
      R"({"z": 1, "file_path":"F.lean" , "full_name": "a\u00e9", "start": [1, 1], "traced_tactics": [{"annotated_tactic": ["x", [{"full_name": "Q"}, {"full_name": "P"}]]}, {"annotated_tactic": ["y", [{"full_name": "P"}]]}]})";
  const std::string b = Theorem("b", {}).dump();
  const fs::path f = Write("t.json", "[\n  " + a + ",\n" + b + "  \n]\n");
  const auto ts = data::ReadTheoremFile(f);
  ASSERT_EQ(ts.size(), 2u);
  EXPECT_EQ(ts[0].json, a);
  EXPECT_EQ(ts[1].json, b);
  EXPECT_EQ(ts[0].premises, (std::vector<std::string>{"Q", "P"}));
  EXPECT_TRUE(ts[1].premises.empty());
  EXPECT_EQ(ts[1].where, f.string() + "[1]");
}

TEST_F(SplitFilesTest, BadInputNamesFileAndEntry) {
  const std::string good = Theorem("a", {{"P"}}).dump();
  EXPECT_NE(Error(Write("obj.json", "{}")).find("obj.json: not a JSON array"), std::string::npos);
  EXPECT_NE(Error(Write("num.json", "[" + good + ", 3]")).find("num.json[1]: not a JSON object"),
            std::string::npos);
  EXPECT_NE(Error(Write("name.json", R"([{"file_path": "F.lean"}])"))
                .find("name.json[0]: needs string fields \"file_path\" and \"full_name\""),
            std::string::npos);
  EXPECT_NE(
      Error(
          Write(
              "ann.json",
              R"([{"file_path": "F", "full_name": "n", "traced_tactics": [{"annotated_tactic": "x"}]}])"))
          .find("ann.json[0].traced_tactics[0].annotated_tactic: must be"),
      std::string::npos);
  EXPECT_NE(
      Error(
          Write(
              "prem.json",
              R"([{"file_path": "F", "full_name": "n", "traced_tactics": [{"annotated_tactic": ["x", [{}]]}]}])"))
          .find("prem.json[0].traced_tactics[0].annotated_tactic[1][0]: needs a string"),
      std::string::npos);
  EXPECT_NE(Error(Write("broken.json", "[" + good + ", {\"a\": ]")).find("broken.json"),
            std::string::npos);
  EXPECT_NE(Error(Write("trail.json", "[" + good + "] [3]")).find("trail.json: text after"),
            std::string::npos);
  EXPECT_NE(Error(dir_ / "absent.json").find("absent.json: no such file"), std::string::npos);
  EXPECT_NE(
      Error(Write("dup.json", "[" + good + ", " + Theorem("b", {}).dump() + ", " + good + "]"))
          .find("dup.json[2]: the same theorem (file_path, full_name, start) as " +
                (dir_ / "dup.json").string() + "[0]"),
      std::string::npos);
}

TEST_F(SplitFilesTest, DirectoriesRandomSplitOrArrays) {
  Write("bench/random/train.json", "[" + Theorem("a", {{"P"}}).dump() + "]");
  Write("bench/random/test.json", "[" + Theorem("b", {{"P"}}).dump() + "]");
  Write("bench/other.json", "[" + Theorem("ignored", {}).dump() + "]");
  auto ts = data::ReadTheorems(dir_ / "bench");
  ASSERT_EQ(ts.size(), 2u);
  EXPECT_NE(ts[0].json.find("\"a\""), std::string::npos);
  EXPECT_NE(ts[1].json.find("\"b\""), std::string::npos);

  Write("trace/metadata.json", R"({"toolchain": "x"})");
  Write("trace/theorems.json", "[" + Theorem("c", {}).dump() + "]");
  ts = data::ReadTheorems(dir_ / "trace");
  ASSERT_EQ(ts.size(), 1u);

  fs::create_directories(dir_ / "empty");
  EXPECT_NE(Error(dir_ / "empty").find("no theorems found"), std::string::npos);
  fs::create_directories(dir_ / "emptyrandom/random");
  EXPECT_NE(Error(dir_ / "emptyrandom").find("holds none of"), std::string::npos);
}

TEST_F(SplitFilesTest, WrittenSplitsHoldTheInputTextsOnce) {
  std::string text = "[";
  for (int i = 0; i < 60; ++i)
    text +=
        (i ? ", " : "") + Theorem("t" + std::to_string(i), {{"P" + std::to_string(i % 9)}}).dump();
  const auto ts = data::ReadTheoremFile(Write("in.json", text + "]"));
  const data::Split s = data::SplitRandomly(ts.size(), 6, 6, 1);
  data::WriteSplit(dir_ / "out", "random", ts, s);
  std::multiset<std::string> seen;
  for (const char* part : {"train", "val", "test"}) {
    const json arr =
        json::parse(std::ifstream(dir_ / "out" / "random" / (part + std::string(".json"))));
    ASSERT_TRUE(arr.is_array());
    for (const json& t : arr) seen.insert(t.dump());
  }
  std::multiset<std::string> want;
  for (const auto& t : ts) want.insert(json::parse(t.json).dump());
  EXPECT_EQ(seen, want);
}

// The published sample: every theorem written back byte for byte, the splits'
// promises holding on real premise annotations.
TEST(SplitFixtureTest, BenchmarkSampleRoundTripsThroughBothSplits) {
  TATAMI_REQUIRE_FIXTURES("leandojo-benchmark4-sample/random/test.prefix.json");
  const fs::path in =
      tatami::testing::FixturesDir() / "leandojo-benchmark4-sample/random/test.prefix.json";
  const auto ts = data::ReadTheorems(in);
  ASSERT_EQ(ts.size(), 23u);
  std::ifstream f(in, std::ios::binary);
  const std::string original((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const json parsed = json::parse(original);
  std::vector<std::vector<std::string>> ps;
  std::size_t users = 0;
  for (std::size_t i = 0; i < ts.size(); ++i) {
    EXPECT_NE(original.find(ts[i].json), std::string::npos);
    EXPECT_EQ(json::parse(ts[i].json), parsed[i]);
    // Premises as the annotations name them (a set per theorem).
    std::set<std::string> want;
    for (const json& tac : parsed[i]["traced_tactics"])
      for (const json& p : tac["annotated_tactic"][1])
        want.insert(p["full_name"].get<std::string>());
    EXPECT_EQ(std::set<std::string>(ts[i].premises.begin(), ts[i].premises.end()), want);
    EXPECT_EQ(ts[i].premises.size(), want.size());
    users += !want.empty();
    ps.push_back(ts[i].premises);
  }
  EXPECT_EQ(users, 13u);
  const fs::path out =
      fs::temp_directory_path() / ("tatami_split_fixture_" + std::to_string(::getpid()));
  const data::Split random = data::SplitRandomly(ts.size(), 3, 3, 3407);
  const data::Split novel = data::SplitByNovelPremises(ps, 3, 3, 3407);
  ExpectPartition(novel, ts.size());
  ExpectNovelPremises(novel, ps);
  data::WriteSplit(out, "random", ts, random);
  data::WriteSplit(out, "novel_premises", ts, novel);
  for (const char* name : {"random", "novel_premises"}) {
    std::multiset<std::string> seen;
    for (const char* part : {"train", "val", "test"}) {
      const auto back = data::ReadTheoremFile(out / name / (part + std::string(".json")));
      for (const auto& t : back) {
        EXPECT_NE(original.find(t.json), std::string::npos) << "changed: " << t.json.substr(0, 80);
        seen.insert(t.json);
      }
    }
    std::multiset<std::string> want;
    for (const auto& t : ts) want.insert(t.json);
    EXPECT_EQ(seen, want) << name;
  }
  fs::remove_all(out);
}

}  // namespace
