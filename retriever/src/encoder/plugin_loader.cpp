// Finding and dlopen()ing libtatami_torch_encoder.so, then loading a model
// through it. The plugin is loaded at most once per path and never unloaded:
// libtorch keeps thread pools and static registries that do not survive
// dlclose.
#include <dlfcn.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <system_error>

#include <fmt/format.h>

#include "backend_encoder.h"
#include "encoder_backend.h"
#include "tatami/retriever/encoder.h"

namespace tatami::retriever {
namespace {

constexpr const char* kPluginFile = "libtatami_torch_encoder.so";

std::filesystem::path ExecutableDir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : exe.parent_path();
}

// Directory of the binary this code is linked into (differs from the
// executable's when tatami's library is itself a shared object).
std::filesystem::path ThisLibraryDir() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&TorchPluginCandidates), &info) && info.dli_fname) {
    std::error_code ec;
    auto path = std::filesystem::canonical(info.dli_fname, ec);
    if (!ec) return path.parent_path();
  }
  return {};
}

struct LoadedPlugin {
  void* handle = nullptr;
  internal::CreateBackendFn create = nullptr;
};

// Opens the plugin at `path` (once per process). Returns false with `*why`
// set when it cannot be used.
bool OpenPlugin(const std::filesystem::path& path, LoadedPlugin* out, std::string* why) {
  static std::mutex mutex;
  static std::map<std::string, LoadedPlugin> opened;
  std::lock_guard lock(mutex);
  if (auto it = opened.find(path.string()); it != opened.end()) {
    *out = it->second;
    return true;
  }
  dlerror();
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* err = dlerror();
    *why = err ? err : "dlopen failed";
    return false;
  }
  auto version =
      reinterpret_cast<internal::AbiVersionFn>(dlsym(handle, internal::kAbiVersionSymbol));
  auto create =
      reinterpret_cast<internal::CreateBackendFn>(dlsym(handle, internal::kCreateBackendSymbol));
  if (!version || !create) {
    *why = "not a tatami encoder plugin (missing entry points)";
    return false;  // left open: harmless, and closing libraries is what we avoid
  }
  if (version() != internal::kPluginAbiVersion) {
    *why = fmt::format("plugin ABI version {} does not match this tatami's {} (stale build?)",
                       version(), internal::kPluginAbiVersion);
    return false;
  }
  out->handle = handle;
  out->create = create;
  opened.emplace(path.string(), *out);
  return true;
}

}  // namespace

std::vector<std::filesystem::path> TorchPluginCandidates(const EncoderOptions& options) {
  if (!options.plugin.empty()) return {options.plugin};
  if (const char* env = std::getenv("TATAMI_TORCH_PLUGIN"); env && *env) return {env};
  std::vector<std::filesystem::path> out;
  auto add = [&](const std::filesystem::path& p) {
    if (p.empty()) return;
    for (const auto& q : out) {
      if (q == p) return;
    }
    out.push_back(p);
  };
  const auto exe_dir = ExecutableDir();
  const auto lib_dir = ThisLibraryDir();
  if (!exe_dir.empty()) add(exe_dir / kPluginFile);
  if (!lib_dir.empty()) add(lib_dir / kPluginFile);
#ifdef TATAMI_INSTALL_BIN_TO_LIB
  // Installed layout: <prefix>/bin/tatami and <prefix>/<libdir>/<plugin>.
  if (!exe_dir.empty()) {
    add((exe_dir / TATAMI_INSTALL_BIN_TO_LIB / kPluginFile).lexically_normal());
  }
#endif
#ifdef TATAMI_TORCH_PLUGIN_BUILD_PATH
  add(TATAMI_TORCH_PLUGIN_BUILD_PATH);
#endif
  return out;
}

std::unique_ptr<Encoder> LoadTorchScriptEncoder(const std::filesystem::path& model,
                                                const EncoderOptions& options) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(model, ec)) {
    throw EncoderError(
        fmt::format("encoder {}: {}", model.string(),
                    std::filesystem::exists(model, ec) ? "not a regular file" : "no such file"));
  }
  LoadedPlugin plugin;
  std::string tried;
  for (const auto& candidate : TorchPluginCandidates(options)) {
    if (!std::filesystem::exists(candidate, ec)) {
      tried += fmt::format("\n  {}: not found", candidate.string());
      continue;
    }
    std::string why;
    if (OpenPlugin(candidate, &plugin, &why)) break;
    tried += fmt::format("\n  {}: {}", candidate.string(), why);
  }
  if (!plugin.create) {
    throw EncoderError(
        "cannot load the TorchScript encoder plugin (" + std::string(kPluginFile) +
        "; set TATAMI_TORCH_PLUGIN to its path, or build tatami with libtorch):" + tried);
  }
  char error[2048] = {0};
  internal::EncoderBackend* backend =
      plugin.create(model.c_str(), options.num_threads, error, sizeof(error));
  if (!backend) {
    throw EncoderError(fmt::format("encoder {}: cannot load: {}", model.string(), error));
  }
  return internal::MakeBackendEncoder(std::unique_ptr<internal::EncoderBackend>(backend),
                                      "encoder " + model.string(), options);
}

}  // namespace tatami::retriever
