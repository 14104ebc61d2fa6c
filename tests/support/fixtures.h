// Where the recorded Lean fixtures are, for tests. The environment variable
// TATAMI_FIXTURES overrides the directory configured at build time; a test that
// needs them skips visibly (GTEST_SKIP) when they are absent.
#pragma once

#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

namespace tatami::testing {

inline std::filesystem::path FixturesDir() {
  if (const char* env = std::getenv("TATAMI_FIXTURES"); env && *env) return env;
  return TATAMI_DEFAULT_FIXTURES;
}

inline bool HaveFixtures() {
  return std::filesystem::is_directory(FixturesDir() / "repl-transcripts");
}

// Path of the REPL test double executable.
inline std::filesystem::path ReplDoublePath() { return TATAMI_REPL_DOUBLE; }

}  // namespace tatami::testing

#define TATAMI_REQUIRE_FIXTURES()                                                   \
  do {                                                                              \
    if (!::tatami::testing::HaveFixtures())                                         \
      GTEST_SKIP() << "fixtures not found at " << ::tatami::testing::FixturesDir()  \
                   << " (set TATAMI_FIXTURES or run scripts/fetch-fixtures.sh)";    \
  } while (0)
