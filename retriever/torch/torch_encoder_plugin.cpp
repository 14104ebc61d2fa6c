// libtatami_torch_encoder: the only code in tatami that links libtorch. It
// loads a TorchScript module, runs it, and returns its raw output as float32;
// everything else about encoding is on the torch-free side
// (src/encoder/encoder_plugin_abi.h describes the boundary).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <new>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/script.h>
#include <xxhash.h>

#include "encoder_plugin_abi.h"
#include "tatami/plugin/torch_plugin.h"

namespace tatami::retriever::internal {
namespace {

// XXH3-128 over a stream of bytes. It identifies models; it does not defend
// against adversaries.
class Digest {
 public:
  Digest() : state_(XXH3_createState()) {
    if (!state_) throw std::bad_alloc();
    XXH3_128bits_reset(state_);
  }
  ~Digest() { XXH3_freeState(state_); }
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;

  void Bytes(const void* data, std::size_t n) { XXH3_128bits_update(state_, data, n); }
  void Word(std::uint64_t w) { Bytes(&w, sizeof w); }
  void String(const std::string& s) {
    Word(s.size());
    Bytes(s.data(), s.size());
  }
  std::string Hex() const {
    const XXH128_hash_t h = XXH3_128bits_digest(state_);
    static const char* kDigits = "0123456789abcdef";
    std::string out;
    for (std::uint64_t v : {h.high64, h.low64}) {
      for (int shift = 60; shift >= 0; shift -= 4) out.push_back(kDigits[(v >> shift) & 15]);
    }
    return out;
  }

 private:
  XXH3_state_t* state_;
};

void DigestTensor(Digest& d, const at::Tensor& t) {
  d.String(std::string(c10::toString(t.scalar_type())));
  d.Word(static_cast<std::uint64_t>(t.dim()));
  for (auto s : t.sizes()) d.Word(static_cast<std::uint64_t>(s));
  at::Tensor c = t.detach().to(at::kCPU).contiguous();
  d.Bytes(c.data_ptr(), c.nbytes());
}

// Digest of everything that decides what the module computes: every
// attribute of every submodule (parameters, buffers, plain values) and the
// graph of every method, printed without source locations so that the
// digest does not depend on where the exporting script lived.
std::string ModuleDigest(const torch::jit::Module& module) {
  Digest d;
  for (const auto& attr : module.named_attributes(/*recurse=*/true)) {
    const c10::IValue& v = attr.value;
    if (v.isModule()) continue;  // its own attributes are visited by name
    d.String(attr.name);
    if (v.isTensor()) {
      DigestTensor(d, v.toTensor());
    } else {
      std::ostringstream repr;
      repr << v;
      d.String(v.tagKind() + ":" + repr.str());
    }
  }
  for (const auto& sub : module.named_modules()) {
    for (const auto& method : sub.value.get_methods()) {
      d.String(sub.name + "::" + method.name());
      d.String(method.graph()->toString(/*print_source_locations=*/false));
    }
  }
  return d.Hex();
}

// Checks the module's output for `rows` inputs and returns it as float32.
RawOutput ToRaw(const c10::IValue& out, std::size_t rows, const char* method) {
  if (!out.isTensor()) {
    throw std::runtime_error(std::string(method) + " returned " + plugin::DescribeValue(out) +
                             ", expected a Tensor[n, d]");
  }
  at::Tensor t = out.toTensor();
  if (t.dim() != 2 || static_cast<std::size_t>(t.size(0)) != rows) {
    throw std::runtime_error(std::string(method) + " returned " + plugin::DescribeValue(out) +
                             " for " + std::to_string(rows) + " inputs, expected shape [" +
                             std::to_string(rows) + ", d]");
  }
  switch (t.scalar_type()) {
    case at::kFloat:
      break;
    case at::kHalf:
    case at::kBFloat16:
      t = t.to(at::kFloat);  // widened exactly
      break;
    default:
      throw std::runtime_error(std::string(method) + " returned " + plugin::DescribeValue(out) +
                               "; the contract requires float32 (float16 and bfloat16 are "
                               "accepted and widened)");
  }
  t = t.to(at::kCPU).contiguous();
  RawOutput raw;
  raw.rows = rows;
  raw.cols = static_cast<std::size_t>(t.size(1));
  raw.values.resize(raw.rows * raw.cols);
  if (!raw.values.empty()) {
    std::memcpy(raw.values.data(), t.data_ptr<float>(), raw.values.size() * sizeof(float));
  }
  return raw;
}

class TorchBackend final : public EncoderBackend {
 public:
  TorchBackend(const std::string& path, int num_threads) : module_(torch::jit::load(path)) {
    module_.eval();
    if (!module_.find_method("encode")) {
      throw std::runtime_error("the module has no method encode(texts: List[str]) -> Tensor");
    }
    const bool has_tokens = module_.find_method("encode_tokens").has_value();
    const bool byt5 = module_.hasattr("tokenizer") && module_.attr("tokenizer").isString() &&
                      module_.attr("tokenizer").toStringRef() == "byt5";
    info_.token_path = has_tokens && byt5;
    info_.max_length = IntAttr("max_length");
    info_.declared_dim = IntAttr("embedding_dim");
    info_.weights_digest = ModuleDigest(module_);
    info_.runtime = plugin::SetUpTorchThreads(num_threads);
  }

  const BackendInfo& info() const override { return info_; }

  RawOutput EncodeTokens(const TokenBatch& batch) override {
    c10::InferenceMode inference;
    auto [ids, mask] = plugin::TokenTensors(batch);  // the batch outlives the call
    c10::IValue out = plugin::RunMethod(module_, "encode_tokens", {ids, mask});
    return ToRaw(out, batch.rows, "encode_tokens");
  }

  RawOutput EncodeTexts(const std::vector<std::string>& texts) override {
    c10::InferenceMode inference;
    c10::List<std::string> list;
    list.reserve(texts.size());
    for (const auto& t : texts) list.push_back(t);
    c10::IValue out = plugin::RunMethod(module_, "encode", {c10::IValue(list)});
    return ToRaw(out, texts.size(), "encode");
  }

 private:
  std::size_t IntAttr(const char* name) {
    if (!module_.hasattr(name)) return 0;
    c10::IValue v = module_.attr(name);
    if (!v.isInt() || v.toInt() <= 0) {
      throw std::runtime_error(std::string("the module's attribute ") + name +
                               " must be a positive int, found " + plugin::DescribeValue(v));
    }
    return static_cast<std::size_t>(v.toInt());
  }

  torch::jit::Module module_;
  BackendInfo info_;
};

}  // namespace
}  // namespace tatami::retriever::internal

extern "C" __attribute__((visibility("default"))) int tatami_torch_encoder_abi_version() {
  return tatami::retriever::internal::kPluginAbiVersion;
}

extern "C" __attribute__((visibility("default"))) tatami::retriever::internal::EncoderBackend*
tatami_torch_encoder_create(const char* model_path, int num_threads, char* error,
                            std::size_t error_size) {
  return tatami::plugin::CreateOrReport(
      error, error_size, [&]() -> tatami::retriever::internal::EncoderBackend* {
        return new tatami::retriever::internal::TorchBackend(model_path, num_threads);
      });
}
