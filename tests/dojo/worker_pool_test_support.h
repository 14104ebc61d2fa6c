// Helpers for the WorkerPool tests: pools of REPL doubles, a per-header
// wrapper that makes chosen imports fail or hang, and leak accounting.
#pragma once

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fixtures.h"
#include "tatami/dojo/worker_pool.h"

namespace tatami::testing {

// Number of open file descriptors of this process.
inline int OpenFds() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (::readdir(d)) ++n;
    ::closedir(d);
  }
  return n;
}

// Number of live or zombie processes whose parent is this process.
inline int ChildProcesses() {
  int n = 0;
  const std::string me = std::to_string(::getpid());
  DIR* d = ::opendir("/proc");
  if (!d) return -1;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream stat(std::string("/proc/") + e->d_name + "/stat");
    std::string line;
    std::getline(stat, line);
    const std::size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string state, ppid;
    rest >> state >> ppid;
    if (ppid == me) ++n;
  }
  ::closedir(d);
  return n;
}

// A temporary directory, removed with its contents.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tatami-pool-test-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A REPL command for the pool: a shell wrapper that reads the worker's first
// request and starts the double with flags chosen by what it contains, so one
// pool can hold headers that import fine, fail or hang. Rules are tried in
// order: {substring of the first request, double flags or "FAIL"}; "FAIL"
// answers the request like a Lean whose import failed (an error message whose
// text starts `tatami-test:`: no import failure of real Lean is recorded, so
// the text is the test's own), then waits to be killed.
inline std::vector<std::string> RoutingDouble(
    const ScratchDir& dir, const std::vector<std::pair<std::string, std::string>>& rules,
    const std::string& default_flags = "--instant") {
  const std::filesystem::path script = dir.path() / "repl.sh";
  std::ofstream out(script);
  out << "#!/bin/sh\n"
      << "double='" << ReplDoublePath().string() << "'\n"
      << "IFS= read -r line\n"
      << "case \"$line\" in\n";
  for (const auto& [needle, flags] : rules) {
    out << "  *'" << needle << "'*)\n";
    if (flags == "FAIL") {
      out << "    printf '%s\\n\\n' '{\"messages\": [{\"severity\": \"error\", \"pos\": {\"line\": "
             "1, "
             "\"column\": 0}, \"endPos\": null, \"data\": \"tatami-test: import failed: "
          << needle
          << "\"}], \"env\": 0}'\n"
             "    exec cat >/dev/null ;;\n";
    } else {
      out << "    set -- " << flags << " ;;\n";
    }
  }
  out << "  *) set -- " << default_flags << " ;;\n"
      << "esac\n"
      // Feed the double the line we read, then the rest of our stdin. The
      // pipeline runs in the background so that this shell can close its
      // stdout: the pool must see end-of-file when the double dies.
      << "exec 3<&0\n"
      << "{ printf '%s\\n' \"$line\"; exec cat <&3; } | \"$double\" \"$@\" &\n"
      << "exec >&- 3<&-\n"
      << "wait\n";
  out.close();
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  return {"/bin/sh", script.string()};
}

inline dojo::WorkerPoolOptions DoubleOptions(std::vector<std::string> extra_flags = {},
                                             std::size_t workers = 2) {
  dojo::WorkerPoolOptions o;
  o.repl_command = {ReplDoublePath().string(), "--instant"};
  for (auto& f : extra_flags) o.repl_command.push_back(std::move(f));
  o.workers = workers;
  o.request_timeout = std::chrono::seconds(30);
  o.startup_timeout = std::chrono::seconds(30);
  return o;
}

// Fails the test if the body left child processes or file descriptors behind.
class NoLeaks : public ::testing::Test {
 protected:
  void SetUp() override {
    fds_ = OpenFds();
    children_ = ChildProcesses();
  }
  void TearDown() override {
    EXPECT_EQ(ChildProcesses(), children_) << "child processes leaked";
    EXPECT_EQ(OpenFds(), fds_) << "file descriptors leaked";
  }

 private:
  int fds_ = 0;
  int children_ = 0;
};

// Returns a copy: callers often pass a temporary outcome.
inline dojo::ReplResponse ResponseOf(const dojo::PoolOutcome& outcome) {
  const auto* repl = std::get_if<dojo::ReplOutcome>(&outcome);
  if (!repl) throw std::runtime_error("pool error: " + dojo::Describe(outcome));
  const auto* response = std::get_if<dojo::ReplResponse>(repl);
  if (!response) throw std::runtime_error("not a response: " + dojo::Describe(outcome));
  return *response;
}

inline dojo::ReplResponse ResponseOf(const dojo::ReplOutcome& outcome) {
  const auto* response = std::get_if<dojo::ReplResponse>(&outcome);
  if (!response) throw std::runtime_error("not a response: " + dojo::Describe(outcome));
  return *response;
}

}  // namespace tatami::testing
