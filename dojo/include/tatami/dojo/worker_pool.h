// WorkerPool: a pool of warm Lean REPL workers, keyed by import header.
//
// Starting a REPL and importing its header (`import Mathlib`: seconds and
// gigabytes) dominates the cost of checking a snippet, so each worker is
// owned by one import header and keeps that header's environment. A request
// for header H goes to an idle worker that already holds H (its env is reused,
// nothing is re-imported); failing that a new worker is started in a free
// slot, or the least recently used idle worker is re-purposed for H.
//
// Requests and env numbers. A worker's header is imported once, by a
// start-up command {"cmd": "<header>"}, whose answer {"env": n} is the
// header env. The pool fills in "env": n for "cmd" requests that carry no
// "env", so callers write only the body ({"cmd": "theorem t : ... := by simp"}).
// Env and proofState numbers mean something only inside one worker process,
// so Submit() refuses requests that carry "env" or "proofState"; follow-up
// requests (tactics on a proof state, commands on an env a command returned)
// run through a Lease, which pins one worker.
//
// Leases. Acquire(header) waits for a worker holding `header` and gives the
// caller exclusive use of it until the Lease is released (destroyed or
// Release()d). Every process a slot runs gets a new pool-wide generation
// number; a Lease is bound to the generation it was granted with. If that
// process dies (crash, timeout, protocol error: the REPL's state is gone),
// Run() reports the outcome that killed it and the lease is then `broken()`:
// later Run()s are refused with ReplRejected until Restart() starts a fresh
// process (a new generation, header re-imported, all proof states gone), so a
// caller can never send an old proofState id to a new process by accident.
// Workers are never recycled under a lease; NeedsRecycle() tells a long-lived
// lease holder that its worker has passed a recycle threshold.
//
// Queueing and fairness. Submit() and Acquire() wait in one bounded queue
// (options.max_queue entries). Each caller (SubmitOptions::caller, default
// the calling thread) has its own FIFO; callers are served round-robin, so
// one caller's burst cannot starve another's single request. When the queue
// is full, Submit/Acquire either block until there is room
// (FullQueuePolicy::kBlock) or fail at once with PoolError::kQueueFull.
//
// Recycling. The REPL never frees proof states or environments, so a worker
// is restarted (same header) once it has produced max_proof_states new proof
// states or its resident memory passes recycle_rss_bytes, checked after each
// Submit() request and when a lease is released. With restore_from_pickle the
// header env is pickled once per header (pickleTo, into a temporary directory
// the pool owns and removes) and later starts for that header (recycles,
// restarts) restore it with unpickleEnvFrom instead of re-running the import.
// A restore that fails in any way (the pickle is missing or damaged, the
// REPL errs, dies or hangs) costs only time: the pool forgets the pickle and
// imports the header in a fresh process.
//
// Bad headers. A header that fails to import (the start-up command answers
// with an error, e.g. an unknown module) or hangs past startup_timeout fails
// the request that asked for it, and every request queued for the same header
// at that moment, with a PoolError naming the header and the REPL's message.
// The slot is freed and the pool keeps serving other headers; a later request
// for that header tries again.
//
// Threads. The pool owns an io_context and one thread that runs all workers'
// I/O; no thread per worker. Its handlers run one at a time, on whichever
// thread holds the pool's drive token: a caller blocked in Acquire, Lease::Run,
// Lease::Restart or Await while no other caller waits runs them itself (so a
// lone searching thread's request and answer are never handed between threads),
// and keeps the token between its waits; otherwise the I/O thread runs them,
// and it takes the token back from a caller that has not used it for 2 ms.
// A caller that runs them polls up to 100 us (yielding its CPU) before it
// sleeps, while its worker's answers come within that time.
// Every public member function is thread-safe and may be called from any number
// of threads, except that the blocking calls (Submit(...).get() on the future,
// Acquire, Lease::Run, Lease::Restart, Await) must not be made from a callback
// the pool invokes (they would deadlock). Callbacks (SubmitAsync,
// Lease::RunAsync) run in the pool's handlers, on the I/O thread or on a
// waiting caller's thread, and must not block or throw (an exception from a
// callback ends the process, whichever thread ran it). Workers are started from
// whichever thread runs the handlers, so that thread's own CPU affinity and
// nice value (if it has set any apart from the process's) carry over to them.
// The destructor fails everything still queued with PoolError::kShutdown, kills
// and reaps every child, and joins the thread; leases that outlive the pool
// refuse further requests.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "tatami/dojo/header.h"
#include "tatami/dojo/repl_outcome.h"
#include "tatami/dojo/repl_process.h"

namespace tatami::dojo {

enum class FullQueuePolicy {
  kBlock,  // Submit/Acquire wait until the queue has room.
  kFail,   // Submit/Acquire fail at once with PoolError::kQueueFull.
};

// Defaults of the pool's own fields are defined here; the fields it passes on
// to each worker's ReplProcess take their defaults from ReplProcessOptions,
// and Config takes all of its defaults from this struct.
struct WorkerPoolOptions {
  // argv of a worker, e.g. {"lake", "env", "repl"}. Required (no default;
  // Config supplies {"lake", "env", "repl"}).
  std::vector<std::string> repl_command;

  // Working directory of the workers: the Lean project whose packages the
  // headers import. Default: empty = the pool user's current directory.
  std::filesystem::path project_dir;

  // Extra environment variables for the workers. Default: none.
  std::map<std::string, std::string> environment;

  // Maximum number of worker processes. Default: 0 = the number of cores
  // (std::thread::hardware_concurrency(), at least 1).
  std::size_t workers = 0;

  // Requests (Submit and Acquire) that may wait for a worker at once; at
  // least 1. Default: 1024.
  std::size_t max_queue = 1024;

  // What Submit/Acquire do when max_queue requests are already waiting.
  // Default: kBlock.
  FullQueuePolicy when_full = FullQueuePolicy::kBlock;

  // Deadline of one request when the caller gives none; on expiry the worker
  // is killed (its state is gone). 0 = none. Default:
  // ReplProcessOptions::request_timeout (60 s).
  std::chrono::milliseconds request_timeout = ReplProcessOptions{}.request_timeout;

  // Deadline for starting a worker and importing its header. 0 = none.
  // Default: ReplProcessOptions::startup_timeout (600 s).
  std::chrono::milliseconds startup_timeout = ReplProcessOptions{}.startup_timeout;

  // Address-space limit (RLIMIT_AS) of each worker in bytes. 0 = none.
  // Default: ReplProcessOptions::memory_limit_bytes (0).
  std::uint64_t memory_limit_bytes = ReplProcessOptions{}.memory_limit_bytes;

  // Recycle a worker after it has produced this many new proof states.
  // 0 = never. Default: 0.
  std::uint64_t max_proof_states = 0;

  // Recycle a worker whose resident set exceeds this many bytes. 0 = never.
  // Default: 0.
  std::uint64_t recycle_rss_bytes = 0;

  // Restore recycled workers' header env from a pickle (unpickleEnvFrom)
  // instead of re-importing. Only faster when the header's import does work
  // beyond mapping .olean files (Mathlib's import is mostly mmap, so for it a
  // pickle is usually not faster); measure before enabling. If the pickle
  // cannot be written, or a restore from it fails in any way, the pool forgets
  // it and imports the header normally. Default: false.
  bool restore_from_pickle = false;

  // Directory for pickles; the pool creates a unique subdirectory in it and
  // removes that on destruction. Default: empty = the system temp directory.
  std::filesystem::path pickle_dir;

  friend bool operator==(const WorkerPoolOptions&, const WorkerPoolOptions&) = default;
};

// Why the pool could not run a request or grant a lease. The request never
// reached a REPL (or the REPL could not be made ready for it).
struct PoolError {
  enum Kind {
    kImportFailed,   // the header's import answered with an error
    kImportTimeout,  // the header's import did not finish within startup_timeout
    kStartFailed,    // the worker process could not be started (bad command...)
    kQueueFull,      // max_queue requests were waiting and when_full is kFail
    kBadRequest,     // the request carried "env"/"proofState" or was not an object
    kShutdown,       // the pool is being destroyed
  };
  Kind kind = kStartFailed;
  std::string header;   // the header key concerned ("" = no imports)
  std::string message;  // one line naming the header and what went wrong
  // The outcome of the failed start-up request, when there was one.
  std::optional<ReplOutcome> cause;
};

// The result of Submit: what the REPL did, or why it never got to run it.
using PoolOutcome = std::variant<ReplOutcome, PoolError>;

// One line describing `outcome`, for logs and CLI errors.
std::string Describe(const PoolOutcome& outcome);
std::string Describe(const PoolError& error);

struct SubmitOptions {
  // Deadline of the request itself (not of the wait in the queue).
  // Default: nullopt = WorkerPoolOptions::request_timeout.
  std::optional<std::chrono::milliseconds> timeout;
  // Fairness key: callers with different keys are served round-robin.
  // Default: nullopt = the calling thread.
  std::optional<std::uint64_t> caller;
};

// Counters since the pool was created. A snapshot; values are consistent
// with each other.
struct PoolStats {
  std::uint64_t starts = 0;            // worker processes started, for any reason
  std::uint64_t imports = 0;           // starts that ran a header's import command
  std::uint64_t import_failures = 0;   // imports that failed or timed out
  std::uint64_t reuses = 0;            // requests/leases given a worker already holding the header
  std::uint64_t repurposes = 0;        // idle workers killed to serve another header
  std::uint64_t recycles = 0;          // restarts because of max_proof_states / RSS
  std::uint64_t restarts = 0;          // fresh processes after a death, or for Lease::Restart
  std::uint64_t pickles = 0;           // header envs pickled
  std::uint64_t restores = 0;          // starts that unpickled the header env instead of importing
  std::uint64_t restore_failures = 0;  // restores that failed, so the header was imported
  std::uint64_t requests = 0;          // requests answered by a worker (any outcome)
  std::size_t queue_depth = 0;         // requests/acquires waiting now
  std::size_t workers_alive = 0;       // worker processes running now
  std::size_t leases_held = 0;         // leases outstanding now
};

// Identifies one worker process: a slot and the generation of the process
// running in it. Generations are unique across the pool.
struct WorkerRef {
  std::size_t slot = 0;
  std::uint64_t generation = 0;
  friend bool operator==(const WorkerRef&, const WorkerRef&) = default;
};

class WorkerPool;

// Exclusive use of one worker process (see the file comment). Movable, not
// copyable. Thread-safe, but its requests run one at a time, in call order.
class Lease {
 public:
  using Callback = std::function<void(ReplOutcome)>;

  Lease() = default;  // an empty lease (valid() == false)
  ~Lease();           // Release()
  Lease(Lease&&) noexcept;
  Lease& operator=(Lease&&) noexcept;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  // Sends `request` to the leased worker and waits for its outcome. A "cmd"
  // without "env" gets the header env. If the process dies, the outcome says
  // how (ReplCrash/ReplTimeout/ReplProtocolError) and the lease is broken().
  // A broken, released or empty lease, or one whose pool is gone, answers
  // ReplRejected without sending anything.
  ReplOutcome Run(nlohmann::json request,
                  std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // As Run, but `done` runs in the pool's handlers (see Threads); it must
  // not block. A thread that holds the pool's token between its waits runs
  // the handler that sends the request itself, at once: then `done`, and
  // the callbacks of this lease's earlier requests, may run on the calling
  // thread before RunAsync returns (when the outcome is known at once: the
  // worker died or is gone), so `done` must not take a lock the caller
  // holds around the call.
  void RunAsync(nlohmann::json request, Callback done,
                std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // As RunAsync for several requests, handed to the worker together: they
  // reach the REPL in one write and are answered in order (each deadline
  // starts when the REPL reaches its request). done(i, outcome) runs once
  // per request, in order, in the pool's handlers (or on the calling thread,
  // as for RunAsync); it must not block. If the process
  // dies, the requests behind the one it died on get ReplCrash outcomes
  // for which NeverRan() holds.
  using IndexedCallback = std::function<void(std::size_t, ReplOutcome)>;
  void RunAllAsync(std::vector<nlohmann::json> requests, IndexedCallback done,
                   std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // Kills the leased process (if alive) and starts a fresh one for the same
  // header in the same slot; on success the lease is bound to the new
  // generation and no longer broken. All proof states and envs of the old
  // process are gone. Returns the failure, if the import fails.
  std::optional<PoolError> Restart();

  // Gives the worker back to the pool (it may be recycled now if it passed a
  // threshold). Idempotent.
  void Release();

  bool valid() const;   // holds a worker (not released/empty)
  bool broken() const;  // the leased process died; only Restart() helps
  WorkerRef worker() const;
  // Generation of the leased process; changes only through Restart().
  std::uint64_t generation() const { return worker().generation; }
  // The header this worker holds and its env number in this process.
  const ImportHeader& header() const;
  int header_env() const;
  // True once the worker has passed max_proof_states or recycle_rss_bytes;
  // the holder may Restart() (losing its states) or carry on.
  bool NeedsRecycle() const;
  // New proof states this process has produced so far.
  std::uint64_t proof_states() const;

 private:
  friend class WorkerPool;
  struct State;
  std::shared_ptr<State> state_;
};

class WorkerPool {
 public:
  using Callback = std::function<void(PoolOutcome)>;

  // Starts the I/O thread; workers are started lazily, on demand. Throws
  // std::invalid_argument if options.repl_command is empty.
  explicit WorkerPool(WorkerPoolOptions options);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `request` on a worker holding `header` and returns its outcome.
  // Blocks only while the queue is full and options.when_full is kBlock.
  std::future<PoolOutcome> Submit(const ImportHeader& header, nlohmann::json request,
                                  SubmitOptions options = {});

  // As Submit; `done` runs exactly once, in the pool's handlers (or on the
  // calling thread if the request is refused at once); it must not block.
  void SubmitAsync(const ImportHeader& header, nlohmann::json request, Callback done,
                   SubmitOptions options = {});

  // Splits `snippet` into header and body (SplitHeader) and submits
  // {"cmd": body}. Positions the REPL reports are relative to the body; see
  // SplitSnippet::body_first_line. Throws std::invalid_argument for a
  // malformed header.
  std::future<PoolOutcome> SubmitSnippet(std::string_view snippet, SubmitOptions options = {});

  // Waits for a worker holding `header` (starting or re-purposing one as
  // Submit does) and leases it. Fails like Submit for a bad header or a full
  // queue. `caller` is the fairness key (default: the calling thread).
  std::variant<Lease, PoolError> Acquire(const ImportHeader& header,
                                         std::optional<std::uint64_t> caller = std::nullopt);

  // Starts workers for `header` ahead of demand (up to `count`, bounded by
  // free slots), so the first requests find it warm. Returns at once.
  void Prewarm(const ImportHeader& header, std::size_t count = 1);

  // Blocks until ready() returns true. wait() must block until ready()
  // holds (a condition-variable wait, a future's wait()). While no other
  // thread waits on the pool, the caller runs the pool's I/O itself
  // meanwhile (looking at ready() after each handler, and every 2 ms), so
  // that a lone caller's requests and answers are not handed between
  // threads; otherwise it calls wait() while the pool's thread does the I/O.
  // ready() runs under a pool lock and must not call the pool; if it throws,
  // the exception propagates. Not from a pool callback. Thread-safe.
  void Await(const std::function<bool()>& ready, const std::function<void()>& wait) const;

  PoolStats stats() const;
  const WorkerPoolOptions& options() const;
  // The number of worker slots (options.workers resolved).
  std::size_t size() const;

 private:
  friend class Lease;
  class Core;
  std::shared_ptr<Core> core_;
};

}  // namespace tatami::dojo
