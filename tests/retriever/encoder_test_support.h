// Test encoders for the encoder, CLI and evaluation tests: TorchScript files
// made on demand by scripts/make_test_encoder.py with the Python that has
// torch (TATAMI_PYTHON), cached in the build tree. Tests that need one skip
// visibly when that Python lacks torch or the torch plugin was not built.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace tatami::retriever::testing {

// Why test encoders cannot be made here, or nullopt if they can.
inline std::optional<std::string> TestEncodersUnavailable() {
#ifndef TATAMI_HAVE_TORCH_PLUGIN
  return std::string("tatami was built without libtorch (no encoder plugin)");
#else
  static const std::optional<std::string> reason = []() -> std::optional<std::string> {
    const std::string cmd = fmt::format("'{}' -c 'import torch' >/dev/null 2>&1", TATAMI_PYTHON);
    if (std::system(cmd.c_str()) != 0) {
      return fmt::format("{} cannot import torch (install python3-torch)", TATAMI_PYTHON);
    }
    return std::nullopt;
  }();
  return reason;
#endif
}

// Path of a test encoder, made if missing (the script writes atomically, so
// concurrent tests making the same file are harmless).
inline std::filesystem::path TestEncoder(const std::string& variant = "ok", int dim = 32,
                                         int seed = 0) {
  const std::filesystem::path dir = TATAMI_TEST_ENCODER_DIR;
  std::filesystem::create_directories(dir);
  const auto path = dir / fmt::format("{}-d{}-s{}.pt", variant, dim, seed);
  if (!std::filesystem::exists(path)) {
    const std::string cmd = fmt::format(
        "'{}' '{}/scripts/make_test_encoder.py' -o '{}' --variant {} --dim {} --seed {}",
        TATAMI_PYTHON, TATAMI_SOURCE_DIR, path.string(), variant, dim, seed);
    if (std::system(cmd.c_str()) != 0 || !std::filesystem::exists(path)) {
      ADD_FAILURE() << "could not make test encoder: " << cmd;
    }
  }
  return path;
}

}  // namespace tatami::retriever::testing

#define TATAMI_REQUIRE_TEST_ENCODERS()                                      \
  do {                                                                      \
    if (auto why = ::tatami::retriever::testing::TestEncodersUnavailable()) \
      GTEST_SKIP() << "test encoders unavailable: " << *why;                \
  } while (0)
