// The boundary between the torch-free encoder and the libtorch plugin.
//
// The plugin (retriever/torch/) exports one C function, kCreateBackendSymbol,
// that loads a TorchScript module and returns an EncoderBackend. The backend
// only runs the module and hands back its raw output; tokenisation, batching
// and the contract checks on the values live on the torch-free side
// (encoder_checks.h), where they are tested without libtorch. Host and plugin
// are built from the same tree by the same compiler, so C++ types cross the
// boundary; kPluginAbiVersion guards against loading a stale plugin.
//
// Thread-safety: an EncoderBackend is not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tatami/retriever/byt5_tokenizer.h"

namespace tatami::retriever::internal {

inline constexpr int kPluginAbiVersion = 1;
inline constexpr const char* kAbiVersionSymbol = "tatami_torch_encoder_abi_version";
inline constexpr const char* kCreateBackendSymbol = "tatami_torch_encoder_create";

// What the backend learnt from the module when loading it.
struct BackendInfo {
  // Has encode_tokens and tokenizer == "byt5": tatami tokenises.
  bool token_path = false;
  // The module's max_length attribute, 0 when it has none.
  std::size_t max_length = 0;
  // The module's embedding_dim attribute, 0 when it has none.
  std::size_t declared_dim = 0;
  // Hex digest of the module's parameters, buffers and method graphs.
  std::string weights_digest;
  // libtorch version and thread count, for Describe().
  std::string runtime;
};

// Raw module output as float32, row-major [rows, cols].
struct RawOutput {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<float> values;
};

class EncoderBackend {
 public:
  virtual ~EncoderBackend() = default;
  virtual const BackendInfo& info() const = 0;

  // Runs encode_tokens on a batch. Throws std::runtime_error when the module
  // fails or returns something other than a 2-D floating-point tensor with
  // batch.rows rows (message names what it returned).
  virtual RawOutput EncodeTokens(const TokenBatch& batch) = 0;

  // Runs encode on texts, with the same checks.
  virtual RawOutput EncodeTexts(const std::vector<std::string>& texts) = 0;
};

// Signatures of the plugin's exported functions. On failure create returns
// null and writes a NUL-terminated message of at most error_size bytes.
using AbiVersionFn = int (*)();
using CreateBackendFn = EncoderBackend* (*)(const char* model_path, int num_threads, char* error,
                                            std::size_t error_size);

}  // namespace tatami::retriever::internal
