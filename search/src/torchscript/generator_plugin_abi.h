// The boundary between the torch-free TorchScript generator and its libtorch
// plugin (search/torch/, libtatami_torch_generator.so).
//
// The plugin exports kCreateGeneratorSymbol, which loads a TorchScript module
// of the generator contract (docs/generator.md) and returns a
// GeneratorBackend. The backend only runs the module: encode() once per batch,
// then one decode_step() per output position, returning log-probabilities.
// Tokenisation, beam search, sampling and turning ids back into text live on
// the torch-free side, where they are tested with a fake backend. Host and
// plugin are built from the same tree by the same compiler, so C++ types cross
// the boundary; kGeneratorPluginAbiVersion guards against a stale plugin.
//
// Thread-safety: a GeneratorBackend and its sessions are not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tatami/retriever/byt5_tokenizer.h"

namespace tatami::search::internal {

inline constexpr int kGeneratorPluginAbiVersion = 1;
inline constexpr const char* kGeneratorAbiVersionSymbol = "tatami_torch_generator_abi_version";
inline constexpr const char* kCreateGeneratorSymbol = "tatami_torch_generator_create";

// What the backend read from the module's attributes when loading it.
struct GeneratorModelInfo {
  int contract_version = 0;
  std::size_t vocab_size = 0;
  std::size_t max_input_length = 0;
  std::size_t max_output_length = 0;
  std::int64_t decoder_start_token_id = 0;
  std::int64_t eos_token_id = 1;
  std::int64_t pad_token_id = 0;
  // libtorch version and thread count, for Describe().
  std::string runtime;
};

// The decoding of one batch: the encoder's memory and the decoder's cache.
class DecodingSession {
 public:
  virtual ~DecodingSession() = default;

  // One decoder step for m = tokens.size() hypotheses. Hypothesis i continues
  // row parents[i] of the previous step (at the first step: request
  // parents[i] of the batch) with token tokens[i]. Writes the log-probability
  // of every next token, row-major [m, vocab_size], to *log_probs. Throws
  // std::runtime_error when the module fails or returns the wrong shape.
  virtual void Step(const std::vector<std::int64_t>& parents,
                    const std::vector<std::int64_t>& tokens, std::vector<float>* log_probs) = 0;
};

class GeneratorBackend {
 public:
  virtual ~GeneratorBackend() = default;
  virtual const GeneratorModelInfo& info() const = 0;

  // Runs encode() on a tokenised batch (one row per request) and returns the
  // session that decodes it. Throws std::runtime_error when the module fails.
  virtual std::unique_ptr<DecodingSession> Start(const retriever::TokenBatch& batch) = 0;
};

// Signature of the plugin's create function. On failure it returns null and
// writes a NUL-terminated message of at most error_size bytes.
using CreateGeneratorFn = GeneratorBackend* (*)(const char* model_path, int num_threads,
                                                char* error, std::size_t error_size);

}  // namespace tatami::search::internal
