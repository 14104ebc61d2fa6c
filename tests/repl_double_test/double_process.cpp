#include "double_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "fixtures.h"

namespace tatami::testing {

DoubleProcess::DoubleProcess(const std::vector<std::string>& args) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  char name[] = "/tmp/tatami-repl-double-stderr-XXXXXX";
  err_fd_ = mkostemp(name, O_CLOEXEC);
  if (err_fd_ < 0) throw std::runtime_error("mkostemp");
  unlink(name);
  std::string program = ReplDoublePath().string();
  std::vector<char*> argv;
  argv.push_back(program.data());
  std::vector<std::string> copy = args;
  for (std::string& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork");
  if (pid_ == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err_fd_, 2);
    execv(program.c_str(), argv.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  in_fd_ = in[1];
  out_fd_ = out[0];
  signal(SIGPIPE, SIG_IGN);
}

DoubleProcess::~DoubleProcess() {
  if (in_fd_ >= 0) close(in_fd_);
  if (out_fd_ >= 0) close(out_fd_);
  if (!reaped_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
  }
  if (err_fd_ >= 0) close(err_fd_);
}

void DoubleProcess::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = write(in_fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // the child is gone; the test sees it on stdout
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void DoubleProcess::CloseStdin() {
  if (in_fd_ >= 0) close(in_fd_);
  in_fd_ = -1;
}

bool DoubleProcess::Fill(std::chrono::steady_clock::time_point until) {
  if (eof_) return false;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      until - std::chrono::steady_clock::now());
  pollfd p{out_fd_, POLLIN, 0};
  int r = poll(&p, 1, left.count() > 0 ? static_cast<int>(left.count()) : 0);
  if (r == 0) {
    timed_out_ = true;
    return false;
  }
  if (r < 0) return errno == EINTR;
  char buf[1 << 16];
  ssize_t n = read(out_fd_, buf, sizeof buf);
  if (n <= 0) {
    eof_ = true;
    return false;
  }
  splitter_.Append(std::string_view(buf, static_cast<std::size_t>(n)));
  return true;
}

std::optional<std::string> DoubleProcess::ReadFrame(std::chrono::milliseconds deadline) {
  timed_out_ = false;
  auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    if (auto f = splitter_.Next()) return f;
    if (!Fill(until)) return std::nullopt;
  }
}

std::string DoubleProcess::ReadOnce(std::chrono::milliseconds deadline) {
  timed_out_ = false;
  if (!Fill(std::chrono::steady_clock::now() + deadline)) return {};
  std::string out(splitter_.pending());
  splitter_.Clear();
  return out;
}

std::string DoubleProcess::ReadToEof(std::chrono::milliseconds deadline) {
  timed_out_ = false;
  auto until = std::chrono::steady_clock::now() + deadline;
  std::string out;
  for (;;) {
    out.append(splitter_.pending());
    splitter_.Clear();
    if (!Fill(until)) return out;
  }
}

int DoubleProcess::Wait() {
  if (!reaped_) {
    waitpid(pid_, &status_, 0);
    reaped_ = true;
  }
  return status_;
}

bool DoubleProcess::Running() {
  if (reaped_) return false;
  int r = waitpid(pid_, &status_, WNOHANG);
  if (r == pid_) reaped_ = true;
  return r == 0;
}

std::string DoubleProcess::Stderr() const {
  std::string out;
  char buf[4096];
  off_t off = 0;
  for (;;) {
    ssize_t n = pread(err_fd_, buf, sizeof buf, off);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    off += n;
  }
  return out;
}

}  // namespace tatami::testing
