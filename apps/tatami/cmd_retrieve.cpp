// `tatami retrieve --index premises.idx --encoder enc.pt --file F --line L
//  --column C [--k 100] [--json] ["<state>" | -]`
//
// Embeds a proof state and prints the k premises with the highest scores
// among those accessible at (F, L:C): premises of the files F imports and
// those of F that end at or before the position. Text output is one line per
// premise (rank, score, name, where); --json prints one object with every
// premise's metadata and code. The state is the positional argument, or
// stdin when it is "-" or absent.
//
// Exit status: 0 on success (fewer than k premises when fewer are
// accessible), 1 on bad input (unreadable index, mismatched encoder, file not
// in the corpus, k <= 0, state not UTF-8).
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "config_flags.h"
#include "encoder_flags.h"
#include "retrieval_setup.h"
#include "tatami/retriever/byt5_tokenizer.h"
#include "tatami/retriever/premise_retriever.h"

namespace tatami::cli {
namespace {

namespace rt = tatami::retriever;
using nlohmann::json;

struct RetrieveFlags {
  std::string index;
  EncoderFlags encoder;
  std::string file;
  int line = 0;
  int column = 0;
  int k = 100;
  bool json = false;
  std::string state = "-";
  ConfigFlags config;
};

int RunRetrieve(const RetrieveFlags& f) {
  if (f.k <= 0) throw std::invalid_argument(fmt::format("--k must be positive, got {}", f.k));
  const rt::IndexOpenOptions open_options = IndexOpenOptionsFor(ResolveConfig(f.config));
  std::string state = f.state;
  if (state == "-") {
    state.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  if (auto bad = rt::FindInvalidUtf8(state)) {
    throw std::invalid_argument(fmt::format("the state is not valid UTF-8 (byte offset {})", *bad));
  }
  if (f.line < 1 || f.column < 0)
    throw std::invalid_argument(fmt::format(
        "--line {} --column {}: lines count from 1 and columns from 0", f.line, f.column));
  OpenedRetrieval opened = OpenIndexAndEncoder(f.index, f.encoder, open_options);
  const rt::Pos pos{f.line, f.column};
  rt::PremiseRetriever retriever(opened.index);
  // Checks the file before paying for the encoder's forward pass.
  if (!retriever.accessibility().FindFile(f.file)) throw rt::UnknownFileError(f.file);
  rt::Embeddings emb = opened.encoder->Encode({state});
  const auto hits = retriever.Retrieve(emb.row(0), f.file, pos, f.k);

  if (f.json) {
    json out = {{"file", f.file},
                {"position", {f.line, f.column}},
                {"k", f.k},
                {"encoder", opened.encoder->fingerprint()},
                {"premises", json::array()}};
    for (std::size_t r = 0; r < hits.size(); ++r) {
      const rt::PremiseRecord p = opened.index.premise(hits[r].premise);
      out["premises"].push_back({{"rank", r + 1},
                                 {"score", hits[r].score},
                                 {"full_name", p.full_name},
                                 {"path", p.path},
                                 {"start", {p.start.line, p.start.column}},
                                 {"end", {p.end.line, p.end.column}},
                                 {"kind", p.kind},
                                 {"code", p.code}});
    }
    std::printf("%s\n", out.dump().c_str());
  } else {
    for (std::size_t r = 0; r < hits.size(); ++r) {
      const rt::PremiseRecord p = opened.index.premise(hits[r].premise);
      std::printf("%zu\t%.6f\t%.*s\t%.*s:%d:%d\n", r + 1, static_cast<double>(hits[r].score),
                  static_cast<int>(p.full_name.size()), p.full_name.data(),
                  static_cast<int>(p.path.size()), p.path.data(), p.start.line, p.start.column);
    }
  }
  if (hits.size() < static_cast<std::size_t>(f.k)) {
    std::fprintf(stderr, "tatami: note: only %zu premises are accessible at %s:%d:%d\n",
                 hits.size(), f.file.c_str(), f.line, f.column);
  }
  return 0;
}

}  // namespace

void AddRetrieveCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<RetrieveFlags>();
  auto* cmd = app.add_subcommand("retrieve",
                                 "Rank the premises accessible at a position for a proof state");
  cmd->add_option("--index", flags->index, "premise index (tatami index build)")->required();
  AddIndexFlags(*cmd, &flags->config);
  AddEncoderFlags(cmd, &flags->encoder);
  cmd->add_option("--file", flags->file, "the theorem's file, as the corpus names it")->required();
  cmd->add_option("--line", flags->line, "the theorem's line (1-based)")->required();
  cmd->add_option("--column", flags->column, "the theorem's column (as in LeanDojo data)")
      ->required();
  cmd->add_option("-k,--k", flags->k, "how many premises (default 100)");
  cmd->add_flag("--json", flags->json, "print JSON instead of text");
  cmd->add_option("state", flags->state, "the proof state (default or \"-\": read stdin)");
  AddConfigFlags(*cmd, &flags->config, ConfigFlagSet::kConfigOnly);
  cmd->callback([flags, exit_code] {
    try {
      *exit_code = RunRetrieve(*flags);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "tatami: error: %s\n", e.what());
      *exit_code = 1;
    }
  });
}

}  // namespace tatami::cli
