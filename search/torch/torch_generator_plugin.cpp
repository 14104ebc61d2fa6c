// libtatami_torch_generator: the only code of the TorchScript tactic
// generator that links libtorch. It loads a module of the generator contract
// (docs/generator.md), runs encode() and decode_step(), and hands back
// log-probabilities; decoding itself is on the torch-free side
// (search/src/torchscript/generator_plugin_abi.h describes the boundary).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/script.h>

#include "tatami/plugin/torch_plugin.h"
#include "torchscript/generator_plugin_abi.h"

namespace tatami::search::internal {
namespace {

std::vector<at::Tensor> ToTensors(const c10::IValue& v, const char* what) {
  if (!v.isTensorList()) {
    throw std::runtime_error(std::string(what) + " is " + plugin::DescribeValue(v) +
                             ", expected List[Tensor]");
  }
  return v.toTensorVector();
}

at::Tensor Index(const std::vector<std::int64_t>& values) {
  return torch::tensor(values, torch::kInt64);
}

class TorchSession final : public DecodingSession {
 public:
  TorchSession(torch::jit::Module& module, std::vector<at::Tensor> memory, std::size_t rows,
               std::size_t vocab)
      : module_(module), request_memory_(std::move(memory)), requests_(rows), vocab_(vocab) {}

  void Step(const std::vector<std::int64_t>& parents, const std::vector<std::int64_t>& tokens,
            std::vector<float>* log_probs) override {
    c10::InferenceMode inference;
    const std::size_t m = parents.size();
    if (tokens.size() != m || m == 0) throw std::invalid_argument("bad decode step");
    // The memory is per request; it is expanded to the hypotheses' requests
    // only when that mapping changes (the first step, or rows were dropped),
    // not at every beam reordering.
    std::vector<std::int64_t> request_of_row(m);
    for (std::size_t i = 0; i < m; ++i) {
      const auto p = static_cast<std::size_t>(parents[i]);
      const std::size_t bound = first_ ? requests_ : request_of_row_.size();
      if (parents[i] < 0 || p >= bound) throw std::out_of_range("decode step: bad parent row");
      request_of_row[i] = first_ ? parents[i] : request_of_row_[p];
    }
    if (first_ || request_of_row != request_of_row_) {
      const at::Tensor index = Index(request_of_row);
      memory_.clear();
      for (const auto& t : request_memory_) memory_.push_back(t.index_select(0, index));
    }
    bool identity = !first_ && m == request_of_row_.size();
    for (std::size_t i = 0; identity && i < m; ++i) {
      identity = parents[i] == static_cast<std::int64_t>(i);
    }
    if (!first_ && !identity) {
      const at::Tensor index = Index(parents);
      for (auto& t : cache_) t = t.index_select(0, index);
    }
    c10::List<at::Tensor> memory(memory_);
    c10::List<at::Tensor> cache(cache_);
    c10::IValue out = plugin::RunMethod(module_, "decode_step", {Index(tokens), memory, cache});
    if (!out.isTuple() || out.toTupleRef().elements().size() != 2) {
      throw std::runtime_error("decode_step returned " + plugin::DescribeValue(out) +
                               ", expected Tuple[Tensor, List[Tensor]]");
    }
    const auto& elements = out.toTupleRef().elements();
    if (!elements[0].isTensor()) {
      throw std::runtime_error("decode_step returned logits as " +
                               plugin::DescribeValue(elements[0]));
    }
    at::Tensor logits = elements[0].toTensor();
    if (logits.dim() != 2 || static_cast<std::size_t>(logits.size(0)) != m ||
        static_cast<std::size_t>(logits.size(1)) != vocab_ || !logits.is_floating_point()) {
      throw std::runtime_error("decode_step returned logits as " +
                               plugin::DescribeValue(elements[0]) + " for " + std::to_string(m) +
                               " hypotheses, expected a float [" + std::to_string(m) + ", " +
                               std::to_string(vocab_) + "] tensor");
    }
    cache_ = ToTensors(elements[1], "decode_step's cache");
    for (const auto& t : cache_) {
      if (t.dim() == 0 || static_cast<std::size_t>(t.size(0)) != m) {
        throw std::runtime_error(
            "decode_step returned a cache tensor without one row per "
            "hypothesis (dim 0)");
      }
    }
    at::Tensor scores = torch::log_softmax(logits.to(at::kFloat), -1).contiguous();
    log_probs->resize(m * vocab_);
    std::memcpy(log_probs->data(), scores.data_ptr<float>(), m * vocab_ * sizeof(float));
    request_of_row_ = std::move(request_of_row);
    first_ = false;
  }

 private:
  torch::jit::Module& module_;
  std::vector<at::Tensor> request_memory_;
  std::size_t requests_;
  std::size_t vocab_;
  bool first_ = true;
  std::vector<at::Tensor> memory_;
  std::vector<std::int64_t> request_of_row_;
  std::vector<at::Tensor> cache_;
};

class TorchGenerator final : public GeneratorBackend {
 public:
  TorchGenerator(const std::string& path, int num_threads) : module_(torch::jit::load(path)) {
    module_.eval();
    for (const char* method : {"encode", "decode_step"}) {
      if (!module_.find_method(method)) {
        throw std::runtime_error(std::string("the module has no method ") + method +
                                 " (not a tactic generator of tatami's contract; see "
                                 "docs/generator.md)");
      }
    }
    if (!module_.hasattr("tokenizer") || !module_.attr("tokenizer").isString() ||
        module_.attr("tokenizer").toStringRef() != "byt5") {
      throw std::runtime_error("the module's tokenizer attribute must be \"byt5\"");
    }
    info_.contract_version = static_cast<int>(Int("contract_version"));
    info_.vocab_size = static_cast<std::size_t>(Int("vocab_size"));
    info_.max_input_length = static_cast<std::size_t>(Int("max_input_length"));
    info_.max_output_length = static_cast<std::size_t>(Int("max_output_length"));
    info_.decoder_start_token_id = Int("decoder_start_token_id");
    info_.eos_token_id = Int("eos_token_id");
    info_.pad_token_id = Int("pad_token_id");
    info_.runtime = plugin::SetUpTorchThreads(num_threads);
  }

  const GeneratorModelInfo& info() const override { return info_; }

  std::unique_ptr<DecodingSession> Start(const retriever::TokenBatch& batch) override {
    c10::InferenceMode inference;
    auto [ids, mask] = plugin::TokenTensors(batch);  // the batch outlives the call
    c10::IValue out = plugin::RunMethod(module_, "encode", {ids, mask});
    std::vector<at::Tensor> memory = ToTensors(out, "encode's result");
    for (const auto& t : memory) {
      if (t.dim() == 0 || static_cast<std::size_t>(t.size(0)) != batch.rows) {
        throw std::runtime_error(
            "encode returned a memory tensor without one row per input "
            "(dim 0)");
      }
    }
    return std::make_unique<TorchSession>(module_, std::move(memory), batch.rows, info_.vocab_size);
  }

 private:
  std::int64_t Int(const char* name) {
    if (!module_.hasattr(name) || !module_.attr(name).isInt()) {
      throw std::runtime_error(std::string("the module has no int attribute ") + name +
                               " (see docs/generator.md)");
    }
    return module_.attr(name).toInt();
  }

  torch::jit::Module module_;
  GeneratorModelInfo info_;
};

}  // namespace
}  // namespace tatami::search::internal

extern "C" __attribute__((visibility("default"))) int tatami_torch_generator_abi_version() {
  return tatami::search::internal::kGeneratorPluginAbiVersion;
}

extern "C" __attribute__((visibility("default"))) tatami::search::internal::GeneratorBackend*
tatami_torch_generator_create(const char* model_path, int num_threads, char* error,
                              std::size_t error_size) {
  return tatami::plugin::CreateOrReport(
      error, error_size, [&]() -> tatami::search::internal::GeneratorBackend* {
        return new tatami::search::internal::TorchGenerator(model_path, num_threads);
      });
}
