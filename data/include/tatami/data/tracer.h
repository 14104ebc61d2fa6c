// Tracing a Lake project through the worker pool into LeanDojo Benchmark 4's
// format (trace_store.h describes the output directory).
//
// Each file's body is sent once, with the file's imports as the pool's
// header, as {"cmd": body, "allTactics": true, "infotree": "substantive"}; the
// response is assembled into theorems (trace_assembly.h) and stored at once.
// Files are traced in parallel (as many in flight as the pool has workers,
// times two); a file whose key (its content, the keys of the project files it
// imports, the toolchain, the format version) matches its stored result is
// skipped; a file that fails (Lean error object, timeout, crash, bad header)
// is stored as an error, reported and traced again on the next run.
//
// Thread-safety: TraceProject is for one thread; `on_progress` is called on
// that thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "tatami/data/trace_store.h"
#include "tatami/dojo/worker_pool.h"

namespace tatami::data {

struct TraceOptions {
  // Root of the Lake project; file paths in the output are relative to it.
  // Required.
  std::filesystem::path project;
  // Output directory. Required.
  std::filesystem::path output;
  // Files (paths, relative to `project` or absolute) or modules (`A.B` for
  // A/B.lean) to trace. Default: empty = every .lean file under `project`
  // except lakefile.lean and the `.lake`, `lake-packages` and hidden folders.
  std::vector<std::string> targets;
  // Written into each theorem and metadata.json. Default: empty.
  std::string url;
  std::string commit;
  // The toolchain; part of every cache key. Default: empty = the contents of
  // `project`/lean-toolchain (trimmed), or "unknown" without that file.
  std::string toolchain;
  // Written into metadata.json. Default: empty.
  std::string tatami_version;
  // Deadline of one file's request. Default: nullopt = the pool's request_timeout.
  std::optional<std::chrono::milliseconds> file_timeout;
  // Place premises defined outside the project with Lean: per file, one more
  // request on the file's imports plus `import Lean`, running
  // lean_project/TatamiTrace.lean's `#tatami_decl_ranges` on the constants
  // the project's own declarations do not place. Only for toolchains from
  // v4.19 on (older ones: ignored). Default: false (such premises are not
  // annotated).
  bool locate_premises = false;
  // Set from another thread (a signal handler's flag) to stop submitting;
  // files in flight are still stored. Default: none.
  const std::atomic<bool>* stop = nullptr;
};

struct TraceProgress {
  std::size_t total = 0;  // files to trace this run (cached files not counted)
  std::size_t done = 0;   // of those, finished (traced or failed)
  std::size_t failed = 0;
};

struct TraceSummary {
  std::size_t files = 0;              // files in the project (or named)
  std::size_t cached = 0;             // skipped: unchanged since their stored result
  std::size_t traced = 0;             // traced now
  std::size_t failed = 0;             // failed now
  std::size_t theorems = 0;           // theorems in theorems.json
  std::vector<std::string> failures;  // "path: reason", one per failed file
  bool interrupted = false;           // stopped by `stop` before every file was traced
};

// The key a file is cached under (see the file comment).
std::string FileKey(std::string_view content, std::string_view toolchain,
                    const std::vector<std::string>& imported_keys);

// Traces the project. Throws std::invalid_argument for a target that names no
// file, std::runtime_error for an unreadable file or an unwritable output.
TraceSummary TraceProject(dojo::WorkerPool& pool, const TraceOptions& options,
                          const std::function<void(const TraceProgress&)>& on_progress = {});

}  // namespace tatami::data
