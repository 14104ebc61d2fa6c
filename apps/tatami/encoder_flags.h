// Command-line flags that choose and tune the TorchScript encoder, shared by
// `index build`, `retrieve` and `retrieve-eval`.
#pragma once

#include <cstddef>
#include <string>

#include <CLI/CLI.hpp>

#include "tatami/retriever/encoder.h"

namespace tatami::cli {

struct EncoderFlags {
  std::string model;
  std::size_t batch_size = 32;
  int threads = 0;
  std::size_t max_length = 0;
  std::string plugin;

  retriever::EncoderOptions ToOptions() const {
    retriever::EncoderOptions o;
    o.batch_size = batch_size;
    o.num_threads = threads;
    o.max_length = max_length;
    o.plugin = plugin;
    return o;
  }
};

inline void AddEncoderFlags(CLI::App* cmd, EncoderFlags* f) {
  cmd->add_option("--encoder", f->model,
                  "TorchScript encoder (.pt) with tatami's contract (docs/retrieval.md)")
      ->required();
  cmd->add_option("--batch-size", f->batch_size, "texts per forward pass (default 32)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--threads", f->threads, "libtorch threads (default: one per core)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-length", f->max_length,
                  "ByT5 tokens per text incl. </s> (default: the module's, else 1024)");
  cmd->add_option("--plugin", f->plugin,
                  "path of libtatami_torch_encoder.so (default: $TATAMI_TORCH_PLUGIN, then "
                  "next to tatami, then the install and build trees)");
}

}  // namespace tatami::cli
