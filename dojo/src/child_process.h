// Launching, killing and reaping of REPL child processes (private to dojo).
//
// A child runs in its own process group (so that killing the group also kills
// what it spawned, e.g. the `repl` under `lake env repl`), with an optional
// address-space limit, and inherits no file descriptor other than its three
// standard streams.
//
// Thread-safety: the free functions are thread-safe (they touch only the
// process table and the descriptors they create).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace tatami::dojo::internal {

struct SpawnSpec {
  std::vector<std::string> argv;            // argv[0] is looked up on PATH unless it has a '/'
  std::filesystem::path working_directory;  // empty = ours
  std::map<std::string, std::string> environment;  // added to ours
  std::uint64_t memory_limit_bytes = 0;            // RLIMIT_AS; 0 = none
};

// The parent's ends of the child's standard streams. All are close-on-exec
// and non-blocking; the caller owns them.
struct SpawnedChild {
  int pid = -1;
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
};

// Thrown by SpawnChild; what() names the command and the cause.
class SpawnError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Starts the child. Returns once execve has succeeded (so the child is in its
// own process group already). Throws SpawnError if the program cannot be found
// or executed; no process is left behind in that case.
SpawnedChild SpawnChild(const SpawnSpec& spec);

// How a child ended. Both empty when the status could not be collected (e.g.
// SIGCHLD is ignored in this process, so the kernel reaped it already).
struct ExitStatus {
  std::optional<int> exit_code;
  std::optional<int> signal;
};

// If `pid` (our child) has terminated, returns its status WITHOUT reaping it:
// the zombie keeps its pid, and so its process group id, reserved until
// KillGroupAndReap, which makes killing the group afterwards safe.
std::optional<ExitStatus> PeekExited(int pid);

// Sends SIGKILL to the process group `pid` and to `pid` itself, then waits for
// `pid` (blocking; SIGKILL cannot be caught, so this is prompt) and returns
// how it ended. Safe when `pid` already terminated but was not reaped.
ExitStatus KillGroupAndReap(int pid);

// Sends SIGKILL to the process group of every child SpawnChild started that
// KillGroupAndReap has not taken yet, without waiting: for a process about to
// exit at once (a second Ctrl-C), so that no REPL outlives it.
void KillAllChildren();

// "exited with code 1", "was killed by signal 9 (SIGKILL)", ...
std::string DescribeExit(const ExitStatus& status);

// Resident set size, in bytes, of `pid` and all its descendants (read from
// /proc); 0 if `pid` is gone.
std::uint64_t ResidentBytesOfTree(int pid);

// The command as a user would type it: `lake env repl`.
std::string FormatCommand(const std::vector<std::string>& argv);

}  // namespace tatami::dojo::internal
