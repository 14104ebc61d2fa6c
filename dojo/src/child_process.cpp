#include "child_process.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <system_error>

#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
#include <boost/process/env.hpp>
#include <boost/process/environment.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/start_dir.hpp>

namespace tatami::dojo::internal {

namespace {

// The children started and not yet reaped, for KillAllChildren. A pid leaves
// before it is reaped, so that the ids killed here are never a reused pid.
std::mutex live_mu;
std::set<int>& LiveChildren() {
  static std::set<int> live;
  return live;
}

}  // namespace

namespace bp = boost::process;
namespace fs = std::filesystem;

namespace {

std::string ErrnoText(int err) { return std::error_code(err, std::system_category()).message(); }

// Owns a descriptor until released.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// A close-on-exec descriptor numbered 3 or above: if this process runs with a
// standard stream closed, pipe2() may hand out 0, 1 or 2, and dup2()ing such a
// descriptor onto itself in the child would keep its close-on-exec flag.
int AboveStdStreams(int fd) {
  if (fd > 2) return fd;
  int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  int err = errno;
  ::close(fd);
  if (moved < 0) throw SpawnError(std::string("fcntl(F_DUPFD_CLOEXEC) failed: ") + ErrnoText(err));
  return moved;
}

void MakePipe(Fd& read_end, Fd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw SpawnError(std::string("cannot create a pipe: ") + ErrnoText(errno));
  }
  read_end.Reset(fds[0]);
  write_end.Reset(fds[1]);
  read_end.Reset(AboveStdStreams(read_end.Release()));
  write_end.Reset(AboveStdStreams(write_end.Release()));
}

void SetNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    throw SpawnError(std::string("fcntl(O_NONBLOCK) failed: ") + ErrnoText(errno));
  }
}

bool IsExecutableFile(const fs::path& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

// Resolves argv[0] the way execvp would, but with errors that say what is
// wrong. A relative path with a '/' is relative to the child's working
// directory (as for execve after chdir).
fs::path ResolveProgram(const SpawnSpec& spec, const std::string& shown) {
  const std::string& name = spec.argv.front();
  if (name.empty()) throw SpawnError("cannot start " + shown + ": the program name is empty");
  if (name.find('/') != std::string::npos) {
    fs::path p(name);
    if (p.is_relative()) {
      fs::path base = spec.working_directory.empty() ? fs::current_path()
                                                     : fs::absolute(spec.working_directory);
      p = base / p;
    }
    struct stat st;
    if (::stat(p.c_str(), &st) != 0) {
      throw SpawnError("cannot start " + shown + ": " + p.string() + ": " + ErrnoText(errno));
    }
    if (S_ISDIR(st.st_mode)) {
      throw SpawnError("cannot start " + shown + ": " + p.string() + " is a directory");
    }
    if (::access(p.c_str(), X_OK) != 0) {
      throw SpawnError("cannot start " + shown + ": " + p.string() + " is not executable");
    }
    return p;
  }
  std::string path;
  if (auto it = spec.environment.find("PATH"); it != spec.environment.end()) {
    path = it->second;
  } else if (const char* env = std::getenv("PATH")) {
    path = env;
  } else {
    path = "/usr/local/bin:/usr/bin:/bin";
  }
  std::size_t start = 0;
  for (;;) {
    std::size_t colon = path.find(':', start);
    std::string dir =
        path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    fs::path candidate = (dir.empty() ? fs::path(".") : fs::path(dir)) / name;
    if (IsExecutableFile(candidate)) return candidate;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  throw SpawnError("cannot start " + shown + ": program `" + name + "` not found on PATH");
}

struct LinuxDirent64 {
  ino64_t d_ino;
  off64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

// Runs in the child between fork and exec, so only async-signal-safe calls:
// marks every descriptor above 2 close-on-exec, so that the child does not
// inherit the pipes of sibling workers (created by other threads without
// O_CLOEXEC, e.g. by libraries) and keeps their EOF from ever arriving.
// Boost.Process's own error-report pipe is close-on-exec already and must stay
// open until execve, so descriptors are flagged, not closed.
void MarkInheritedDescriptorsCloseOnExec() {
  if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
  int dir = ::open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    alignas(LinuxDirent64) char buf[4096];
    for (;;) {
      long n = ::syscall(SYS_getdents64, dir, buf, sizeof(buf));
      if (n <= 0) break;
      for (long off = 0; off < n;) {
        auto* d = reinterpret_cast<LinuxDirent64*>(buf + off);
        int fd = 0;
        bool numeric = d->d_name[0] != '\0';
        for (const char* c = d->d_name; *c; ++c) {
          if (*c < '0' || *c > '9') {
            numeric = false;
            break;
          }
          fd = fd * 10 + (*c - '0');
        }
        if (numeric && fd > 2 && fd != dir) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        off += d->d_reclen;
      }
    }
    ::close(dir);
    return;
  }
  struct rlimit rl;
  rlim_t max = ::getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
  if (max > 65536) max = 65536;
  for (rlim_t fd = 3; fd < max; ++fd) ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
}

}  // namespace

std::string FormatCommand(const std::vector<std::string>& argv) {
  std::string out = "`";
  for (std::size_t i = 0; i < argv.size(); ++i) {
    if (i > 0) out += ' ';
    const std::string& a = argv[i];
    bool plain = !a.empty() && a.find_first_of(" \t\n'\"\\$`") == std::string::npos;
    if (plain) {
      out += a;
    } else {
      out += '\'';
      for (char c : a) {
        if (c == '\'') {
          out += "'\\''";
        } else {
          out += c;
        }
      }
      out += '\'';
    }
  }
  out += '`';
  return out;
}

SpawnedChild SpawnChild(const SpawnSpec& spec) {
  const std::string shown = FormatCommand(spec.argv);
  if (spec.argv.empty()) throw SpawnError("cannot start the REPL: no command given");
  if (!spec.working_directory.empty()) {
    std::error_code ec;
    if (!fs::is_directory(spec.working_directory, ec)) {
      throw SpawnError("cannot start " + shown + ": working directory " +
                       spec.working_directory.string() + " is not a directory");
    }
  }
  const fs::path program = ResolveProgram(spec, shown);

  Fd in_read, in_write, out_read, out_write, err_read, err_write;
  MakePipe(in_read, in_write);
  MakePipe(out_read, out_write);
  MakePipe(err_read, err_write);

  bp::environment env = boost::this_process::environment();
  for (const auto& [key, value] : spec.environment) env[key] = value;
  std::vector<std::string> args(spec.argv.begin() + 1, spec.argv.end());

  const int child_in = in_read.get();
  const int child_out = out_write.get();
  const int child_err = err_write.get();
  const rlim_t memory_limit = static_cast<rlim_t>(spec.memory_limit_bytes);

  auto setup_in_child = [child_in, child_out, child_err, memory_limit](auto& exec) {
    // dup2 clears close-on-exec on the new descriptor: these three survive.
    if (::dup2(child_in, STDIN_FILENO) < 0 || ::dup2(child_out, STDOUT_FILENO) < 0 ||
        ::dup2(child_err, STDERR_FILENO) < 0) {
      exec.set_error(std::error_code(errno, std::system_category()), "dup2 failed");
      ::_exit(127);
    }
    // Our own group, so that a kill of the group reaches grandchildren.
    if (::setpgid(0, 0) != 0) {
      exec.set_error(std::error_code(errno, std::system_category()), "setpgid failed");
      ::_exit(127);
    }
    if (memory_limit > 0) {
      struct rlimit rl {
        memory_limit, memory_limit
      };
      if (::setrlimit(RLIMIT_AS, &rl) != 0) {
        exec.set_error(std::error_code(errno, std::system_category()),
                       "setrlimit(RLIMIT_AS) failed");
        ::_exit(127);
      }
    }
    // This process ignores SIGPIPE (see ReplProcess); an ignored signal stays
    // ignored across execve, so give the child the default back. Likewise the
    // signal mask of the forking thread.
    ::signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    MarkInheritedDescriptorsCloseOnExec();
  };
  // Boost.Process v1 does not reap a child whose execve failed; remember its
  // pid so that we can.
  pid_t failed_pid = -1;
  auto on_error = [&failed_pid](auto& exec, const std::error_code&) { failed_pid = exec.pid; };

  std::error_code ec;
  bp::child child;
  if (spec.working_directory.empty()) {
    child =
        bp::child(bp::exe = program.string(), bp::args = args, env,
                  bp::extend::on_exec_setup = setup_in_child, bp::extend::on_error = on_error, ec);
  } else {
    child =
        bp::child(bp::exe = program.string(), bp::args = args, env,
                  bp::start_dir = spec.working_directory.string(),
                  bp::extend::on_exec_setup = setup_in_child, bp::extend::on_error = on_error, ec);
  }
  if (ec) {
    if (failed_pid > 0) {
      int status;
      while (::waitpid(failed_pid, &status, 0) < 0 && errno == EINTR) {
      }
    }
    throw SpawnError("cannot start " + shown + ": " + ec.message());
  }
  SpawnedChild out;
  out.pid = child.id();
  {
    std::lock_guard lock(live_mu);
    LiveChildren().insert(out.pid);
  }
  // From here on we own the pid: Boost's child would otherwise kill it in its
  // destructor, and its running()/wait() would reap it behind our back.
  child.detach();

  in_read.Reset();
  out_write.Reset();
  err_write.Reset();
  SetNonBlocking(in_write.get());
  SetNonBlocking(out_read.get());
  SetNonBlocking(err_read.get());
  out.stdin_fd = in_write.Release();
  out.stdout_fd = out_read.Release();
  out.stderr_fd = err_read.Release();
  return out;
}

std::optional<ExitStatus> PeekExited(int pid) {
  siginfo_t info;
  std::memset(&info, 0, sizeof(info));
  int rc;
  do {
    rc = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    // ECHILD: not our child any more (reaped elsewhere, or SIGCHLD ignored).
    return ExitStatus{};
  }
  if (info.si_pid == 0) return std::nullopt;  // still running
  ExitStatus s;
  if (info.si_code == CLD_EXITED) {
    s.exit_code = info.si_status;
  } else {
    s.signal = info.si_status;
  }
  return s;
}

void KillAllChildren() {
  std::lock_guard lock(live_mu);
  for (int pid : LiveChildren()) {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
  }
}

ExitStatus KillGroupAndReap(int pid) {
  {
    std::lock_guard lock(live_mu);
    LiveChildren().erase(pid);
  }
  // The group id is the pid: the child called setpgid(0, 0) before execve,
  // and an unreaped zombie keeps that id from being reused.
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);  // in case it moved itself to another group
  int status = 0;
  pid_t rc;
  do {
    rc = ::waitpid(pid, &status, 0);
  } while (rc < 0 && errno == EINTR);
  ExitStatus s;
  if (rc == pid) {
    if (WIFEXITED(status)) s.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) s.signal = WTERMSIG(status);
  }
  return s;
}

std::string DescribeExit(const ExitStatus& status) {
  if (status.exit_code) return "exited with code " + std::to_string(*status.exit_code);
  if (status.signal) {
    std::string s = "was killed by signal " + std::to_string(*status.signal);
    if (const char* abbrev = ::sigabbrev_np(*status.signal)) {
      s += std::string(" (SIG") + abbrev + ")";
    }
    return s;
  }
  return "ended (its exit status was collected elsewhere)";
}

std::uint64_t ResidentBytesOfTree(int pid) {
  if (pid <= 0) return 0;
  static const long page = ::sysconf(_SC_PAGESIZE);
  std::uint64_t total = 0;
  std::vector<int> todo{pid};
  std::set<int> seen;
  while (!todo.empty() && seen.size() < 4096) {
    int p = todo.back();
    todo.pop_back();
    if (!seen.insert(p).second) continue;
    const std::string base = "/proc/" + std::to_string(p);
    {
      std::ifstream statm(base + "/statm");
      std::uint64_t size = 0, resident = 0;
      if (statm >> size >> resident) total += resident * static_cast<std::uint64_t>(page);
    }
    // Children of every thread (a process may spawn from any of its threads).
    std::error_code ec;
    for (fs::directory_iterator it(base + "/task", ec), end; !ec && it != end; it.increment(ec)) {
      std::ifstream children(it->path() / "children");
      int child;
      while (children >> child) todo.push_back(child);
    }
  }
  return total;
}

}  // namespace tatami::dojo::internal
