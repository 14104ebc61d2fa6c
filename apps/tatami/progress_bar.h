// A one-line progress bar on stderr for long jobs (encoding, retrieval
// evaluation, batch checks), drawn only when stderr is a terminal (logs and
// pipes get nothing but the final summary).
//
// Thread-safety: not thread-safe; one bar per job, updated from one thread
// or under the caller's lock.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>

#include <fmt/format.h>

namespace tatami::cli {

class ProgressBar {
 public:
  ProgressBar(std::string what, std::size_t total, bool enabled = true)
      : what_(std::move(what)),
        total_(total),
        enabled_(enabled && isatty(STDERR_FILENO)),
        start_(std::chrono::steady_clock::now()) {}
  ~ProgressBar() { Finish(); }
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // `note` is shown after the rate, e.g. "ok 12".
  void Update(std::size_t done, const std::string& note = "") {
    if (!enabled_) return;
    const double elapsed = Seconds();
    const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
    const std::size_t width = 30;
    const std::size_t filled = total_ ? done * width / total_ : width;
    std::string eta = "?";
    if (rate > 0 && done <= total_) {
      const auto left = static_cast<long>(static_cast<double>(total_ - done) / rate);
      eta = fmt::format("{}:{:02}:{:02}", left / 3600, left / 60 % 60, left % 60);
    }
    std::fprintf(stderr, "\r%s [%s%s] %zu/%zu  %.1f/s  ETA %s  %s", what_.c_str(),
                 std::string(filled, '#').c_str(), std::string(width - filled, ' ').c_str(), done,
                 total_, rate, eta.c_str(), note.c_str());
    std::fflush(stderr);
    drawn_ = true;
  }

  // Ends the line; later output starts on a fresh one.
  void Finish() {
    if (drawn_) std::fputc('\n', stderr);
    drawn_ = false;
  }

  double Seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::string what_;
  std::size_t total_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace tatami::cli
