// Runs tatami-repl-double as a child process for tests: pipes on stdin and
// stdout, stderr to a temporary file, reads bounded by poll() deadlines.
//
// Thread-safety: not thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tatami/dojo/framing.h"

namespace tatami::testing {

class DoubleProcess {
 public:
  // Starts the double with `args` (not including the program name).
  explicit DoubleProcess(const std::vector<std::string>& args);
  ~DoubleProcess();  // kills and reaps the child if it still runs
  DoubleProcess(const DoubleProcess&) = delete;
  DoubleProcess& operator=(const DoubleProcess&) = delete;

  void Send(std::string_view bytes);
  void CloseStdin();

  // Next blank-line-terminated frame of stdout; nullopt at EOF or when the
  // deadline passes first (then timed_out() is true).
  std::optional<std::string> ReadFrame(
      std::chrono::milliseconds deadline = std::chrono::seconds(20));
  // The bytes of one read(2) of stdout, once it is readable (empty at EOF or
  // when the deadline passes first). Not for use after ReadFrame.
  std::string ReadOnce(std::chrono::milliseconds deadline = std::chrono::seconds(20));
  // Everything left on stdout until EOF (including a partial last frame).
  std::string ReadToEof(std::chrono::milliseconds deadline = std::chrono::seconds(20));
  bool timed_out() const { return timed_out_; }

  // Waits for the child and returns its wait status (as from waitpid).
  int Wait();
  bool Running();
  int pid() const { return pid_; }
  std::string Stderr() const;

 private:
  bool Fill(std::chrono::steady_clock::time_point until);

  int pid_ = -1;
  int in_fd_ = -1, out_fd_ = -1;
  int err_fd_ = -1;
  bool eof_ = false, timed_out_ = false, reaped_ = false;
  int status_ = 0;
  tatami::dojo::FrameSplitter splitter_;
};

}  // namespace tatami::testing
