// Where the recorded Lean fixtures are, for tests, and what a test does when
// they are absent. The environment variable TATAMI_FIXTURES overrides the
// directory configured at build time.
//
// Absent fixtures must never pass for a green run: on a user's machine a test
// that needs them skips visibly (GTEST_SKIP, naming the folder and how to get
// it); in CI (CI=true, or TATAMI_REQUIRE_FIXTURES=1) it fails. A parameterised
// suite whose cases are read from the fixtures goes through FixtureCases(), so
// that finding no cases is a test result instead of a suite that vanishes.
//
// Thread-safety: the functions only read the environment and the file system;
// FixtureCases() registers tests and must run where gtest allows that (during
// INSTANTIATE_TEST_SUITE_P's generator evaluation).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace tatami::testing {

inline std::filesystem::path FixturesDir() {
  if (const char* env = std::getenv("TATAMI_FIXTURES"); env && *env) return env;
  return TATAMI_DEFAULT_FIXTURES;
}

// True in CI: a missing fixture is then a failure, not a skip. CI services set
// CI=true; `.ci/run` also sets TATAMI_REQUIRE_FIXTURES=1 explicitly.
inline bool FixturesRequired() {
  auto set = [](const char* name) {
    const char* v = std::getenv(name);
    if (v == nullptr) return false;
    const std::string_view s(v);
    return !s.empty() && s != "0" && s != "false" && s != "False" && s != "FALSE";
  };
  return set("TATAMI_REQUIRE_FIXTURES") || set("CI");
}

// True when the fixtures folder exists and holds at least one entry (an empty
// folder is as good as none: a checkout that created it but fetched nothing).
inline bool HaveFixtures() {
  std::error_code ec;
  const auto dir = FixturesDir();
  return std::filesystem::is_directory(dir, ec) &&
         std::filesystem::directory_iterator(dir, ec) != std::filesystem::directory_iterator();
}

// What a test should do about the fixture it needs: `part` is a path inside
// the fixtures folder (a file or folder), or empty for the folder itself.
struct FixtureCheck {
  enum class Action { kRun, kSkip, kFail };
  Action action = Action::kRun;
  std::string message;  // why it skips or fails; empty when it runs
};

inline FixtureCheck CheckFixtures(const std::filesystem::path& part = {}) {
  const auto dir = FixturesDir();
  std::string missing;
  std::error_code ec;
  if (!HaveFixtures()) {
    missing = "fixtures not found at " + dir.string() + " (missing or empty)";
  } else if (!part.empty() && !std::filesystem::exists(dir / part, ec)) {
    missing = "fixture " + part.generic_string() + " not found in " + dir.string();
  } else {
    return {};
  }
  missing += "; set TATAMI_FIXTURES to the fixtures folder or run scripts/fetch-fixtures.sh";
  if (FixturesRequired())
    return {FixtureCheck::Action::kFail,
            missing + " [fixtures are required here: CI or TATAMI_REQUIRE_FIXTURES is set]"};
  return {FixtureCheck::Action::kSkip, missing};
}

// The test registered by FixtureCases() when a suite finds no cases.
class FixtureCasesNotEmpty : public ::testing::Test {
 public:
  explicit FixtureCasesNotEmpty(std::filesystem::path part) : part_(std::move(part)) {}

  void TestBody() override {
    const FixtureCheck check = CheckFixtures(part_);
    if (check.action == FixtureCheck::Action::kFail) GTEST_FAIL() << check.message;
    if (check.action == FixtureCheck::Action::kSkip) GTEST_SKIP() << check.message;
    GTEST_FAIL() << "no test cases found in " << (FixturesDir() / part_).string()
                 << ": the fixtures there are incomplete or not what the suite expects";
  }

 private:
  std::filesystem::path part_;
};

// Returns `cases` (read from the fixture `part`) for ValuesIn. When there are
// none the parameterised suite would silently disappear, so a test
// `<suite>Cases.NotEmpty` is registered instead; it skips or fails as
// CheckFixtures() says, and fails when the fixtures are there but hold no case.
template <class T>
std::vector<T> FixtureCases(const char* suite, const std::filesystem::path& part,
                            std::vector<T> cases) {
  if (cases.empty()) {
    const std::string name = std::string(suite) + "Cases";
    ::testing::RegisterTest(
        name.c_str(), "NotEmpty", nullptr, nullptr, __FILE__, __LINE__,
        [part]() -> FixtureCasesNotEmpty* { return new FixtureCasesNotEmpty(part); });
  }
  return cases;
}

// Path of the REPL test double executable.
inline std::filesystem::path ReplDoublePath() { return TATAMI_REPL_DOUBLE; }

}  // namespace tatami::testing

// Skips (on a user's machine) or fails (in CI) the current test when the
// fixtures, or the given part of them, are absent:
//   TATAMI_REQUIRE_FIXTURES();
//   TATAMI_REQUIRE_FIXTURES("leandojo-benchmark4-sample/random/test.prefix.json");
#define TATAMI_REQUIRE_FIXTURES(...)                                                    \
  do {                                                                                  \
    const ::tatami::testing::FixtureCheck tatami_fixture_check_ =                       \
        ::tatami::testing::CheckFixtures(__VA_ARGS__);                                  \
    if (tatami_fixture_check_.action == ::tatami::testing::FixtureCheck::Action::kFail) \
      GTEST_FAIL() << tatami_fixture_check_.message;                                    \
    if (tatami_fixture_check_.action == ::tatami::testing::FixtureCheck::Action::kSkip) \
      GTEST_SKIP() << tatami_fixture_check_.message;                                    \
  } while (0)
