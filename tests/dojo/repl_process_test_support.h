// Helpers shared by the ReplProcess tests: commands for the REPL test double
// and leak accounting (child processes, open descriptors).
#pragma once

#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fixtures.h"

namespace tatami::testing {

// argv running the REPL test double with `args`.
inline std::vector<std::string> Double(std::vector<std::string> args) {
  args.insert(args.begin(), ReplDoublePath().string());
  return args;
}

// The parent pid of `pid` from /proc, or -1.
inline int ParentOf(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return -1;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
  auto close = line.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(line.substr(close + 2));
  char state;
  int ppid;
  if (!(rest >> state >> ppid)) return -1;
  return ppid;
}

// Processes (live or zombie) whose parent is this process.
inline std::vector<int> OurChildren() {
  std::vector<int> out;
  const int self = static_cast<int>(::getpid());
  if (DIR* d = ::opendir("/proc")) {
    while (dirent* e = ::readdir(d)) {
      char* end;
      long pid = std::strtol(e->d_name, &end, 10);
      if (*end != '\0' || pid <= 0) continue;
      if (ParentOf(static_cast<int>(pid)) == self) out.push_back(static_cast<int>(pid));
    }
    ::closedir(d);
  }
  return out;
}

inline int OpenDescriptorCount() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') ++n;
    }
    ::closedir(d);
  }
  return n - 1;  // the directory stream itself
}

// Records descriptors at set-up; at tear-down asserts that no child process
// (running or zombie) is left and that no descriptor leaked. Tests keep their
// io_context and workers local to the test body so both are gone by then.
class NoLeaksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(OurChildren().empty()) << "children left over from an earlier test";
    fds_before_ = OpenDescriptorCount();
  }
  void TearDown() override {
    EXPECT_TRUE(OurChildren().empty()) << "a child process leaked (running or zombie)";
    EXPECT_EQ(OpenDescriptorCount(), fds_before_) << "file descriptors leaked";
  }

 private:
  int fds_before_ = 0;
};

}  // namespace tatami::testing
