// Command-line options of tatami-repl-double (documented in README.md, which
// --help prints).
//
// Thread-safety: plain data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lean_texts.h"

namespace tatami::repl_double {

enum class Mode { kNone, kInstant, kReplay, kScript, kReplayByCode };

// A fault that can be injected into the answer to one request.
enum class Fault { kNone, kCrash, kHang, kGarbage, kExit, kTruncate, kHuge };

struct DoubleOptions {
  Mode mode = Mode::kNone;
  std::string replay_file;    // --replay: recorded NAME.expected.out
  std::string expect_file;    // --expect: recorded NAME.in to check requests against
  std::string script_file;    // --script: proof-state graph (JSON)
  std::string code_manifest;  // --replay-by-code: recordings answering commands by their code
  // --lean-version: whose recorded wording and response details script mode
  // uses (default v4.33.0-rc2, the current transcripts).
  LeanVersion lean_version = kDefaultLeanVersion;

  // Delays. All default to 0 (none).
  int latency_ms = 0;         // fixed delay before every response
  int latency_jitter_ms = 0;  // plus uniform random 0..N ms
  long work_us = 0;           // CPU time burnt (busy loop) before every response
  std::uint64_t seed = 0;     // seeds all randomness (jitter, --fault-rate)
  int import_delay_ms = 0;    // extra delay for a cmd of import lines
  int import_memory_mb = 0;   // MiB allocated, touched and kept per import cmd
  int state_memory_kb = 0;    // KiB allocated, touched and kept per new proof state
  int slow_read_ms = 0;       // sleep between small reads of stdin
  int stderr_lines = 0;       // lines written to stderr per request

  // Faults on the K-th request (1-based, counting requests this process answers).
  std::vector<std::uint64_t> hang_on, exit_on, crash_on, garbage_on, truncate_on, huge_on;
  int exit_code = 1;                   // --exit-code, used by --exit-on and random "exit"
  std::uint64_t huge_bytes = 1 << 20;  // --huge-bytes: padding size for --huge-on
  double fault_rate = 0;               // --fault-rate: probability a request gets a fault
  std::vector<Fault> random_faults;    // --faults: the faults --fault-rate picks from

  // Start-up faults.
  std::optional<int> exit_at_start;  // --exit-at-start C
  bool garbage_at_start = false;     // --garbage-at-start

  // Exit with status 1 on a request that is not JSON, printing "uncaught
  // exception: ..." to stderr, as the real REPL does (default: answer it).
  bool fatal_parse_errors = false;

  // --report-cpu: at the end of input, append to this file the CPU time
  // (user + system seconds) spent after start-up, i.e. serving requests, for
  // benchmarks (default: none).
  std::string report_cpu;
};

// Parses argv. On --help prints the README to stdout and exits 0; on bad usage
// prints what was wrong to stderr and exits 2.
DoubleOptions ParseOptions(int argc, char** argv);

const char* FaultName(Fault f);

}  // namespace tatami::repl_double
