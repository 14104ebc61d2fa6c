// The benchmark writer against LeanDojo Benchmark 4 as published: reading the
// sample and writing it again gives the same bytes.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "tatami/data/benchmark_json.h"

namespace tatami::data {
namespace {

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(BenchmarkJson, SampleSplitRoundTripsByteForByte) {
  TATAMI_REQUIRE_FIXTURES("leandojo-benchmark4-sample/random/test.prefix.json");
  const auto path = testing::FixturesDir() / "leandojo-benchmark4-sample/random/test.prefix.json";
  const std::vector<TracedTheorem> theorems = ReadTheoremList(path.string());
  ASSERT_EQ(theorems.size(), 23u);
  std::size_t tactics = 0, premises = 0;
  for (const auto& t : theorems) {
    tactics += t.traced_tactics.size();
    for (const auto& tac : t.traced_tactics) premises += tac.premises.size();
  }
  EXPECT_EQ(tactics, 41u);
  EXPECT_EQ(premises, 54u);
  std::ostringstream out;
  WriteTheoremList(theorems, out);
  EXPECT_EQ(out.str(), Slurp(path));
}

TEST(BenchmarkJson, SampleMetadataRoundTrips) {
  TATAMI_REQUIRE_FIXTURES("leandojo-benchmark4-sample/metadata.json");
  const auto path = testing::FixturesDir() / "leandojo-benchmark4-sample/metadata.json";
  const std::string text = Slurp(path);
  const DatasetMetadata m = MetadataFromJson(nlohmann::json::parse(text), path.string());
  EXPECT_EQ(m.commit, "29dcec074de168ac2bf835a77ef68bbe069194c5");
  EXPECT_EQ(ToJson(m), text);
}

TEST(BenchmarkJson, StringsAreEscapedAsPythonDoes) {
  EXPECT_EQ(PythonJsonString("a\"b\\c\n\t"), R"("a\"b\\c\n\t")");
  EXPECT_EQ(PythonJsonString("⊢ x"), R"("\u22a2 x")");
  EXPECT_EQ(PythonJsonString("𝟙"), R"("\ud835\udfd9")");  // outside the BMP: a surrogate pair
  EXPECT_EQ(PythonJsonString(std::string("\x01", 1)), R"("\u0001")");
}

TEST(BenchmarkJson, TheoremStatementIsWrittenAfterFullNameWhenSet) {
  TracedTheorem t;
  t.full_name = "foo";
  t.theorem_statement = "theorem foo : True";
  t.start = {1, 1};
  t.end = {1, 30};
  const std::string text = ToJson(t);
  EXPECT_NE(text.find(R"("full_name": "foo", "theorem_statement": "theorem foo : True", "start")"),
            std::string::npos)
      << text;
  EXPECT_EQ(TheoremFromJson(nlohmann::json::parse(text), "t"), t);
}

TEST(BenchmarkJson, CorpusLineRoundTrips) {
  CorpusFile f{"A/B.lean", {"A/C.lean"}, {{"A.x", "def x := 1", {3, 1}, {3, 11}, "def"}}};
  const std::string text = ToJson(f);
  EXPECT_EQ(text,
            R"({"path": "A/B.lean", "imports": ["A/C.lean"], "premises": [{"full_name": "A.x", )"
            R"("code": "def x := 1", "start": [3, 1], "end": [3, 11], "kind": "def"}]})");
  EXPECT_EQ(CorpusFileFromJson(nlohmann::json::parse(text), "c"), f);
}

TEST(BenchmarkJson, MissingFieldIsNamed) {
  try {
    TheoremFromJson(nlohmann::json::parse(R"({"url": "u"})"), "x.json: theorem 0");
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("x.json: theorem 0: missing field \"commit\""),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace tatami::data
