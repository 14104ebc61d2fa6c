// `tatami data split` through the CLI binary: both splits written and
// checked, determinism per seed, fractions, directory input, bad input.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class SplitCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tatami_split_cli_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // 200 theorems; theorem i uses premise P(i % 40) and, for odd i, Q(i % 7).
    json all = json::array();
    for (int i = 0; i < 200; ++i) {
      json premises = {{{"full_name", "P" + std::to_string(i % 40)}, {"def_path", "A.lean"}}};
      if (i % 2) premises.push_back({{"full_name", "Q" + std::to_string(i % 7)}});
      json tactics = json::array();
      if (i % 10 != 0)  // some theorems use no premise
        tactics.push_back(
            {{"tactic", "simp"}, {"annotated_tactic", {"simp [<a>p</a>]", premises}}});
      all.push_back({{"url", "u"},
                     {"file_path", "F" + std::to_string(i % 3) + ".lean"},
                     {"full_name", "thm" + std::to_string(i)},
                     {"start", {i, 1}},
                     {"traced_tactics", tactics}});
    }
    std::ofstream(dir_ / "theorems.json") << all.dump();
  }
  void TearDown() override { fs::remove_all(dir_); }

  int Run(const std::string& args) const {
    const std::string cmd = "'" + std::string(TATAMI_CLI) + "' data " + args + " >'" +
                            (dir_ / "stdout.txt").string() + "' 2>'" +
                            (dir_ / "stderr.txt").string() + "'";
    const int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  std::string Read(const fs::path& p) const {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  std::string Stderr() const { return Read(dir_ / "stderr.txt"); }
  std::set<std::string> Names(const fs::path& file) const {
    std::set<std::string> out;
    for (const json& t : json::parse(Read(file))) out.insert(t["full_name"].get<std::string>());
    return out;
  }
  std::string Split(const std::string& out, const std::string& extra) {
    return "split '" + (dir_ / "theorems.json").string() + "' -o '" + (dir_ / out).string() + "' " +
           extra;
  }

  fs::path dir_;
};

TEST_F(SplitCliTest, WritesBothSplitsWithTheirPromises) {
  ASSERT_EQ(Run(Split("out", "--num-val 20 --num-test 0.1 --seed 7")), 0) << Stderr();
  const fs::path random = dir_ / "out" / "random", novel = dir_ / "out" / "novel_premises";
  EXPECT_EQ(Names(random / "val.json").size(), 20u);
  EXPECT_EQ(Names(random / "test.json").size(), 20u);  // 0.1 of 200
  EXPECT_EQ(Names(random / "train.json").size(), 160u);
  EXPECT_EQ(Names(novel / "val.json").size(), 20u);
  EXPECT_GE(Names(novel / "test.json").size(), 20u);
  for (const fs::path& d : {random, novel}) {
    std::set<std::string> all;
    std::size_t count = 0;
    for (const char* part : {"train", "val", "test"}) {
      const auto names = Names(d / (part + std::string(".json")));
      count += names.size();
      all.insert(names.begin(), names.end());
    }
    EXPECT_EQ(count, 200u);
    EXPECT_EQ(all.size(), 200u);
  }
  // Every held-out theorem uses a premise absent from train.
  std::set<std::string> train_premises;
  for (const json& t : json::parse(Read(novel / "train.json")))
    for (const json& tac : t["traced_tactics"])
      for (const json& p : tac["annotated_tactic"][1]) train_premises.insert(p["full_name"]);
  for (const char* part : {"val.json", "test.json"})
    for (const json& t : json::parse(Read(novel / part))) {
      bool novel_premise = false;
      for (const json& tac : t["traced_tactics"])
        for (const json& p : tac["annotated_tactic"][1])
          novel_premise |= !train_premises.count(p["full_name"]);
      EXPECT_TRUE(novel_premise) << t["full_name"];
    }
  EXPECT_NE(Stderr().find("random: train 160, val 20, test 20"), std::string::npos) << Stderr();
}

TEST_F(SplitCliTest, SameSeedSameBytesOtherSeedOtherSplit) {
  ASSERT_EQ(Run(Split("a", "--num-val 10 --num-test 10 --seed 1")), 0) << Stderr();
  ASSERT_EQ(Run(Split("b", "--num-val 10 --num-test 10 --seed 1")), 0) << Stderr();
  ASSERT_EQ(Run(Split("c", "--num-val 10 --num-test 10 --seed 2")), 0) << Stderr();
  for (const char* f :
       {"random/train.json", "random/val.json", "random/test.json", "novel_premises/train.json",
        "novel_premises/val.json", "novel_premises/test.json"})
    EXPECT_EQ(Read(dir_ / "a" / f), Read(dir_ / "b" / f)) << f;
  EXPECT_NE(Read(dir_ / "a" / "random/val.json"), Read(dir_ / "c" / "random/val.json"));
  EXPECT_NE(Read(dir_ / "a" / "novel_premises/val.json"),
            Read(dir_ / "c" / "novel_premises/val.json"));
}

TEST_F(SplitCliTest, ResplitsABenchmarkDirectoryInPlace) {
  ASSERT_EQ(Run(Split("bench", "--num-val 10 --num-test 10")), 0) << Stderr();
  // The directory's random/ split is the input; the output replaces it.
  const std::string bench = (dir_ / "bench").string();
  ASSERT_EQ(Run("split '" + bench + "' -o '" + bench + "' --num-val 30 --num-test 30 --seed 9"), 0)
      << Stderr();
  EXPECT_EQ(Names(dir_ / "bench/random/val.json").size(), 30u);
  EXPECT_EQ(Names(dir_ / "bench/random/train.json").size(), 140u);
  EXPECT_NE(Stderr().find("200 theorems (seed 9)"), std::string::npos) << Stderr();
}

TEST_F(SplitCliTest, BadInputAndUsage) {
  EXPECT_EQ(Run("split --help"), 0);
  EXPECT_NE(Read(dir_ / "stdout.txt").find("--num-val"), std::string::npos);
  EXPECT_EQ(Run("--help"), 0);
  EXPECT_NE(Read(dir_ / "stdout.txt").find("export"), std::string::npos);

  EXPECT_EQ(Run(Split("o", "--num-val abc")), 2);
  EXPECT_NE(Stderr().find("--num-val: expected a count"), std::string::npos) << Stderr();
  EXPECT_EQ(Run(Split("o", "--num-val 150 --num-test 51")), 1);
  EXPECT_NE(Stderr().find("need 201 theorems; there are 200"), std::string::npos) << Stderr();
  EXPECT_FALSE(fs::exists(dir_ / "o" / "random"));  // nothing written
  // 180 theorems use premises.
  EXPECT_EQ(Run(Split("o", "--num-val 100 --num-test 81")), 1);
  EXPECT_NE(Stderr().find("novel_premises"), std::string::npos) << Stderr();
  EXPECT_FALSE(fs::exists(dir_ / "o" / "random"));

  std::ofstream(dir_ / "bad.json")
      << R"([{"file_path": "A.lean", "full_name": "a"}, {"full_name": "b"}])";
  EXPECT_EQ(Run("split '" + (dir_ / "bad.json").string() + "' -o '" + (dir_ / "o").string() + "'"),
            1);
  EXPECT_NE(Stderr().find("bad.json[1]: needs string fields"), std::string::npos) << Stderr();
  EXPECT_EQ(Run("split '" + (dir_ / "missing.json").string() + "' -o x"), 1);
  EXPECT_NE(Stderr().find("missing.json: no such file"), std::string::npos) << Stderr();
}

}  // namespace
