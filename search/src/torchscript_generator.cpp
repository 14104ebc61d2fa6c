#include "torchscript_generator.h"

#include <cmath>
#include <mutex>
#include <unordered_set>

#include <fmt/format.h>

#include "tatami/plugin/plugin_loader.h"
#include "tatami/retriever/byt5_tokenizer.h"
#include "torchscript/decoding.h"
#include "torchscript/text.h"

namespace tatami::search {
namespace internal {
namespace {

constexpr int kContractVersion = 1;

// FNV-1a: a stable hash of the input text, mixed into a request's sampling seed.
std::uint64_t Fnv1a(const std::string& text, std::uint64_t seed) {
  std::uint64_t h = 1469598103934665603ull ^ seed;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

class TorchScriptGenerator final : public TacticGenerator {
 public:
  TorchScriptGenerator(std::unique_ptr<GeneratorBackend> backend, std::string source,
                       const TorchScriptGeneratorOptions& options)
      : backend_(std::move(backend)), source_(std::move(source)), options_(options) {
    if (options_.decoding == TorchScriptGeneratorOptions::Decoding::kSampling) {
      if (!(options_.temperature > 0) || !std::isfinite(options_.temperature)) {
        throw std::invalid_argument(
            fmt::format("TorchScriptGeneratorOptions::temperature must be positive, got {}",
                        options_.temperature));
      }
      if (!(options_.top_p > 0 && options_.top_p <= 1)) {
        throw std::invalid_argument(fmt::format(
            "TorchScriptGeneratorOptions::top_p must be in (0, 1], got {}", options_.top_p));
      }
    }
    const GeneratorModelInfo& info = backend_->info();
    auto refuse = [&](const std::string& why) {
      throw TorchScriptGeneratorError(fmt::format("{}: {}", source_, why));
    };
    if (info.contract_version != kContractVersion) {
      refuse(fmt::format("contract_version {} is not supported (tatami reads version {})",
                         info.contract_version, kContractVersion));
    }
    const auto vocab = static_cast<std::int64_t>(info.vocab_size);
    if (vocab < retriever::kByT5ByteOffset + 256) {
      refuse(fmt::format("vocab_size {} is too small for ByT5 bytes (at least {})", vocab,
                         retriever::kByT5ByteOffset + 256));
    }
    for (auto [name, id] : {std::pair{"decoder_start_token_id", info.decoder_start_token_id},
                            std::pair{"eos_token_id", info.eos_token_id}}) {
      if (id < 0 || id >= vocab) refuse(fmt::format("{} {} is not a token id", name, id));
    }
    max_input_ = options_.max_input_length ? options_.max_input_length : info.max_input_length;
    max_output_ = options_.max_output_length ? options_.max_output_length : info.max_output_length;
    if (max_input_ < 1) refuse("max_input_length must be at least 1");
    if (max_output_ < 2) refuse("max_output_length must be at least 2");
    limits_.vocab_size = info.vocab_size;
    limits_.start_token = info.decoder_start_token_id;
    limits_.eos_token = info.eos_token_id;
    limits_.max_length = max_output_;
  }

  std::vector<std::vector<Candidate>> Generate(
      const std::vector<GenerationRequest>& batch) override {
    std::vector<std::string> inputs;
    std::vector<std::size_t> rows;  // requests that want candidates
    std::vector<int> wanted;
    std::vector<std::uint64_t> seeds;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const GenerationRequest& request = batch[i];
      if (auto bad = retriever::FindInvalidUtf8(request.state)) {
        throw std::invalid_argument(
            fmt::format("request {}: the state is not valid UTF-8 (byte offset {})", i, *bad));
      }
      for (std::size_t p = 0; p < request.premises.size(); ++p) {
        if (auto bad = retriever::FindInvalidUtf8(request.premises[p])) {
          throw std::invalid_argument(fmt::format(
              "request {}: premise {} is not valid UTF-8 (byte offset {})", i, p, *bad));
        }
      }
      inputs.push_back(AugmentedInput(request.state, request.premises, max_input_));
      if (request.num_candidates <= 0) continue;
      rows.push_back(i);
      wanted.push_back(request.num_candidates);
      seeds.push_back(Fnv1a(inputs.back(), options_.seed));
    }
    std::vector<std::vector<Candidate>> out(batch.size());
    if (rows.empty()) return out;

    std::lock_guard lock(mutex_);
    std::vector<std::vector<Hypothesis>> found;
    try {
      auto session = backend_->Start(retriever::ByT5EncodeBatch(inputs, max_input_, rows));
      if (options_.decoding == TorchScriptGeneratorOptions::Decoding::kSampling) {
        found = Sample(*session, wanted, seeds, {options_.temperature, options_.top_p}, limits_);
      } else {
        found = BeamSearch(*session, wanted, limits_);
      }
    } catch (const std::invalid_argument&) {
      throw;
    } catch (const std::exception& e) {
      throw TorchScriptGeneratorError(fmt::format("{}: {}", source_, e.what()));
    }
    for (std::size_t r = 0; r < rows.size(); ++r) {
      std::vector<Candidate>& list = out[rows[r]];
      std::unordered_set<std::string> seen;
      for (const Hypothesis& h : found[r]) {
        std::string tactic = RemoveMarks(ByT5DecodeLossy(h.tokens));
        if (!seen.insert(tactic).second) continue;
        list.push_back({std::move(tactic), static_cast<double>(h.score)});
      }
    }
    return out;
  }

  // Beam search is deterministic, and sampling draws each request's samples
  // from a stream seeded by the seed and the request's input alone.
  bool Deterministic() const override { return true; }

  std::string Describe() const override {
    const bool sampling = options_.decoding == TorchScriptGeneratorOptions::Decoding::kSampling;
    return fmt::format("torchscript:{} ({}, input {} bytes, output {} tokens, {})", source_,
                       sampling ? fmt::format("sampling, temperature {:g}, top_p {:g}, seed {}",
                                              options_.temperature, options_.top_p, options_.seed)
                                : std::string("beam search"),
                       max_input_ - 1, max_output_ - 1, backend_->info().runtime);
  }

 private:
  std::unique_ptr<GeneratorBackend> backend_;
  std::string source_;
  TorchScriptGeneratorOptions options_;
  std::size_t max_input_ = 0;
  std::size_t max_output_ = 0;
  DecodingLimits limits_;
  std::mutex mutex_;
};

}  // namespace

std::unique_ptr<TacticGenerator> MakeTorchScriptGeneratorOver(
    std::unique_ptr<GeneratorBackend> backend, const std::string& source,
    const TorchScriptGeneratorOptions& options) {
  return std::make_unique<TorchScriptGenerator>(std::move(backend), source, options);
}

}  // namespace internal

namespace {

plugin::PluginSpec GeneratorPluginSpec(const TorchScriptGeneratorOptions& options) {
  plugin::PluginSpec spec;
  spec.file_name = "libtatami_torch_generator.so";
  spec.description = "TorchScript tactic generator";
  spec.explicit_path = options.plugin;
  spec.environment_variable = "TATAMI_TORCH_GENERATOR_PLUGIN";
#ifdef TATAMI_TORCH_GENERATOR_PLUGIN_BUILD_PATH
  spec.build_path = TATAMI_TORCH_GENERATOR_PLUGIN_BUILD_PATH;
#endif
  spec.abi_version_symbol = internal::kGeneratorAbiVersionSymbol;
  spec.abi_version = internal::kGeneratorPluginAbiVersion;
  spec.entry_points = {internal::kCreateGeneratorSymbol};
  return spec;
}

}  // namespace

std::vector<std::filesystem::path> TorchGeneratorPluginCandidates(
    const TorchScriptGeneratorOptions& options) {
  return plugin::PluginCandidates(GeneratorPluginSpec(options));
}

std::unique_ptr<TacticGenerator> MakeTorchScriptGenerator(
    const std::filesystem::path& model, const TorchScriptGeneratorOptions& options) {
  internal::GeneratorBackend* backend = nullptr;
  try {
    backend = plugin::CreateFromModel<internal::GeneratorBackend>(
        GeneratorPluginSpec(options), internal::kCreateGeneratorSymbol, model, "generator model",
        options.num_threads);
  } catch (const plugin::PluginError& e) {
    throw TorchScriptGeneratorError(e.what());
  }
  return internal::MakeTorchScriptGeneratorOver(
      std::unique_ptr<internal::GeneratorBackend>(backend), model.string(), options);
}

}  // namespace tatami::search
