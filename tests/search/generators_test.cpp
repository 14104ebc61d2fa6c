// Scripted and fixed generators, the --generator factory, the retrieval
// input format, the batching front and the tree export.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "fake_environment.h"
#include "tatami/search/batching_generator.h"
#include "tatami/search/best_first_search.h"
#include "tatami/search/fixed_generator.h"
#include "tatami/search/generator_factory.h"
#include "tatami/search/retrieval_augmented_generator.h"
#include "tatami/search/scripted_generator.h"
#include "tatami/search/tree_export.h"

namespace tatami::search {
namespace {

namespace fs = std::filesystem;
using Cands = std::vector<Candidate>;

GenerationRequest Req(std::string state, int n = 64) {
  GenerationRequest r;
  r.state = std::move(state);
  r.num_candidates = n;
  return r;
}

TEST(ScriptedGenerator, AnswersFromTheFileInFileOrderAndNothingForUnknownStates) {
  auto g = ScriptedGenerator::FromJson(
      R"({"a ⊢ b": [{"tactic": "simp", "logprob": -0.5}, {"tactic": "rfl", "logprob": -0.1}]})",
      "t.json");
  auto out = g.Generate({Req("a ⊢ b"), Req("other"), Req("a ⊢ b", 1)});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], (Cands{{"simp", -0.5}, {"rfl", -0.1}}));
  EXPECT_TRUE(out[1].empty());
  EXPECT_EQ(out[2], (Cands{{"simp", -0.5}}));
}

TEST(ScriptedGenerator, BadFilesAreErrorsNamingFileAndState) {
  auto message = [](const std::string& text) {
    try {
      ScriptedGenerator::FromJson(text, "g.json");
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("{").find("g.json: not valid JSON"), std::string::npos);
  EXPECT_NE(message("[]").find("expected an object"), std::string::npos);
  const std::string m = message(R"({"S1": [{"tactic": "x"}]})");
  EXPECT_NE(m.find("\"S1\""), std::string::npos) << m;
  EXPECT_NE(m.find("candidate 0"), std::string::npos) << m;
}

TEST(FixedGenerator, SameListWithEqualScoresForEveryState) {
  FixedGenerator g;
  auto out = g.Generate({Req("x"), Req("y", 2)});
  ASSERT_EQ(out[0].size(), 6u);
  EXPECT_EQ(out[0][0].tactic, "simp");
  EXPECT_EQ(out[0][5].tactic, "aesop");
  EXPECT_DOUBLE_EQ(out[0][0].logprob, out[0][5].logprob);
  EXPECT_EQ(out[1].size(), 2u);
  EXPECT_EQ(g.Describe(), "fixed:simp,omega,norm_num,linarith,decide,aesop");
}

TEST(GeneratorFactory, ParsesSpecsAndNamesWhatIsWrong) {
  EXPECT_EQ(MakeGenerator("fixed")->Describe(), "fixed:simp,omega,norm_num,linarith,decide,aesop");
  EXPECT_EQ(MakeGenerator("fixed:rfl,ring")->Describe(), "fixed:rfl,ring");
  auto error = [](const std::string& spec) {
    try {
      MakeGenerator(spec);
    } catch (const GeneratorSpecError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error("torchscript:/nonexistent/m.pt").find("/nonexistent/m.pt"), std::string::npos);
  EXPECT_NE(error("fixed:a,,b").find("empty tactic"), std::string::npos);
  EXPECT_NE(error("scripted:/nonexistent/x.json").find("cannot read /nonexistent/x.json"),
            std::string::npos);
  EXPECT_NE(error("magic").find("unknown generator"), std::string::npos);

  const fs::path file = fs::temp_directory_path() / ("tatami_gen_" + std::to_string(::getpid()));
  std::ofstream(file) << R"({"s": [{"tactic": "t", "logprob": 0}]})";
  EXPECT_EQ(MakeGenerator("scripted:" + file.string())->Generate({Req("s")})[0], (Cands{{"t", 0}}));
  fs::remove(file);

  RegisterTorchScriptGenerator([](const std::string& path) {
    return std::make_shared<FixedGenerator>(std::vector<std::string>{"from " + path});
  });
  EXPECT_EQ(MakeGenerator("torchscript:m.pt")->Describe(), "fixed:from m.pt");
  RegisterTorchScriptGenerator(nullptr);
}

TEST(FormatAugmentedState, PremisesInFrontBestNearestSkippingThoseThatDoNotFit) {
  EXPECT_EQ(FormatAugmentedState("S", {"p1", "p2"}, 100), "p2\n\np1\n\nS");
  // Budget 10 - 1 = 9 bytes: "p1\n\n" (4) fits, "long premise\n\n" does not, "p3\n\n" (4) does.
  EXPECT_EQ(FormatAugmentedState("S", {"p1", "long premise", "p3"}, 10), "p3\n\np1\n\nS");
  EXPECT_EQ(FormatAugmentedState("a long state", {"p"}, 4), "a long state");
  EXPECT_EQ(FormatAugmentedState("S", {}, 10), "S");
}

// Records every batch it is called with.
class RecordingGenerator : public TacticGenerator {
 public:
  std::vector<std::vector<Candidate>> Generate(
      const std::vector<GenerationRequest>& batch) override {
    std::lock_guard lock(mu);
    batches.push_back(batch);
    std::vector<std::vector<Candidate>> out;
    for (const auto& r : batch) {
      std::string premises;
      for (const auto& p : r.premises) premises += p + ";";
      out.push_back({{r.state + "|" + premises, -1}});
    }
    return out;
  }
  std::string Describe() const override { return "recording"; }
  std::mutex mu;
  std::vector<std::vector<GenerationRequest>> batches;
};

TEST(RetrievalAugmentedGenerator, FillsPremisesForRequestsWithoutThem) {
  auto inner = std::make_shared<RecordingGenerator>();
  RetrievalAugmentedGenerator g(
      inner, [](const std::vector<std::string>& states, const std::vector<std::uint64_t>&) {
        std::vector<std::vector<std::string>> out;
        for (const auto& s : states) out.push_back({"P(" + s + ")"});
        return out;
      });
  GenerationRequest given = Req("b");
  given.premises = {"mine"};
  auto out = g.Generate({Req("a"), given});
  EXPECT_EQ(out[0][0].tactic, "a|P(a);");
  EXPECT_EQ(out[1][0].tactic, "b|mine;");
}

TEST(RetrievalAugmentedGenerator, AsksOnceABatchWithEachRequestsScope) {
  auto inner = std::make_shared<RecordingGenerator>();
  std::vector<std::pair<std::vector<std::string>, std::vector<std::uint64_t>>> calls;
  RetrievalAugmentedGenerator g(
      inner, [&](const std::vector<std::string>& states, const std::vector<std::uint64_t>& scopes) {
        calls.emplace_back(states, scopes);
        std::vector<std::vector<std::string>> out;
        for (std::size_t i = 0; i < states.size(); ++i)
          out.push_back({"P" + std::to_string(scopes[i]) + "(" + states[i] + ")"});
        return out;
      });
  std::vector<GenerationRequest> batch{Req("a"), Req("b"), Req("c")};
  batch[0].premise_scope = 7;
  batch[1].premises = {"mine"};  // keeps its own; not asked for
  batch[2].premise_scope = 9;
  auto out = g.Generate(batch);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].first, (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(calls[0].second, (std::vector<std::uint64_t>{7, 9}));
  EXPECT_EQ(out[0][0].tactic, "a|P7(a);");
  EXPECT_EQ(out[1][0].tactic, "b|mine;");
  EXPECT_EQ(out[2][0].tactic, "c|P9(c);");
}

TEST(BatchingGenerator, GathersConcurrentCallersIntoOneBatchAndAnswersEach) {
  auto inner = std::make_shared<RecordingGenerator>();
  BatchingOptions o;
  o.max_batch = 8;
  o.max_wait = std::chrono::seconds(30);  // only "every client waiting" can flush early
  BatchingGenerator g(inner, o);
  constexpr int kClients = 4;
  std::vector<std::unique_ptr<BatchingGenerator::Client>> clients;
  for (int i = 0; i < kClients; ++i)
    clients.push_back(std::make_unique<BatchingGenerator::Client>(g));
  std::vector<std::string> answers(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i)
    threads.emplace_back(
        [&, i] { answers[i] = g.Generate({Req("s" + std::to_string(i))})[0][0].tactic; });
  for (auto& t : threads) t.join();
  for (int i = 0; i < kClients; ++i) EXPECT_EQ(answers[i], "s" + std::to_string(i) + "|");
  ASSERT_EQ(inner->batches.size(), 1u);  // all four in one call
  EXPECT_EQ(inner->batches[0].size(), 4u);
  EXPECT_EQ(g.stats().calls, 1u);
}

TEST(BatchingGenerator, RespectsMaxBatchAndPassesErrorsToTheirCallers) {
  class Failing : public TacticGenerator {
   public:
    std::vector<std::vector<Candidate>> Generate(const std::vector<GenerationRequest>&) override {
      throw std::runtime_error("model missing");
    }
    std::string Describe() const override { return "failing"; }
  };
  BatchingGenerator failing(std::make_shared<Failing>());
  EXPECT_THROW(failing.Generate({Req("x")}), std::runtime_error);

  auto inner = std::make_shared<RecordingGenerator>();
  BatchingOptions o;
  o.max_batch = 2;
  BatchingGenerator g(inner, o);
  auto out = g.Generate({Req("a"), Req("b"), Req("c")});  // one caller's group goes whole
  EXPECT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2][0].tactic, "c|");
}

TEST(TreeExport, JsonAndDotDescribeNodesAndEdges) {
  testing::FakeEnvironment env("x : Nat\n⊢ \"x\" = x",
                               {{"x : Nat\n⊢ \"x\" = x", {{"rfl", "done"}, {"bad", "err"}}}});
  auto gen = ScriptedGenerator::FromJson(
      R"({"x : Nat\n⊢ \"x\" = x": [{"tactic": "bad", "logprob": -0.1}, {"tactic": "rfl", "logprob": -0.2}]})",
      "t");
  SearchResult r = BestFirstSearch(env, gen, {});
  const nlohmann::json j = TreeToJson(r.tree);
  ASSERT_EQ(j["nodes"].size(), 3u);
  EXPECT_EQ(j["nodes"][0]["status"], "proved");
  EXPECT_EQ(j["nodes"][0]["distance_to_proof"], 1.0);
  EXPECT_EQ(j["nodes"][1]["kind"], "failure");
  EXPECT_EQ(j["nodes"][1]["distance_to_proof"], nullptr);
  // The environment's kind and message, on failure leaves only.
  EXPECT_EQ(j["nodes"][1]["failure"],
            (nlohmann::json{{"kind", "tactic_error"}, {"message", "err"}}));
  EXPECT_EQ(j["nodes"][1]["text"], "err");
  EXPECT_FALSE(j["nodes"][0].contains("failure"));
  EXPECT_FALSE(j["nodes"][2].contains("failure"));
  EXPECT_EQ(j["nodes"][2]["kind"], "proof_finished");
  EXPECT_EQ(j["edges"][1]["tactic"], "rfl");
  const std::string dot = TreeToDot(r.tree, "t");
  EXPECT_EQ(dot.rfind("digraph \"t\" {", 0), 0u);
  EXPECT_NE(dot.find("n0 -> n2"), std::string::npos);
  EXPECT_NE(dot.find("\\\"x\\\""), std::string::npos);  // quotes escaped
}

}  // namespace
}  // namespace tatami::search
