// `tatami index build --corpus corpus.jsonl --encoder enc.pt -o premises.idx`
//
// Embeds every premise of a LeanDojo corpus (the text ReProver embeds:
// premise_text.h) with a TorchScript encoder and writes a premise index
// (premise_index.h) recording the encoder's fingerprint and dimension.
// Premises are encoded in windows of corpus order, sorted by length inside a
// window so that a batch holds texts of similar length; the index is written
// to a temporary file and renamed at the end, so an interrupted or failed
// build leaves any existing index untouched.
//
// Exit status: 0 on success, 1 on bad input or failure, 130 when interrupted.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "commands.h"
#include "encoder_flags.h"
#include "interrupt.h"
#include "progress_bar.h"
#include "tatami/retriever/byt5_tokenizer.h"
#include "tatami/retriever/corpus.h"
#include "tatami/retriever/encoder.h"
#include "tatami/retriever/premise_index.h"
#include "tatami/retriever/premise_text.h"

namespace tatami::cli {
namespace {

namespace rt = tatami::retriever;

struct IndexBuildFlags {
  std::string corpus;
  std::string output;
  std::string dtype = "f32";
  EncoderFlags encoder;
  bool no_progress = false;
};

class Interrupted : public std::exception {};

int RunIndexBuild(const IndexBuildFlags& f) {
  // Known before the encoding, not after it.
  if (std::filesystem::is_directory(f.output))
    throw std::invalid_argument("-o " + f.output + " is a directory, not an index file to write");
  const rt::EmbeddingType dtype =
      f.dtype == "f16" ? rt::EmbeddingType::kF16 : rt::EmbeddingType::kF32;
  rt::Corpus corpus = rt::Corpus::Load(f.corpus);
  if (!corpus.issues().empty()) {
    std::fprintf(stderr, "tatami: warning: %s: %zu issue(s), first: line %zu: %s\n",
                 f.corpus.c_str(), corpus.issues().size(), corpus.issues().front().line,
                 corpus.issues().front().message.c_str());
  }
  // An index with no rows retrieves nothing: almost surely the wrong corpus.
  if (corpus.premises().empty())
    throw std::invalid_argument("--corpus " + f.corpus + ": no premises in " +
                                std::to_string(corpus.files().size()) +
                                " file(s); nothing to index");
  auto encoder = rt::LoadTorchScriptEncoder(f.encoder.model, f.encoder.ToOptions());
  std::fprintf(stderr, "tatami: using %s\n", encoder->Describe().c_str());

  rt::IndexWriterOptions wopts;
  wopts.dtype = dtype;
  wopts.encoder_fingerprint = encoder->fingerprint();
  rt::IndexWriter writer(f.output, corpus, static_cast<std::uint32_t>(encoder->dim()), wopts);

  const auto& premises = corpus.premises();
  const std::size_t n = premises.size();
  const std::size_t batch = f.encoder.batch_size;
  const std::size_t window = std::max<std::size_t>(batch * 64, 2048);
  ProgressBar bar("encoding premises", n, !f.no_progress);
  const InterruptScope interrupt;

  std::vector<float> rows;
  for (std::size_t begin = 0; begin < n; begin += window) {
    const std::size_t end = std::min(n, begin + window);
    std::vector<std::string> texts;
    texts.reserve(end - begin);
    for (std::size_t i = begin; i < end; ++i) {
      texts.push_back(rt::PremiseText(premises[i].full_name, premises[i].code));
    }
    std::vector<std::size_t> order(texts.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return texts[a].size() < texts[b].size();
    });
    rows.assign(texts.size() * encoder->dim(), 0.0f);
    for (std::size_t b = 0; b < order.size(); b += batch) {
      if (interrupt.requested()) throw Interrupted();
      std::vector<std::string> chunk;
      const std::size_t e = std::min(order.size(), b + batch);
      for (std::size_t k = b; k < e; ++k) chunk.push_back(std::move(texts[order[k]]));
      rt::Embeddings emb;
      try {
        emb = encoder->Encode(chunk);
      } catch (const rt::InvalidUtf8Error& err) {
        const std::size_t p = begin + order[b + err.text_index()];
        throw std::runtime_error(
            fmt::format("premise {} ({}) in {}: code is not valid UTF-8 "
                        "(byte offset {})",
                        p, premises[p].full_name, corpus.PathOf(p), err.byte_offset()));
      }
      for (std::size_t k = b; k < e; ++k) {
        std::copy_n(emb.values.data() + (k - b) * emb.dim, emb.dim,
                    rows.data() + order[k] * emb.dim);
      }
      bar.Update(begin + e);
    }
    writer.Append(rows);
  }
  if (interrupt.requested()) throw Interrupted();
  writer.Finish();
  bar.Finish();
  std::printf("wrote %s: %zu premises from %zu files, dim %zu, %s, encoder %s, %.1f s\n",
              f.output.c_str(), n, corpus.files().size(), encoder->dim(),
              std::string(rt::ToString(dtype)).c_str(), encoder->fingerprint().c_str(),
              bar.Seconds());
  return 0;
}

}  // namespace

void AddIndexCommand(CLI::App& app, int* exit_code) {
  auto* index = app.add_subcommand("index", "Premise index files (dense retrieval)");
  index->require_subcommand(1);
  auto flags = std::make_shared<IndexBuildFlags>();
  auto* build = index->add_subcommand(
      "build", "Embed every premise of a LeanDojo corpus.jsonl into a premise index file");
  build->add_option("--corpus", flags->corpus, "LeanDojo Benchmark 4 corpus.jsonl")->required();
  build->add_option("-o,--output", flags->output, "index file to write (atomically)")->required();
  build->add_option("--dtype", flags->dtype, "embedding storage: f32 (default) or f16")
      ->check(CLI::IsMember({"f32", "f16"}));
  build->add_flag("--no-progress", flags->no_progress, "no progress bar on a terminal");
  AddEncoderFlags(build, &flags->encoder);
  build->callback([flags, exit_code] {
    try {
      *exit_code = RunIndexBuild(*flags);
    } catch (const Interrupted&) {
      std::fprintf(stderr, "\ntatami: interrupted; %s was not written\n", flags->output.c_str());
      *exit_code = 130;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "tatami: error: %s\n", e.what());
      *exit_code = 1;
    }
  });
}

}  // namespace tatami::cli
