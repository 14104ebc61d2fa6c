// Loading a TorchScript encoder through libtatami_torch_encoder.so, found and
// opened by tatami::plugin (common/).
#include <fmt/format.h>

#include "checked_encoder.h"
#include "encoder_plugin_abi.h"
#include "tatami/plugin/plugin_loader.h"
#include "tatami/retriever/encoder.h"

namespace tatami::retriever {
namespace {

plugin::PluginSpec EncoderPluginSpec(const EncoderOptions& options) {
  plugin::PluginSpec spec;
  spec.file_name = "libtatami_torch_encoder.so";
  spec.description = "TorchScript encoder";
  spec.explicit_path = options.plugin;
  spec.environment_variable = "TATAMI_TORCH_PLUGIN";
#ifdef TATAMI_TORCH_PLUGIN_BUILD_PATH
  spec.build_path = TATAMI_TORCH_PLUGIN_BUILD_PATH;
#endif
  spec.abi_version_symbol = internal::kAbiVersionSymbol;
  spec.abi_version = internal::kPluginAbiVersion;
  spec.entry_points = {internal::kCreateBackendSymbol};
  return spec;
}

}  // namespace

std::vector<std::filesystem::path> TorchPluginCandidates(const EncoderOptions& options) {
  return plugin::PluginCandidates(EncoderPluginSpec(options));
}

std::unique_ptr<Encoder> LoadTorchScriptEncoder(const std::filesystem::path& model,
                                                const EncoderOptions& options) {
  internal::EncoderBackend* backend = nullptr;
  try {
    backend = plugin::CreateFromModel<internal::EncoderBackend>(
        EncoderPluginSpec(options), internal::kCreateBackendSymbol, model, "encoder",
        options.num_threads);
  } catch (const plugin::PluginError& e) {
    throw EncoderError(e.what());
  }
  return internal::MakeCheckedEncoder(std::unique_ptr<internal::EncoderBackend>(backend),
                                      "encoder " + model.string(), options);
}

}  // namespace tatami::retriever
