// Small TorchScript models for the tests of the libtorch plugins (encoder,
// tactic generator): made on demand by a scripts/make_test_*.py run with the
// Python that has torch (TATAMI_PYTHON, defined by the test's CMake), cached
// in the build tree. Tests that need one skip visibly when that Python lacks
// torch.
//
// Thread-safety: PythonTorchUnavailable is safe from any thread; TestModel
// may run concurrently for the same path (the scripts write atomically).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace tatami::test_models {

#ifdef TATAMI_PYTHON
// Why TATAMI_PYTHON cannot run torch here, or nullopt if it can; asked once
// per process.
inline std::optional<std::string> PythonTorchUnavailable() {
  static const std::optional<std::string> reason = []() -> std::optional<std::string> {
    const std::string cmd = fmt::format("'{}' -c 'import torch' >/dev/null 2>&1", TATAMI_PYTHON);
    if (std::system(cmd.c_str()) != 0) {
      return fmt::format("{} cannot import torch (install python3-torch)", TATAMI_PYTHON);
    }
    return std::nullopt;
  }();
  return reason;
}

// `path`, first made by scripts/`script` (`-o path` then `arguments`) if it
// is missing; a failure to make it fails the test. `what` names the model in
// that failure, e.g. "test encoder".
inline std::filesystem::path TestModel(const std::filesystem::path& path, const char* script,
                                       const std::string& arguments, const char* what) {
  std::filesystem::create_directories(path.parent_path());
  if (!std::filesystem::exists(path)) {
    const std::string cmd = fmt::format("'{}' '{}/scripts/{}' -o '{}' {}", TATAMI_PYTHON,
                                        TATAMI_SOURCE_DIR, script, path.string(), arguments);
    if (std::system(cmd.c_str()) != 0 || !std::filesystem::exists(path)) {
      ADD_FAILURE() << "could not make " << what << ": " << cmd;
    }
  }
  return path;
}
#endif

}  // namespace tatami::test_models
