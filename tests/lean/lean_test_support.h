// What the tests against a real Lean share: where lean_project/ is, and
// whether Lean can run here. They run when `lake` is on PATH and lean_project/
// has been set up (scripts/setup-lean.sh), and skip visibly otherwise.
//
// Thread-safety: plain functions; safe from any thread.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>

namespace tatami::lean_tests {

// The Lake project the tests run (lean_project/ of the source tree).
inline std::filesystem::path LeanProject() {
  return std::filesystem::path(TATAMI_SOURCE_DIR) / "lean_project";
}

// Whether an executable `exe` is on PATH.
inline bool OnPath(const std::string& exe) {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':'))
    if (!dir.empty() && ::access((std::filesystem::path(dir) / exe).c_str(), X_OK) == 0)
      return true;
  return false;
}

// Why a real Lean cannot run the tests here, or nullopt if it can.
inline std::optional<std::string> LeanUnavailable() {
  if (!OnPath("lake")) return "`lake` is not on PATH (install Lean with scripts/setup-lean.sh)";
  if (!std::filesystem::exists(LeanProject() / ".lake" / "packages" / "REPL"))
    return LeanProject().string() + " is not built (run scripts/setup-lean.sh)";
  return std::nullopt;
}

}  // namespace tatami::lean_tests
