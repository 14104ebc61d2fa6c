// Appending a command's JSON Lines output (tatami check, tatami prove) to a
// file or stdout, one whole line per finished item, so that an interrupted run
// leaves only whole lines behind plus at most one cut last line, which
// ResumeOutput (resumable_output.h) removes.
//
// Thread-safety: not thread-safe; callers serialise Write.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace tatami::cli {

class JsonLinesWriter {
 public:
  // An empty `path` means stdout. Throws std::runtime_error when the file
  // cannot be opened.
  explicit JsonLinesWriter(const std::string& path) : path_(path.empty() ? "stdout" : path) {
    if (path.empty()) return;
    fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw std::runtime_error("cannot open output file " + path + ": " + std::strerror(errno));
    struct stat st {};
    regular_ = ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode);
  }
  ~JsonLinesWriter() {
    if (fd_ != STDOUT_FILENO) ::close(fd_);
  }
  JsonLinesWriter(const JsonLinesWriter&) = delete;
  JsonLinesWriter& operator=(const JsonLinesWriter&) = delete;

  // One write() per line: with O_APPEND the line lands whole, after all
  // others. A regular file is synced so that a finished item survives a crash.
  void Write(const nlohmann::json& line) {
    const std::string text =
        line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    for (std::size_t off = 0; off < text.size();) {
      const ssize_t n = ::write(fd_, text.data() + off, text.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw std::runtime_error("cannot write to " + path_ + ": " + std::strerror(errno));
      off += static_cast<std::size_t>(n);
    }
    if (regular_) ::fdatasync(fd_);
  }

 private:
  std::string path_;  // for messages
  int fd_ = STDOUT_FILENO;
  bool regular_ = false;
};

}  // namespace tatami::cli
