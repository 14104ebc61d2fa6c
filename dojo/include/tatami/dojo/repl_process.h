// ReplProcess: one Lean REPL child process, driven asynchronously.
//
// Many ReplProcess objects share one boost::asio::io_context; there is no
// thread per child. The REPL answers strictly in order, so requests queued
// together are written ahead (pipelined: up to max_pipelined_requests
// unanswered) and wait in its input; each one's deadline starts when the REPL
// reaches it. Every request completes its callback exactly once with
// a ReplOutcome. After a timeout, crash or protocol error the child is killed
// and reaped and the worker is Dead until Restart(), which launches a new child
// and replays the start-up requests (e.g. the `import` header).
//
// Thread-safety: not thread-safe. All member functions must be called from the
// thread running the io_context (or before it runs); callbacks are invoked on
// that thread. The destructor kills and reaps the child. The io_context must
// outlive the ReplProcess.
//
// While a child runs, reads of its stdout and stderr are always pending (a
// child that dies while idle is noticed and reaped at once, and a chatty
// stderr never blocks it), so io_context::run() returns only after Kill() or
// destruction; drive it with run_one()/poll() or stop() it.
//
// Exit detection needs no SIGCHLD handler: the end of the child's stdout
// triggers waitpid(WNOHANG) polls (Asio 1.18 installs signal handlers without
// SA_RESTART, which would make unrelated blocking calls in the process fail
// with EINTR). Process-wide effect: the first ReplProcess sets SIGPIPE to
// SIG_IGN if it is SIG_DFL, so that writing to a dead child is an error, not
// a fatal signal (children get SIG_DFL back).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tatami/dojo/repl_outcome.h"

namespace boost::asio {
class io_context;
}

namespace tatami::dojo {

// The defaults of request_timeout, startup_timeout and memory_limit_bytes
// here are the project's defaults: WorkerPoolOptions and Config take theirs
// from this struct.
struct ReplProcessOptions {
  // argv of the child. argv[0] is looked up on PATH unless it contains '/'.
  // For users: {"lake", "env", "repl"} run in a Lean project directory (the
  // default of Config::repl_command). Default: empty (must be set).
  std::vector<std::string> command;

  // Working directory of the child. Default: empty = inherit ours.
  std::filesystem::path working_directory;

  // Extra environment variables for the child (added to ours). Default: none.
  std::map<std::string, std::string> environment;

  // Deadline for one request when the caller gives none; 0 = no deadline.
  // Default: 60 s.
  std::chrono::milliseconds request_timeout{std::chrono::seconds(60)};

  // Deadline for each start-up request (imports can be slow); 0 = none.
  // Default: 600 s.
  std::chrono::milliseconds startup_timeout{std::chrono::seconds(600)};

  // Address-space limit of the child (RLIMIT_AS), in bytes. 0 = unlimited.
  // Default: 0.
  std::uint64_t memory_limit_bytes = 0;

  // How many trailing bytes of the child's stderr are kept for crash reports.
  // Default: 8 KiB.
  std::size_t stderr_tail_bytes = 8 * 1024;

  // Requests written to the child before the earlier ones are answered. The
  // REPL reads its input in order, so a batch of requests costs the child
  // one wake-up instead of one per request; a request's deadline still
  // starts when the REPL reaches it. Start-up requests are never overtaken.
  // 1 = write each request only after the previous answer. Default: 64.
  std::size_t max_pipelined_requests = 64;

  // A response larger than this is a protocol error. Default: 1 GiB.
  std::size_t max_response_bytes = std::size_t{1} << 30;

  // Requests sent (in order) after every start and restart, e.g. an
  // {"cmd": "import Mathlib"}. Their responses are kept (startup_responses())
  // so that callers can learn the `env` they created. A start-up response that
  // is a REPL error ({"message": ...}) or holds a message of severity "error"
  // fails the start. Without start-up requests, a child that dies or misbehaves
  // right after execve is noticed by the first request instead. Default: none.
  std::vector<nlohmann::json> startup_requests;

  friend bool operator==(const ReplProcessOptions&, const ReplProcessOptions&) = default;
};

// Result of Start()/Restart().
struct StartResult {
  bool ok = false;
  // Set when !ok: why the worker could not be started: a ReplCrash for a
  // spawn failure or a child that died, a ReplTimeout / ReplProtocolError for
  // a start-up request that got no / a garbled answer, or the ReplResponse
  // holding the REPL's error answer to a start-up request.
  std::optional<ReplOutcome> failure;
  std::string error;  // one-line description when !ok
};

class ReplProcess {
 public:
  enum class State { kStopped, kStarting, kReady, kBusy, kDead };

  using Callback = std::function<void(ReplOutcome)>;
  using StartCallback = std::function<void(StartResult)>;

  ReplProcess(boost::asio::io_context& io, ReplProcessOptions options);
  ~ReplProcess();
  ReplProcess(const ReplProcess&) = delete;
  ReplProcess& operator=(const ReplProcess&) = delete;

  // Launches the child and sends the start-up requests. `done` runs once
  // (never from inside this call). Requests queued meanwhile wait for the
  // start-up requests. Throws std::logic_error if a child is already running.
  void AsyncStart(StartCallback done);

  // Kills the current child (if any; pending requests complete as crashes)
  // and starts a new one, replaying the start-up requests.
  void AsyncRestart(StartCallback done);

  // Queues `request`; `done` runs exactly once with its outcome (never from
  // inside this call). `timeout` overrides options.request_timeout. If the
  // worker is Dead, the outcome is a ReplCrash describing the earlier death
  // (call AsyncRestart first); if it was never started, ReplRejected. When the
  // child dies, the request it was working on gets the outcome saying how;
  // requests written behind it get a ReplCrash whose reason starts with
  // "not run: ", requests still queued one starting with "not sent: " (the
  // REPL started on neither: NeverRan() in repl_outcome.h). So does the
  // request it was working on when the child never received it whole (it
  // had died unnoticed, or died while the request was written).
  void AsyncRequest(nlohmann::json request, Callback done,
                    std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // As AsyncRequest for each request (done[i] for requests[i]), written to
  // the child together: one write(), one wake-up of the REPL. Throws
  // std::invalid_argument if the two vectors differ in size.
  void AsyncRequests(std::vector<nlohmann::json> requests, std::vector<Callback> done,
                     std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // Kills the child's process group with SIGKILL and reaps it. Pending
  // requests complete as ReplCrash (their callbacks are posted, not run inside
  // Kill). The worker is Dead afterwards. Idempotent.
  void Kill();

  State state() const;
  // OS pid of the child, or -1 when none is running.
  int pid() const;
  // Number of children started so far (1 after the first start).
  std::uint64_t generation() const;
  // Responses to options.startup_requests from the latest (re)start.
  const std::vector<nlohmann::json>& startup_responses() const;
  // Resident set size in bytes of the child and its descendants (from /proc;
  // under `lake env repl` the REPL is a grandchild), or 0 if no child runs.
  std::uint64_t ResidentBytes() const;
  const ReplProcessOptions& options() const;

 private:
  friend class ReplClient;  // sends pre-encoded requests (no JSON copy)
  class Impl;
  std::shared_ptr<Impl> impl_;
};

// A blocking convenience wrapper: owns an io_context and one ReplProcess.
// For tools and tests that talk to a single worker.
// Thread-safety: not thread-safe.
class ReplClient {
 public:
  explicit ReplClient(ReplProcessOptions options);
  ~ReplClient();

  StartResult Start();
  StartResult Restart();
  ReplOutcome Send(const nlohmann::json& request,
                   std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  ReplProcess& process();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Sends SIGKILL to the process group of every REPL child this process has
// started and not yet reaped, without waiting. For a process that is about
// to end at once (e.g. with _exit on a second Ctrl-C) without destroying its
// pools: none of its children outlives it. Thread-safe.
void KillAllReplChildren();

}  // namespace tatami::dojo
