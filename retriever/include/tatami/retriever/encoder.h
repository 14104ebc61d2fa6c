// Encoder: turns texts (proof states, premises) into L2-normalised embeddings.
//
// This header is torch-free. LoadTorchScriptEncoder() loads a TorchScript
// module through a plugin library (libtatami_torch_encoder.so) that it
// dlopen()s on first use, so that only programs that actually encode pay
// libtorch's start-up cost. The module contract (docs/retrieval.md):
//
//   encode(texts: List[str]) -> Tensor[n, d]                        required
//   encode_tokens(input_ids: Tensor[n, L] int64,
//                 attention_mask: Tensor[n, L] int64) -> Tensor[n, d]  optional
//   attributes: tokenizer: str ("byt5"), max_length: int, embedding_dim: int
//                                                                       optional
//
// returning float32 (float16/bfloat16 are widened), L2-normalised rows. When
// the module has encode_tokens and tokenizer == "byt5", texts are tokenised in
// C++ (byt5_tokenizer.h) and encode_tokens is called; otherwise encode() gets
// the texts. Every output is checked: a wrong rank, row count, width or dtype,
// a non-finite value or a row whose norm is not 1 is an EncoderError naming
// the problem, never a crash or a silently wrong embedding.
//
// Thread-safety: an Encoder is not thread-safe; use one per thread (the
// module itself already runs each batch on `num_threads` threads).
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace tatami::retriever {

// Embeddings of a list of texts, row-major [rows, dim], row i for text i.
struct Embeddings {
  std::size_t rows = 0;
  std::size_t dim = 0;
  std::vector<float> values;

  std::span<const float> row(std::size_t i) const { return {values.data() + i * dim, dim}; }
};

// An encoder that cannot be loaded or that broke its contract. what() says
// which file or which output and what was wrong.
class EncoderError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct EncoderOptions {
  // The plugin library to load. Empty: the environment variable
  // TATAMI_TORCH_PLUGIN, then libtatami_torch_encoder.so next to the
  // executable, then in the install tree's library directory, then in the
  // build tree. Default: empty.
  std::filesystem::path plugin;

  // Threads libtorch uses for one batch. 0: one per hardware thread.
  // (libtorch's own default here is 1.) Default: 0.
  int num_threads = 0;

  // Token budget per text, </s> included, for C++ tokenisation. 0: the
  // module's `max_length` attribute, or ReProver's 1024 when it has none.
  // Default: 0.
  std::size_t max_length = 0;

  // Texts per forward pass. Encode() sorts texts by length before batching so
  // that a batch holds texts of similar length (less padding). Default: 32.
  std::size_t batch_size = 32;

  // How far a row's L2 norm may be from 1 before the output is refused.
  // Default: 1e-3.
  double norm_tolerance = 1e-3;
};

class Encoder {
 public:
  virtual ~Encoder();

  // Embeddings of `texts` (any number, including none). Throws
  // InvalidUtf8Error (byt5_tokenizer.h) for a text that is not UTF-8 and
  // EncoderError when the module fails or breaks its contract.
  virtual Embeddings Encode(const std::vector<std::string>& texts) = 0;

  // Width of every embedding.
  virtual std::size_t dim() const = 0;

  // Identifies the model: equal for the same weights, code and tokenisation
  // settings, whatever file they were saved in. Indexes record it so that a
  // query is never embedded by a different model than its premises.
  virtual const std::string& fingerprint() const = 0;

  // One line describing the encoder (file, dim, tokenisation) for logs.
  virtual std::string Describe() const = 0;
};

// Loads a TorchScript encoder from `model` (a file written by torch.jit.save).
// Checks the contract by encoding one short text. Throws EncoderError when the
// plugin or the model cannot be loaded or the module breaks the contract.
std::unique_ptr<Encoder> LoadTorchScriptEncoder(const std::filesystem::path& model,
                                                const EncoderOptions& options = {});

// Where LoadTorchScriptEncoder would look for the plugin, in order.
std::vector<std::filesystem::path> TorchPluginCandidates(const EncoderOptions& options = {});

}  // namespace tatami::retriever
