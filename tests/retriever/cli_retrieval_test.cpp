// `tatami index build`, `tatami retrieve` and `tatami retrieve-eval`, run as a
// user would, and the premise source of `tatami prove --index` (ProveRetrieval), with a test
// encoder and a synthetic corpus that holds every premise the recorded LeanDojo Benchmark 4 sample
// annotates (the real corpus.jsonl is not available; retrieval numbers on it are meaningless but
// computed end to end and checked for consistency). Also: --index-in-memory
// and the configuration keys behind it (index.in_memory,
// TATAMI_INDEX_IN_MEMORY) answer as the file mapping does.
#include <sys/wait.h>

#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "config_flags.h"
#include "encoder_test_support.h"
#include "fixtures.h"
#include "prove_retrieval.h"
#include "retrieval_setup.h"
#include "tatami/dojo/config.h"
#include "tatami/retriever/encoder.h"
#include "tatami/retriever/premise_index.h"
#include "tatami/retriever/premise_retriever.h"
#include "tatami/retriever/premise_text.h"

namespace tatami::retriever {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::TestEncoder;

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "tatami-cli-retrieval-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

// `env` holds NAME=VALUE settings for the command's environment.
CliRun RunCli(const std::vector<std::string>& args, const fs::path& scratch,
              const std::vector<std::string>& env = {}) {
  std::string cmd = "env";
  for (const auto& e : env) cmd += " " + Quote(e);
  cmd += " " + Quote(TATAMI_CLI);
  for (const auto& a : args) cmd += " " + Quote(a);
  const fs::path err_file = scratch / "stderr.txt";
  cmd += " 2>" + Quote(err_file.string()) + " </dev/null";
  CliRun run;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return run;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) run.out.append(buf.data(), n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(err_file);
  run.err.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return run;
}

fs::path SampleSplit() {
  return ::tatami::testing::FixturesDir() / "leandojo-benchmark4-sample/random/test.prefix.json";
}

// corpus.jsonl with every premise the sample annotates (located by its
// def_pos..def_end_pos span), 40 distractors, and the theorems' files, which
// import every file that defines premises (except themselves).
void WriteSyntheticCorpus(const fs::path& split, const fs::path& out) {
  std::ifstream in(split);
  const json data = json::parse(in);
  std::map<std::string, std::map<std::string, json>> defs;  // path -> name -> premise
  std::set<std::string> theorem_files;
  for (const auto& thm : data) {
    theorem_files.insert(thm["file_path"].get<std::string>());
    for (const auto& tac : thm["traced_tactics"]) {
      for (const auto& p : tac["annotated_tactic"][1]) {
        const std::string name = p["full_name"];
        const std::string last = name.substr(name.rfind('.') + 1);
        defs[p["def_path"]][name] = {{"full_name", name},
                                     {"code", "theorem " + last + " : " + name + " = " + name},
                                     {"start", p["def_pos"]},
                                     {"end", p["def_end_pos"]},
                                     {"kind", "commanddeclaration"}};
      }
    }
  }
  for (int i = 0; i < 40; ++i) {
    const std::string name = "Distractor.d" + std::to_string(i);
    defs["Distractors.lean"][name] = {
        {"full_name", name},
        {"code", "theorem d" + std::to_string(i) + " : " + std::to_string(i * 7919 % 1000) +
                     " \xE2\x89\xA4 " + std::to_string(i) + " := by omega"},
        {"start", {3 * i + 1, 1}},
        {"end", {3 * i + 2, 20}},
        {"kind", "commanddeclaration"}};
  }
  std::vector<std::string> def_only;
  for (const auto& [path, _] : defs) {
    if (!theorem_files.count(path)) def_only.push_back(path);
  }
  std::ofstream o(out);
  auto write_file = [&](const std::string& path, const json& imports) {
    json premises = json::array();
    if (defs.count(path)) {
      std::vector<json> sorted;
      for (const auto& [_, p] : defs[path]) sorted.push_back(p);
      std::sort(sorted.begin(), sorted.end(),
                [](const json& a, const json& b) { return a["start"] < b["start"]; });
      for (auto& p : sorted) premises.push_back(p);
    }
    o << json{{"path", path}, {"imports", imports}, {"premises", premises}}.dump() << "\n";
  };
  for (const auto& path : def_only) write_file(path, json::array());
  for (const auto& path : theorem_files) write_file(path, def_only);
}

class RetrievalCli : public ::testing::Test {
 protected:
  void SetUp() override {
    TATAMI_REQUIRE_TEST_ENCODERS();
    TATAMI_REQUIRE_FIXTURES("leandojo-benchmark4-sample/random/test.prefix.json");
    corpus_ = dir_ / "corpus.jsonl";
    WriteSyntheticCorpus(SampleSplit(), corpus_);
    index_ = dir_ / "premises.idx";
    encoder_ = TestEncoder("ok");
    CliRun run = RunCli({"index", "build", "--corpus", corpus_.string(), "--encoder",
                         encoder_.string(), "-o", index_.string(), "--batch-size", "8"},
                        dir_.path());
    ASSERT_EQ(run.exit_code, 0) << run.err;
    ASSERT_NE(run.out.find("wrote"), std::string::npos) << run.out;
  }

  CliRun Run(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    return RunCli(args, dir_.path(), env);
  }

  std::vector<std::string> RetrieveArgs(const std::string& file, int line, int column, int k,
                                        const fs::path& index, const fs::path& encoder) {
    return {"retrieve",
            "--index",
            index.string(),
            "--encoder",
            encoder.string(),
            "--file",
            file,
            "--line",
            std::to_string(line),
            "--column",
            std::to_string(column),
            "--k",
            std::to_string(k)};
  }

  TempDir dir_;
  fs::path corpus_, index_, encoder_;
};

const char* const kFile = "Mathlib/MeasureTheory/OuterMeasure/OfFunction.lean";
const char* const kState =
    "\xCE\xB1 : Type u_1\n\xE2\x8A\xA2 \xE2\x88\x80 (s : Set \xCE\xB1), s \xE2\x8A\x86 s";

TEST_F(RetrievalCli, IndexHoldsEveryPremiseEmbeddedInCorpusOrder) {
  Corpus corpus = Corpus::Load(corpus_);
  PremiseIndex index = PremiseIndex::Open(index_);
  auto encoder = LoadTorchScriptEncoder(encoder_);
  ASSERT_EQ(index.size(), corpus.premises().size());
  EXPECT_EQ(index.dim(), encoder->dim());
  EXPECT_EQ(index.encoder_fingerprint(), encoder->fingerprint());
  std::vector<std::string> texts;
  for (const auto& p : corpus.premises()) texts.push_back(PremiseText(p.full_name, p.code));
  Embeddings want = encoder->Encode(texts);
  const EmbeddingMatrix m = index.matrix();
  ASSERT_EQ(m.type, EmbeddingType::kF32);
  for (std::size_t i = 0; i < index.size(); ++i) {
    const float* row = static_cast<const float*>(m.data) + i * m.row_stride;
    for (std::size_t c = 0; c < m.dim; ++c) ASSERT_NEAR(row[c], want.row(i)[c], 1e-5f) << i;
  }
}

TEST_F(RetrievalCli, RetrieveRanksAccessiblePremises) {
  CliRun run = Run([&] {
    auto a = RetrieveArgs(kFile, 50, 1, 5, index_, encoder_);
    a.push_back("--json");
    a.push_back(kState);
    return a;
  }());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json out = json::parse(run.out);
  ASSERT_EQ(out["premises"].size(), 5u);
  // The same answer as the library gives for the same embedding.
  PremiseIndex index = PremiseIndex::Open(index_);
  auto encoder = LoadTorchScriptEncoder(encoder_);
  PremiseRetriever retriever(index);
  const auto hits = retriever.Retrieve(encoder->Encode({kState}).row(0), kFile, {50, 1}, 5);
  for (std::size_t r = 0; r < hits.size(); ++r) {
    const auto& p = out["premises"][r];
    EXPECT_EQ(p["rank"], r + 1);
    EXPECT_EQ(p["full_name"], index.premise(hits[r].premise).full_name);
    EXPECT_NEAR(p["score"].get<double>(), hits[r].score, 1e-6);
    EXPECT_NE(p["path"], kFile);  // its own premises (lines 92-116) end after line 50
  }
  // Text output: one line per premise.
  auto args = RetrieveArgs(kFile, 50, 1, 7, index_, encoder_);
  args.push_back(kState);
  run = Run(args);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(std::count(run.out.begin(), run.out.end(), '\n'), 7);
  EXPECT_EQ(run.out.rfind("1\t", 0), 0u) << run.out;
}

TEST_F(RetrievalCli, KLargerThanTheAccessibleSetReturnsThemAll) {
  // Distractors.lean imports nothing and line 2 is before its second premise ends.
  auto args = RetrieveArgs("Distractors.lean", 3, 1, 1000, index_, encoder_);
  args.insert(args.end(), {"--json", kState});
  CliRun run = Run(args);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(json::parse(run.out)["premises"].size(), 1u);
  EXPECT_NE(run.err.find("only 1 premises are accessible"), std::string::npos) << run.err;
}

TEST_F(RetrievalCli, BadRetrieveInputsAreClearErrors) {
  auto expect_error = [&](std::vector<std::string> args, const std::string& part) {
    CliRun run = Run(args);
    EXPECT_EQ(run.exit_code, 1) << part;
    EXPECT_NE(run.err.find(part), std::string::npos) << run.err;
  };
  auto args = RetrieveArgs(kFile, 50, 1, 0, index_, encoder_);
  args.push_back(kState);
  expect_error(args, "--k must be positive");
  args = RetrieveArgs("Nowhere.lean", 1, 1, 5, index_, encoder_);
  args.push_back(kState);
  expect_error(args, "file not in the corpus: Nowhere.lean");
  args = RetrieveArgs(kFile, 50, 1, 5, index_, encoder_);
  args.push_back("\xC3(");
  expect_error(args, "not valid UTF-8");
  args = RetrieveArgs(kFile, 50, 1, 5, dir_ / "missing.idx", encoder_);
  args.push_back(kState);
  expect_error(args, "missing.idx");
  // An index built by another encoder (other weights), or of another width.
  for (const auto& other : {TestEncoder("ok", 32, 1), TestEncoder("ok", 16, 0)}) {
    args = RetrieveArgs(kFile, 50, 1, 5, index_, other);
    args.push_back(kState);
    expect_error(args, "was built with encoder");
  }
  args = RetrieveArgs(kFile, 50, 1, 5, index_, dir_ / "missing.pt");
  args.push_back(kState);
  expect_error(args, "no such file");
}

// The copy in huge-page memory is read by the same kernels: the ranking and
// the scores are the file mapping's, however the copy is asked for.
TEST_F(RetrievalCli, IndexInMemoryAnswersAsTheMapping) {
  auto args = RetrieveArgs(kFile, 50, 1, 20, index_, encoder_);
  args.insert(args.end(), {"--json", kState});
  const CliRun mapped = Run(args);
  ASSERT_EQ(mapped.exit_code, 0) << mapped.err;
  ASSERT_EQ(json::parse(mapped.out)["premises"].size(), 20u);
  const fs::path toml = dir_ / "tatami.toml";
  std::ofstream(toml) << "[index]\nin_memory = true\n";
  const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> ways = {
      {{"--index-in-memory"}, {}},
      {{}, {"TATAMI_INDEX_IN_MEMORY=1"}},
      {{"--config", toml.string()}, {}},
      {{}, {"TATAMI_CONFIG=" + toml.string()}},
      // The flag beats the environment.
      {{"--no-index-in-memory"}, {"TATAMI_INDEX_IN_MEMORY=1"}},
  };
  for (const auto& [flags, env] : ways) {
    auto a = args;
    a.insert(a.begin() + 1, flags.begin(), flags.end());
    const CliRun run = Run(a, env);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.out, mapped.out)
        << ::testing::PrintToString(flags) << ::testing::PrintToString(env);
  }
  // retrieve-eval: every query of the split, masked per theorem.
  const std::vector<std::string> eval = {
      "retrieve-eval",   "--index", index_.string(),        "--encoder",
      encoder_.string(), "--split", SampleSplit().string(), "--json"};
  const CliRun eval_mapped = Run(eval);
  ASSERT_EQ(eval_mapped.exit_code, 0) << eval_mapped.err;
  auto in_memory = eval;
  in_memory.push_back("--index-in-memory");
  const CliRun eval_loaded = Run(in_memory);
  ASSERT_EQ(eval_loaded.exit_code, 0) << eval_loaded.err;
  EXPECT_EQ(eval_loaded.out, eval_mapped.out);
}

TEST_F(RetrievalCli, BadIndexInMemorySettingsAreClearErrors) {
  auto args = RetrieveArgs(kFile, 50, 1, 5, index_, encoder_);
  args.push_back(kState);
  auto expect_error = [&](const std::vector<std::string>& flags,
                          const std::vector<std::string>& env, const std::string& part) {
    auto a = args;
    a.insert(a.begin() + 1, flags.begin(), flags.end());
    const CliRun run = Run(a, env);
    EXPECT_NE(run.exit_code, 0) << part;
    EXPECT_TRUE(run.out.empty()) << run.out;
    EXPECT_NE(run.err.find(part), std::string::npos) << run.err;
  };
  expect_error({}, {"TATAMI_INDEX_IN_MEMORY=maybe"}, "TATAMI_INDEX_IN_MEMORY");
  const fs::path toml = dir_ / "bad.toml";
  std::ofstream(toml) << "[index]\nin_memory = \"yes\"\n";
  expect_error({"--config", toml.string()}, {}, "index.in_memory");
  expect_error({"--config", toml.string()}, {}, toml.string());
  const fs::path typo = dir_ / "typo.toml";
  std::ofstream(typo) << "[index]\nin_mem = true\n";
  expect_error({"--config", typo.string()}, {}, "unknown key `index.in_mem`");
  expect_error({"--index-in-memory=maybe"}, {}, "--index-in-memory");
  // retrieve-eval reads the same configuration.
  const CliRun run = Run({"retrieve-eval", "--index", index_.string(), "--encoder",
                          encoder_.string(), "--split", SampleSplit().string()},
                         {"TATAMI_INDEX_IN_MEMORY=maybe"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("TATAMI_INDEX_IN_MEMORY"), std::string::npos) << run.err;
}

TEST_F(RetrievalCli, BadIndexBuildInputsAreClearErrors) {
  auto build = [&](const fs::path& corpus, const fs::path& encoder, const fs::path& out) {
    return Run({"index", "build", "--corpus", corpus.string(), "--encoder", encoder.string(), "-o",
                out.string()});
  };
  CliRun run = build(dir_ / "missing.jsonl", encoder_, dir_ / "x.idx");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("missing.jsonl"), std::string::npos) << run.err;
  std::ofstream(dir_ / "bad.jsonl")
      << R"({"path": "A.lean", "imports": [], "premises": [{"full_name": "a", "code": "bad )"
      << "\xFF"
      << R"(", "start": [1, 1], "end": [1, 5]}]})"
      << "\n";
  run = build(dir_ / "bad.jsonl", encoder_, dir_ / "x.idx");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("UTF-8"), std::string::npos) << run.err;
  // A corpus without premises (here: one file that declares none).
  std::ofstream(dir_ / "empty.jsonl") << R"({"path": "A.lean", "imports": [], "premises": []})"
                                      << "\n";
  run = build(dir_ / "empty.jsonl", encoder_, dir_ / "x.idx");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("no premises"), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(dir_ / "x.idx"));
  run = build(corpus_, TestEncoder("nan"), dir_ / "x.idx");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("non-finite"), std::string::npos) << run.err;
  run = build(corpus_, encoder_, dir_ / "no-such-dir" / "x.idx");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_FALSE(fs::exists(dir_ / "x.idx"));
  // A failed build leaves an existing index as it was.
  const auto before = fs::file_size(index_);
  run = build(corpus_, TestEncoder("unnormalised"), index_);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(fs::file_size(index_), before);
  EXPECT_NO_THROW(PremiseIndex::Open(index_));
}

TEST_F(RetrievalCli, EvalOnTheRecordedSampleMatchesItsPredictions) {
  const fs::path preds = dir_ / "preds.jsonl";
  CliRun run = Run({"retrieve-eval", "--index", index_.string(), "--encoder", encoder_.string(),
                    "--split", SampleSplit().string(), "--json", "--predictions", preds.string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json out = json::parse(run.out);
  // Every tactic that names a premise is evaluated (the synthetic corpus has them all).
  std::ifstream in(SampleSplit());
  const json split = json::parse(in);
  std::size_t with_premises = 0, tactics = 0;
  for (const auto& thm : split) {
    for (const auto& tac : thm["traced_tactics"]) {
      ++tactics;
      if (!tac["annotated_tactic"][1].empty()) ++with_premises;
    }
  }
  EXPECT_EQ(out["tactics"], tactics);
  EXPECT_EQ(out["evaluated"], with_premises);
  EXPECT_EQ(out["unlocated_annotations"], 0);
  EXPECT_EQ(out["skipped_without_premises"], tactics - with_premises);
  // Recompute the metrics from the predictions file.
  std::ifstream pin(preds);
  std::string line;
  double r1 = 0, r10 = 0, mrr = 0;
  std::size_t n = 0;
  while (std::getline(pin, line)) {
    const json p = json::parse(line);
    std::set<std::string> pos(p["all_pos_premises"].begin(), p["all_pos_premises"].end());
    std::vector<std::string> got(p["retrieved_premises"].begin(), p["retrieved_premises"].end());
    ASSERT_EQ(got.size(), p["scores"].size());
    EXPECT_LE(got.size(), 100u);
    for (std::size_t i = 1; i < got.size(); ++i) {
      EXPECT_GE(p["scores"][i - 1].get<double>(), p["scores"][i].get<double>());
    }
    r1 += (!got.empty() && pos.count(got[0])) ? 1.0 / pos.size() : 0;
    std::size_t tp10 = 0;
    for (std::size_t i = 0; i < std::min<std::size_t>(10, got.size()); ++i)
      tp10 += pos.count(got[i]);
    r10 += static_cast<double>(tp10) / pos.size();
    for (std::size_t i = 0; i < got.size(); ++i) {
      if (pos.count(got[i])) {
        mrr += 1.0 / (i + 1);
        break;
      }
    }
    ++n;
  }
  ASSERT_EQ(n, with_premises);
  EXPECT_NEAR(out["recall@1"].get<double>(), 100 * r1 / n, 1e-9);
  EXPECT_NEAR(out["recall@10"].get<double>(), 100 * r10 / n, 1e-9);
  EXPECT_NEAR(out["mrr"].get<double>(), mrr / n, 1e-9);
  // Text output has the summary line.
  run = Run({"retrieve-eval", "--index", index_.string(), "--encoder", encoder_.string(), "--split",
             SampleSplit().string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("R@1 = "), std::string::npos) << run.out;
  // Bad split file.
  std::ofstream(dir_ / "bad.json") << "{}";
  run = Run({"retrieve-eval", "--index", index_.string(), "--encoder", encoder_.string(), "--split",
             (dir_ / "bad.json").string()});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("JSON list"), std::string::npos) << run.err;
}

// `tatami prove --index`'s premise source answers each state as the library
// does for its theorem's scope: a corpus file and position give the premises
// accessible there, anything else every premise; a batch answers as its
// states one by one; an ended scope gets nothing, an unknown one is misuse.
TEST_F(RetrievalCli, ProveRetrievalAnswersEachStateWithinItsScope) {
  constexpr int kPremises = 4;
  cli::EncoderFlags flags;
  flags.model = encoder_.string();
  cli::ProveRetrieval source(index_.string(), flags, kPremises);
  PremiseIndex index = PremiseIndex::Open(index_);
  auto encoder = LoadTorchScriptEncoder(encoder_);
  PremiseRetriever retriever(index);
  auto texts = [&](const std::vector<Hit>& hits) {
    std::vector<std::string> out;
    for (const Hit& h : hits) {
      const PremiseRecord p = index.premise(h.premise);
      out.push_back(PremiseText(p.full_name, p.code));
    }
    return out;
  };
  const std::string other_state = "n : Nat\n\xE2\x8A\xA2 n + 0 = n";
  const auto at_file =
      texts(retriever.Retrieve(encoder->Encode({kState}).row(0), kFile, {50, 1}, kPremises));
  const AccessMask all(index.size(), /*all=*/true);
  const auto everywhere =
      texts(retriever.retriever().Retrieve(encoder->Encode({other_state}).row(0), all, kPremises));
  ASSERT_EQ(at_file.size(), std::size_t{kPremises});
  ASSERT_EQ(everywhere.size(), std::size_t{kPremises});

  auto scoped = source.ScopeFor(kFile, Pos{50, 1});
  EXPECT_NE(scoped.id(), 0u);
  // Unknown to the index, or without a position: every premise.
  EXPECT_EQ(source.ScopeFor("Not/In/The/Index.lean", Pos{1, 1}).id(), 0u);
  EXPECT_EQ(source.ScopeFor(kFile, std::nullopt).id(), 0u);

  const auto batch = source.Premises({kState, other_state, kState}, {scoped.id(), 0, scoped.id()});
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_EQ(batch[0], at_file);
  EXPECT_EQ(batch[1], everywhere);
  EXPECT_EQ(batch[2], at_file);
  EXPECT_EQ(source.Premises({kState}, {scoped.id()})[0], at_file);
  // The scope matters: Distractors.lean imports nothing, and at line 3 one
  // premise of its own has ended.
  auto narrow = source.ScopeFor("Distractors.lean", Pos{3, 1});
  const auto one = texts(
      retriever.Retrieve(encoder->Encode({kState}).row(0), "Distractors.lean", {3, 1}, kPremises));
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(source.Premises({kState, kState}, {narrow.id(), scoped.id()}),
            (std::vector<std::vector<std::string>>{one, at_file}));

  const std::uint64_t ended = scoped.id();
  { auto moved = std::move(scoped); }
  const auto after = source.Premises({kState, other_state}, {ended, 0});
  EXPECT_TRUE(after[0].empty());
  EXPECT_EQ(after[1], everywhere);

  EXPECT_THROW(source.Premises({kState}, {std::uint64_t{1} << 40}), std::invalid_argument);
  EXPECT_THROW(source.Premises({kState, kState}, {0}), std::invalid_argument);
  EXPECT_EQ(source.Describe(), encoder->fingerprint());
}

// The CLI's layers reach IndexOpenOptions (whose load_into_memory the index
// tests follow to embeddings_loaded()): the flag beats the environment, which
// beats the file; nothing set keeps the retriever's default.
TEST(IndexInMemoryConfig, ReachesTheIndexOptions) {
  EXPECT_EQ(dojo::Config{}.index_in_memory, IndexOpenOptions{}.load_into_memory)
      << "dojo::Config repeats IndexOpenOptions' default";
  auto resolve = [](std::vector<std::string> args, std::map<std::string, std::string> vars) {
    CLI::App app{"test"};
    cli::ConfigFlags flags;
    cli::AddConfigFlags(app, &flags, cli::ConfigFlagSet::kConfigOnly);
    cli::AddIndexFlags(app, &flags);
    std::reverse(args.begin(), args.end());  // CLI11 takes them reversed
    app.parse(args);
    const dojo::EnvGetter env = [vars](const std::string& name) -> std::optional<std::string> {
      auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
    return cli::IndexOpenOptionsFor(cli::ResolveConfig(flags, env)).load_into_memory;
  };
  EXPECT_EQ(resolve({}, {}), IndexOpenOptions{}.load_into_memory);
  EXPECT_TRUE(resolve({"--index-in-memory"}, {}));
  EXPECT_TRUE(resolve({}, {{"TATAMI_INDEX_IN_MEMORY", "on"}}));
  EXPECT_FALSE(resolve({"--no-index-in-memory"}, {{"TATAMI_INDEX_IN_MEMORY", "on"}}));
  EXPECT_FALSE(resolve({}, {{"TATAMI_INDEX_IN_MEMORY", "0"}}));
  TempDir dir;
  std::ofstream(dir / "t.json") << R"({"index": {"in_memory": true}})";
  EXPECT_TRUE(resolve({"--config", (dir / "t.json").string()}, {}));
  EXPECT_TRUE(resolve({}, {{"TATAMI_CONFIG", (dir / "t.json").string()}}));
  EXPECT_FALSE(
      resolve({"--config", (dir / "t.json").string()}, {{"TATAMI_INDEX_IN_MEMORY", "no"}}));
}

}  // namespace
}  // namespace tatami::retriever
