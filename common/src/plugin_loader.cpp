#include "tatami/plugin/plugin_loader.h"

#include <dlfcn.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <system_error>

#include <fmt/format.h>

namespace tatami::plugin {
namespace {

std::filesystem::path ExecutableDir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : exe.parent_path();
}

// Directory of the binary this code is linked into (differs from the
// executable's when tatami's libraries are themselves shared objects).
std::filesystem::path ThisLibraryDir() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&PluginCandidates), &info) && info.dli_fname) {
    std::error_code ec;
    auto path = std::filesystem::canonical(info.dli_fname, ec);
    if (!ec) return path.parent_path();
  }
  return {};
}

// Opens `path` once per process. Returns null with `*why` set when it is not
// a usable plugin for `spec`.
void* Open(const std::filesystem::path& path, const PluginSpec& spec, std::string* why) {
  static std::mutex mutex;
  static std::map<std::string, void*> opened;
  std::lock_guard lock(mutex);
  void* handle = nullptr;
  if (auto it = opened.find(path.string()); it != opened.end()) {
    handle = it->second;
  } else {
    dlerror();
    handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* err = dlerror();
      *why = err ? err : "dlopen failed";
      return nullptr;
    }
    // Kept even when refused below: closing libraries is what we avoid.
    opened.emplace(path.string(), handle);
  }
  auto version = reinterpret_cast<int (*)()>(dlsym(handle, spec.abi_version_symbol.c_str()));
  if (!version) {
    *why = fmt::format("not a {} (no {})", spec.file_name, spec.abi_version_symbol);
    return nullptr;
  }
  for (const auto& name : spec.entry_points) {
    if (!dlsym(handle, name.c_str())) {
      *why = fmt::format("not a {} (no entry point {})", spec.file_name, name);
      return nullptr;
    }
  }
  if (version() != spec.abi_version) {
    *why = fmt::format("plugin ABI version {} does not match this tatami's {} (stale build?)",
                       version(), spec.abi_version);
    return nullptr;
  }
  return handle;
}

}  // namespace

void* Plugin::Symbol(const std::string& name) const {
  void* address = handle_ ? dlsym(handle_, name.c_str()) : nullptr;
  if (!address) {
    throw PluginError(fmt::format("{}: no symbol {}", path_.string(), name));
  }
  return address;
}

std::vector<std::filesystem::path> PluginCandidates(const PluginSpec& spec) {
  if (!spec.explicit_path.empty()) return {spec.explicit_path};
  if (!spec.environment_variable.empty()) {
    if (const char* env = std::getenv(spec.environment_variable.c_str()); env && *env) {
      return {env};
    }
  }
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
  if (!exe_dir.empty()) add(exe_dir / spec.file_name);
  if (!lib_dir.empty()) add(lib_dir / spec.file_name);
#ifdef TATAMI_INSTALL_BIN_TO_LIB
  // Installed layout: <prefix>/bin/tatami and <prefix>/<libdir>/<plugin>.
  if (!exe_dir.empty()) {
    add((exe_dir / TATAMI_INSTALL_BIN_TO_LIB / spec.file_name).lexically_normal());
  }
#endif
  add(spec.build_path);
  return out;
}

Plugin LoadPlugin(const PluginSpec& spec) {
  std::string tried;
  std::error_code ec;
  for (const auto& candidate : PluginCandidates(spec)) {
    if (!std::filesystem::exists(candidate, ec)) {
      tried += fmt::format("\n  {}: not found", candidate.string());
      continue;
    }
    std::string why;
    if (void* handle = Open(candidate, spec, &why)) {
      Plugin plugin;
      plugin.handle_ = handle;
      plugin.path_ = candidate;
      return plugin;
    }
    tried += fmt::format("\n  {}: {}", candidate.string(), why);
  }
  std::string hint = "build tatami with libtorch";
  if (!spec.environment_variable.empty()) {
    hint = fmt::format("set {} to its path, or {}", spec.environment_variable, hint);
  }
  throw PluginError(fmt::format("cannot load the {} plugin ({}; {}):{}", spec.description,
                                spec.file_name, hint, tried));
}

void* ModelEntryPoint(const PluginSpec& spec, const std::string& create_symbol,
                      const std::filesystem::path& model, const std::string& what) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(model, ec)) {
    throw PluginError(
        fmt::format("{} {}: {}", what, model.string(),
                    std::filesystem::exists(model, ec) ? "not a regular file" : "no such file"));
  }
  return LoadPlugin(spec).Symbol(create_symbol);
}

}  // namespace tatami::plugin
