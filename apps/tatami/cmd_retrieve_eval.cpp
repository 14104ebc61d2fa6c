// `tatami retrieve-eval --index premises.idx --encoder enc.pt --split test.json
//  [--k 100] [--json] [--predictions out.jsonl]`
//
// Evaluates premise retrieval on a LeanDojo Benchmark split the way ReProver
// does (definitions in tatami/retriever/retrieval_eval.h): one query per
// traced tactic with annotated premises, Recall@1, Recall@10 and MRR over the
// top k (default 100, ReProver's num_retrieved). Tactics whose theorem file is
// not in the index are skipped and counted, as are annotations that locate no
// premise. --predictions writes one JSON line per evaluated tactic (the
// fields of ReProver's predictions file), to a temporary file renamed at the
// end.
//
// Exit status: 0 on success, 1 on bad input.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "config_flags.h"
#include "encoder_flags.h"
#include "progress_bar.h"
#include "retrieval_setup.h"
#include "tatami/retriever/byt5_tokenizer.h"
#include "tatami/retriever/premise_retriever.h"
#include "tatami/retriever/retrieval_eval.h"

namespace tatami::cli {
namespace {

namespace rt = tatami::retriever;
using nlohmann::json;

struct EvalFlags {
  std::string index;
  EncoderFlags encoder;
  std::string split;
  int k = 100;
  bool json = false;
  std::string predictions;
  bool no_progress = false;
  ConfigFlags config;
};

struct Query {
  const rt::EvalTactic* tactic;
  std::vector<std::uint32_t> positives;
};

int RunEval(const EvalFlags& f) {
  if (f.k < 10) {
    throw std::invalid_argument(
        fmt::format("--k must be at least 10 (for Recall@10), got {}", f.k));
  }
  const rt::IndexOpenOptions open_options = IndexOpenOptionsFor(ResolveConfig(f.config));
  const std::vector<rt::EvalTactic> tactics = rt::LoadLeanDojoSplit(f.split);
  OpenedRetrieval opened = OpenIndexAndEncoder(f.index, f.encoder, open_options);
  rt::PremiseRetriever retriever(opened.index);
  rt::PremiseLocator locator(opened.index);

  std::vector<Query> queries;
  std::size_t unlocated = 0, without_premises = 0, unknown_file = 0;
  for (const auto& t : tactics) {
    Query q{&t, {}};
    for (const auto& p : t.premises) {
      if (auto i = locator.Locate(p.def_path, p.def_pos)) {
        q.positives.push_back(*i);
      } else {
        ++unlocated;
      }
    }
    if (q.positives.empty()) {
      ++without_premises;
    } else if (!retriever.accessibility().FindFile(t.theorem_path)) {
      ++unknown_file;
    } else {
      queries.push_back(std::move(q));
    }
  }

  ProgressBar bar("retrieve-eval", queries.size(), !f.no_progress);
  rt::RankingMetrics metrics;
  std::unique_ptr<std::ofstream> preds;
  // Unique, so that two runs writing the same predictions cannot mix.
  const std::string preds_tmp = f.predictions + ".tmp." + std::to_string(::getpid());
  if (!f.predictions.empty()) {
    // Known before the work, not after it.
    if (std::filesystem::is_directory(f.predictions))
      throw std::invalid_argument("--predictions " + f.predictions + " is a directory");
    preds = std::make_unique<std::ofstream>(preds_tmp, std::ios::binary | std::ios::trunc);
    if (!*preds) throw std::runtime_error("cannot write " + preds_tmp);
  }
  // Encode and retrieve in slices, so that memory stays bounded on a full split.
  const std::size_t slice = std::max<std::size_t>(f.encoder.batch_size * 8, 256);
  for (std::size_t begin = 0; begin < queries.size(); begin += slice) {
    const std::size_t end = std::min(queries.size(), begin + slice);
    std::vector<std::string> states;
    for (std::size_t i = begin; i < end; ++i) states.push_back(queries[i].tactic->state_before);
    rt::Embeddings emb;
    try {
      emb = opened.encoder->Encode(states);
    } catch (const rt::InvalidUtf8Error& e) {
      const rt::EvalTactic& t = *queries[begin + e.text_index()].tactic;
      throw std::runtime_error(fmt::format("{}: {} tactic {}: state_before is not valid UTF-8",
                                           f.split, t.theorem_name, t.tactic_index));
    }
    std::vector<rt::PremiseQuery> batch;
    for (std::size_t i = begin; i < end; ++i) {
      const rt::EvalTactic& t = *queries[i].tactic;
      batch.push_back({emb.row(i - begin), t.theorem_path, t.theorem_start});
    }
    const auto results = retriever.RetrieveBatch(batch, f.k);
    for (std::size_t i = begin; i < end; ++i) {
      const auto& hits = results[i - begin];
      std::vector<std::uint32_t> ranked;
      for (const auto& h : hits) ranked.push_back(h.premise);
      metrics.Add(ranked, queries[i].positives);
      if (preds) {
        const rt::EvalTactic& t = *queries[i].tactic;
        json line = {{"file_path", t.theorem_path},
                     {"full_name", t.theorem_name},
                     {"start", {t.theorem_start.line, t.theorem_start.column}},
                     {"tactic_idx", t.tactic_index},
                     {"all_pos_premises", json::array()},
                     {"retrieved_premises", json::array()},
                     {"scores", json::array()}};
        for (auto p : queries[i].positives) {
          line["all_pos_premises"].push_back(opened.index.premise(p).full_name);
        }
        for (const auto& h : hits) {
          line["retrieved_premises"].push_back(opened.index.premise(h.premise).full_name);
          line["scores"].push_back(h.score);
        }
        *preds << line.dump() << '\n';
      }
    }
    bar.Update(end);
  }
  bar.Finish();
  if (preds) {
    preds->flush();
    const bool written = static_cast<bool>(*preds);
    preds.reset();
    std::error_code ec;
    if (written) std::filesystem::rename(preds_tmp, f.predictions, ec);
    if (!written || ec) {
      std::filesystem::remove(preds_tmp, ec);
      throw std::runtime_error("cannot write " + f.predictions);
    }
  }
  if (metrics.queries() == 0)
    throw std::runtime_error(fmt::format(
        "{}: no tactic could be evaluated ({} tactics: {} without located premises, {} in files "
        "not in the index): is this the split of the corpus the index was built from?",
        f.split, tactics.size(), without_premises, unknown_file));

  const double r1 = metrics.RecallAt(1), r10 = metrics.RecallAt(10), mrr = metrics.Mrr();
  if (f.json) {
    json out = {{"split", f.split},
                {"k", f.k},
                {"tactics", tactics.size()},
                {"evaluated", metrics.queries()},
                {"skipped_without_premises", without_premises},
                {"skipped_file_not_in_index", unknown_file},
                {"unlocated_annotations", unlocated},
                {"recall@1", r1},
                {"recall@10", r10},
                {"mrr", mrr},
                {"encoder", opened.encoder->fingerprint()}};
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf(
        "%s: %zu tactics, %zu evaluated (%zu without located premises, %zu in files "
        "not in the index; %zu annotations located no premise)\n",
        f.split.c_str(), tactics.size(), metrics.queries(), without_premises, unknown_file,
        unlocated);
    std::printf("R@1 = %.2f %%, R@10 = %.2f %%, MRR = %.4f\n", r1, r10, mrr);
  }
  return 0;
}

}  // namespace

void AddRetrieveEvalCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<EvalFlags>();
  auto* cmd = app.add_subcommand("retrieve-eval",
                                 "Recall@1/@10 and MRR of premise retrieval on a LeanDojo split");
  cmd->add_option("--index", flags->index, "premise index (tatami index build)")->required();
  AddIndexFlags(*cmd, &flags->config);
  AddEncoderFlags(cmd, &flags->encoder);
  cmd->add_option("--split", flags->split, "LeanDojo Benchmark split JSON (e.g. random/test.json)")
      ->required();
  cmd->add_option("-k,--k", flags->k, "premises retrieved per tactic (default 100)");
  cmd->add_flag("--json", flags->json, "print the metrics as JSON");
  cmd->add_option("--predictions", flags->predictions,
                  "write each tactic's retrieval as JSON lines to this file");
  cmd->add_flag("--no-progress", flags->no_progress, "no progress bar on a terminal");
  AddConfigFlags(*cmd, &flags->config, ConfigFlagSet::kConfigOnly);
  cmd->callback([flags, exit_code] {
    try {
      *exit_code = RunEval(*flags);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "tatami: error: %s\n", e.what());
      *exit_code = 1;
    }
  });
}

}  // namespace tatami::cli
