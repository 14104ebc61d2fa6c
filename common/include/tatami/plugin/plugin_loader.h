// Finding and dlopen()ing one of tatami's plugins: shared objects that carry
// code tatami keeps out of its binaries (today: everything that links
// libtorch, whose start-up alone costs a binary about 0.65 s).
//
// A plugin is looked for at an explicit path, then at the path in an
// environment variable, then next to the executable, next to the binary this
// code is linked into, in the install tree's library directory, and finally
// at its build-tree path. Each path is opened at most once per process and
// never closed: libtorch keeps thread pools and static registries that do not
// survive dlclose. A plugin exports `int ABI_SYMBOL()`; the loader refuses one
// whose ABI version differs from the host's (a stale build) or that lacks an
// entry point the host needs.
//
// Thread-safety: LoadPlugin, PluginCandidates, ModelEntryPoint and
// CreateFromModel are safe from any thread.
#pragma once

#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace tatami::plugin {

// A plugin that cannot be found or used. what() lists every place tried and
// why each was refused.
class PluginError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What to load and how to recognise it.
struct PluginSpec {
  // File name looked for in the standard places, e.g.
  // "libtatami_torch_encoder.so". Required.
  std::string file_name;
  // What the plugin is, for messages, e.g. "TorchScript encoder". Required.
  std::string description;
  // When not empty, the only candidate (an option the user set). Default: empty.
  std::filesystem::path explicit_path;
  // Environment variable holding the plugin's path; when set and not empty it
  // is the only candidate (after explicit_path). Default: empty (none).
  std::string environment_variable;
  // The plugin's path in the build tree, the last resort (tests, running from
  // the build tree). Default: empty (none).
  std::filesystem::path build_path;
  // Exported `int ()` returning the plugin's ABI version. Required.
  std::string abi_version_symbol;
  // The ABI version the host was built for. Default: 0.
  int abi_version = 0;
  // Exported functions the host calls; all must be present. Default: none.
  std::vector<std::string> entry_points;
};

// An open plugin. Copies refer to the same library, which stays loaded.
class Plugin {
 public:
  Plugin() = default;
  // Address of `name`, one of PluginSpec::entry_points (checked at load).
  void* Symbol(const std::string& name) const;
  const std::filesystem::path& path() const { return path_; }

 private:
  friend Plugin LoadPlugin(const PluginSpec& spec);
  void* handle_ = nullptr;
  std::filesystem::path path_;
};

// Where LoadPlugin looks, in order.
std::vector<std::filesystem::path> PluginCandidates(const PluginSpec& spec);

// Opens the first candidate that exists and is a usable plugin. Throws
// PluginError naming each candidate and why it was refused, and how to point
// tatami at the plugin (spec.environment_variable).
Plugin LoadPlugin(const PluginSpec& spec);

// A plugin's entry point that makes its object (a backend) for a model file:
// the object, or null with a NUL-terminated message in `error`.
template <class Object>
using CreateFn = Object* (*)(const char* model_path, int num_threads, char* error,
                             std::size_t error_size);

// Checks that `model` is a regular file, loads the plugin and returns its
// entry point `create_symbol` (one of spec.entry_points). `what` names the
// model in messages, e.g. "encoder". Throws PluginError: "<what> <model>: no
// such file" (or "not a regular file"), or LoadPlugin's.
void* ModelEntryPoint(const PluginSpec& spec, const std::string& create_symbol,
                      const std::filesystem::path& model, const std::string& what);

// Has the plugin's entry point `create_symbol` make its object for `model`
// (see ModelEntryPoint); the caller owns the result. Throws PluginError as
// ModelEntryPoint does, or "<what> <model>: cannot load: <the plugin's
// message>".
template <class Object>
Object* CreateFromModel(const PluginSpec& spec, const std::string& create_symbol,
                        const std::filesystem::path& model, const std::string& what,
                        int num_threads) {
  auto create =
      reinterpret_cast<CreateFn<Object>>(ModelEntryPoint(spec, create_symbol, model, what));
  char error[2048] = {0};
  Object* made = create(model.c_str(), num_threads, error, sizeof(error));
  if (!made) throw PluginError(what + " " + model.string() + ": cannot load: " + error);
  return made;
}

}  // namespace tatami::plugin
