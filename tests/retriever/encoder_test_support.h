// Test encoders for the encoder, CLI and evaluation tests: TorchScript files
// made on demand by scripts/make_test_encoder.py with the Python that has
// torch (TATAMI_PYTHON), cached in the build tree. Tests that need one skip
// visibly when that Python lacks torch or the torch plugin was not built.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "torch_test_models.h"

namespace tatami::retriever::testing {

// Why test encoders cannot be made here, or nullopt if they can.
inline std::optional<std::string> TestEncodersUnavailable() {
#ifndef TATAMI_HAVE_TORCH_PLUGIN
  return std::string("tatami was built without libtorch (no encoder plugin)");
#else
  return ::tatami::test_models::PythonTorchUnavailable();
#endif
}

// Path of a test encoder, made if missing.
inline std::filesystem::path TestEncoder(const std::string& variant = "ok", int dim = 32,
                                         int seed = 0) {
  const std::filesystem::path dir = TATAMI_TEST_ENCODER_DIR;
  return ::tatami::test_models::TestModel(
      dir / fmt::format("{}-d{}-s{}.pt", variant, dim, seed), "make_test_encoder.py",
      fmt::format("--variant {} --dim {} --seed {}", variant, dim, seed), "test encoder");
}

}  // namespace tatami::retriever::testing

#define TATAMI_REQUIRE_TEST_ENCODERS()                                      \
  do {                                                                      \
    if (auto why = ::tatami::retriever::testing::TestEncodersUnavailable()) \
      GTEST_SKIP() << "test encoders unavailable: " << *why;                \
  } while (0)
