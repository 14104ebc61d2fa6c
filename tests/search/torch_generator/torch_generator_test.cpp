// The TorchScript generator end to end: the plugin is dlopen()ed by this
// torch-free test binary, runs small random models made by
// scripts/make_test_generator.py, and its candidates are compared with
// scripts/tests/reference_generator.py (Hugging Face's beam search in plain
// PyTorch, one request at a time) on the same model.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tatami/search/torchscript_generator.h"
#include "torch_test_models.h"

namespace tatami::search {
namespace {

std::optional<std::string> Unavailable() {
#ifndef TATAMI_HAVE_TORCH_GENERATOR_PLUGIN
  return std::string("tatami was built without libtorch (no generator plugin)");
#else
  return test_models::PythonTorchUnavailable();
#endif
}

#define REQUIRE_TORCH()                                                           \
  do {                                                                            \
    if (auto why = Unavailable()) GTEST_SKIP() << "no test generators: " << *why; \
  } while (0)

std::filesystem::path Dir() {
  const std::filesystem::path dir = TATAMI_TEST_GENERATOR_DIR;
  std::filesystem::create_directories(dir);
  return dir;
}

// A test model, made if missing.
std::filesystem::path TestGenerator(const std::string& variant = "ok", int seed = 0) {
  return test_models::TestModel(
      Dir() / fmt::format("{}-s{}.pt", variant, seed), "make_test_generator.py",
      fmt::format("--variant {} --seed {}", variant, seed), "test generator");
}

using Candidates = std::vector<std::vector<Candidate>>;

// Inputs are cut to this many tokens (ReProver's 2300 would make every test
// batch, padded to its longest row, cost seconds on a small machine).
constexpr std::size_t kMaxInput = 300;

TorchScriptGeneratorOptions Options() {
  TorchScriptGeneratorOptions options;
  options.max_input_length = kMaxInput;
  return options;
}

// The reference's candidates for `batch`.
Candidates Reference(const std::filesystem::path& model,
                     const std::vector<GenerationRequest>& batch, const std::string& name,
                     std::size_t max_output_length = 0) {
  nlohmann::json spec;
  spec["requests"] = nlohmann::json::array();
  for (const auto& r : batch) {
    spec["requests"].push_back(
        {{"state", r.state}, {"premises", r.premises}, {"num_candidates", r.num_candidates}});
  }
  spec["max_input_length"] = kMaxInput;
  if (max_output_length) spec["max_output_length"] = max_output_length;
  const auto in = Dir() / (name + ".requests.json");
  const auto out = Dir() / (name + ".expected.json");
  std::ofstream(in) << spec.dump();
  std::filesystem::remove(out);
  const std::string cmd = fmt::format(
      "'{}' '{}/scripts/tests/reference_generator.py' --model '{}' --requests '{}' -o '{}'",
      TATAMI_PYTHON, TATAMI_SOURCE_DIR, model.string(), in.string(), out.string());
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream f(out);
  const auto expected = nlohmann::json::parse(f);
  Candidates result;
  for (const auto& list : expected.at("candidates")) {
    result.emplace_back();
    for (const auto& c : list) result.back().push_back({c.at(0), c.at(1)});
  }
  return result;
}

void ExpectSame(const Candidates& ours, const Candidates& reference) {
  ASSERT_EQ(ours.size(), reference.size());
  for (std::size_t r = 0; r < ours.size(); ++r) {
    ASSERT_EQ(ours[r].size(), reference[r].size()) << "request " << r;
    for (std::size_t i = 0; i < ours[r].size(); ++i) {
      EXPECT_EQ(ours[r][i].tactic, reference[r][i].tactic) << "request " << r << " candidate " << i;
      EXPECT_NEAR(ours[r][i].logprob, reference[r][i].logprob, 1e-4)
          << "request " << r << " candidate " << i;
    }
  }
}

std::vector<GenerationRequest> Requests() {
  return {
      {"n : \xE2\x84\x95\n\xE2\x8A\xA2 n + 0 = n", {}, 8},  // "n : ℕ\n⊢ n + 0 = n"
      {"\xE2\x8A\xA2 True", {}, 1},
      {"x y : \xE2\x84\x9D\nh\xE2\x82\x80 : x + y = 10\n\xE2\x8A\xA2 x = 10 - y", {}, 16},
      {"a", {}, 0},
      {"\xE2\x8A\xA2 p \xE2\x88\xA7 q \xE2\x86\x92 q \xE2\x88\xA7 p",
       {"theorem and_comm : a \xE2\x88\xA7 b \xE2\x86\x94 b \xE2\x88\xA7 a", "lemma foo : 1 = 1"},
       5},
      {std::string(400, 'z') + "\n\xE2\x8A\xA2 False", {}, 4},  // cut to kMaxInput tokens
      {"", {}, 3},
      {"case h\n\xE2\x8A\xA2 0 < 1", {}, 2},
  };
}

TEST(TorchGenerator, BeamSearchMatchesThePythonReference) {
  REQUIRE_TORCH();
  for (int seed : {0, 1}) {
    const auto model = TestGenerator("ok", seed);
    auto gen = MakeTorchScriptGenerator(model, Options());
    const auto batch = Requests();
    const Candidates ours = gen->Generate(batch);
    ExpectSame(ours, Reference(model, batch, fmt::format("beam-s{}", seed)));
    EXPECT_TRUE(ours[3].empty());
    // The batch decoded together is what each request gives alone.
    for (std::size_t r = 0; r < batch.size(); r += 3) {
      const Candidates alone = gen->Generate({batch[r]});
      ASSERT_EQ(alone[0].size(), ours[r].size());
      for (std::size_t i = 0; i < alone[0].size(); ++i) {
        EXPECT_EQ(alone[0][i].tactic, ours[r][i].tactic);
        EXPECT_NEAR(alone[0][i].logprob, ours[r][i].logprob, 1e-4);
      }
    }
  }
}

TEST(TorchGenerator, LengthLimitMatchesThePythonReference) {
  REQUIRE_TORCH();
  const auto model = TestGenerator();
  TorchScriptGeneratorOptions options = Options();
  options.max_output_length = 4;  // at most 3 bytes: most beams hit the limit
  auto gen = MakeTorchScriptGenerator(model, options);
  const auto batch = Requests();
  ExpectSame(gen->Generate(batch), Reference(model, batch, "limit", 4));
  EXPECT_NE(gen->Describe().find("output 3 tokens"), std::string::npos) << gen->Describe();
}

TEST(TorchGenerator, GreedySamplingIsOneBeam) {
  REQUIRE_TORCH();
  const auto model = TestGenerator();
  TorchScriptGeneratorOptions options = Options();
  options.decoding = TorchScriptGeneratorOptions::Decoding::kSampling;
  options.top_p = 1e-9;
  auto gen = MakeTorchScriptGenerator(model, options);
  auto batch = Requests();
  const Candidates sampled = gen->Generate(batch);
  for (auto& r : batch) r.num_candidates = r.num_candidates > 0 ? 1 : 0;
  ExpectSame(sampled, Reference(model, batch, "greedy"));
  EXPECT_NE(gen->Describe().find("sampling"), std::string::npos);
}

TEST(TorchGenerator, SamplingIsReproducibleAndVaried) {
  REQUIRE_TORCH();
  const auto model = TestGenerator();
  TorchScriptGeneratorOptions options = Options();
  options.decoding = TorchScriptGeneratorOptions::Decoding::kSampling;
  options.temperature = 1.5;
  auto a = MakeTorchScriptGenerator(model, options)->Generate(Requests());
  auto b = MakeTorchScriptGenerator(model, options)->Generate(Requests());
  options.seed = 1;
  auto c = MakeTorchScriptGenerator(model, options)->Generate(Requests());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_GT(a[2].size(), 2u);  // 16 samples at temperature 1.5 are not all alike
}

TEST(TorchGenerator, ConcurrentCallsGiveTheSameAnswers) {
  REQUIRE_TORCH();
  auto gen = MakeTorchScriptGenerator(TestGenerator(), Options());
  const auto batch = Requests();
  const Candidates expected = gen->Generate(batch);
  std::vector<Candidates> got(3);
  std::vector<std::thread> threads;
  for (auto& g : got) threads.emplace_back([&] { g = gen->Generate(batch); });
  for (auto& t : threads) t.join();
  for (const auto& g : got) ExpectSame(g, expected);
}

std::string LoadError(const std::filesystem::path& model) {
  try {
    MakeTorchScriptGenerator(model, Options())->Generate(Requests());
  } catch (const TorchScriptGeneratorError& e) {
    return e.what();
  }
  return "";
}

TEST(TorchGenerator, BrokenModelsAreClearErrors) {
  REQUIRE_TORCH();
  EXPECT_NE(LoadError(TestGenerator("no-decode-step")).find("no method decode_step"),
            std::string::npos);
  EXPECT_NE(LoadError(TestGenerator("wrong-version")).find("contract_version 2"),
            std::string::npos);
  const std::string logits = LoadError(TestGenerator("bad-logits"));
  EXPECT_NE(logits.find("decode_step returned logits"), std::string::npos) << logits;
  const std::string fails = LoadError(TestGenerator("fails"));
  EXPECT_NE(fails.find("injected failure"), std::string::npos) << fails;
  EXPECT_NE(fails.find("fails-s0.pt"), std::string::npos) << fails;
  const auto garbage = Dir() / "garbage.pt";
  std::ofstream(garbage) << "not a TorchScript archive";
  const std::string e = LoadError(garbage);
  EXPECT_NE(e.find("cannot load"), std::string::npos) << e;
}

}  // namespace
}  // namespace tatami::search
