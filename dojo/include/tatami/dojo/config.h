// Configuration of tatami's Lean workers (and of the premise index the
// commands open), in one place.
//
// Sources, lowest precedence first: built-in defaults, a config file (TOML if
// its name ends in .toml, otherwise JSON), environment variables (TATAMI_*),
// then command-line flags (applied by the CLI, see apps/tatami/config_flags.h).
// Each layer overrides only the keys it sets. An unknown key or a value of
// the wrong type in the file is an error naming the key and the file; a bad
// environment value is an error naming the variable.
//
// File layout (TOML shown; JSON uses the same tables as nested objects):
//
//   [repl]
//   command = ["lake", "env", "repl"]  # argv of one REPL worker
//   project_dir = "."                  # Lean project (relative to this file)
//   request_timeout = "60s"            # per request; "500ms", "2m", or seconds
//   startup_timeout = "600s"           # start + header import
//   memory_limit = "0"                 # RLIMIT_AS per worker: "8G", "512M"; 0 = none
//
//   [pool]
//   workers = 0                        # 0 = number of cores
//   max_queue = 1024                   # waiting requests before back-pressure
//   when_full = "block"                # or "fail"
//   max_proof_states = 0               # recycle after this many states; 0 = never
//   recycle_rss = "0"                  # recycle above this resident size; 0 = never
//   restore_from_pickle = false        # restore recycled workers from a pickle
//
//   [index]
//   in_memory = false                  # copy a premise index's embeddings into memory
//
// Environment variables: TATAMI_CONFIG (the file, when no --config flag),
// TATAMI_REPL_CMD (command line, split on whitespace), TATAMI_PROJECT,
// TATAMI_WORKERS, TATAMI_TIMEOUT, TATAMI_STARTUP_TIMEOUT, TATAMI_MEMORY_LIMIT,
// TATAMI_MAX_QUEUE, TATAMI_WHEN_FULL, TATAMI_MAX_PROOF_STATES, TATAMI_RECYCLE_RSS,
// TATAMI_RESTORE_FROM_PICKLE, TATAMI_INDEX_IN_MEMORY. docs/configuration.md
// documents every key.
//
// Thread-safety: all functions are thread-safe (they touch no shared state;
// LoadEnvironment reads the process environment through the given getter).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "tatami/dojo/repl_process.h"
#include "tatami/dojo/worker_pool.h"

namespace tatami::dojo {

// A configuration error: names the key and the source (file path, variable or
// flag) that was wrong.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Every default except repl_command's comes from WorkerPoolOptions (and
// through it from ReplProcessOptions): a default changes in one place.
struct Config {
  // argv of one REPL worker. Default: {"lake", "env", "repl"} (defined here:
  // the pool and the process require a command and have none).
  std::vector<std::string> repl_command{"lake", "env", "repl"};
  // The Lean project the workers run in. Default: "" = current directory.
  std::filesystem::path project_dir = WorkerPoolOptions{}.project_dir;
  // Deadline of one request; 0 = none. Default: 60 s.
  std::chrono::milliseconds request_timeout = WorkerPoolOptions{}.request_timeout;
  // Deadline of a worker's start and header import; 0 = none. Default: 600 s.
  std::chrono::milliseconds startup_timeout = WorkerPoolOptions{}.startup_timeout;
  // RLIMIT_AS per worker, bytes; 0 = none. Default: 0.
  std::uint64_t memory_limit_bytes = WorkerPoolOptions{}.memory_limit_bytes;
  // Worker processes; 0 = number of cores. Default: 0.
  std::size_t workers = WorkerPoolOptions{}.workers;
  // Requests that may wait for a worker. Default: 1024.
  std::size_t max_queue = WorkerPoolOptions{}.max_queue;
  // Back-pressure when the queue is full. Default: kBlock.
  FullQueuePolicy when_full = WorkerPoolOptions{}.when_full;
  // Recycle a worker after this many new proof states; 0 = never. Default: 0.
  std::uint64_t max_proof_states = WorkerPoolOptions{}.max_proof_states;
  // Recycle a worker whose resident set exceeds this, bytes; 0 = never.
  // Default: 0.
  std::uint64_t recycle_rss_bytes = WorkerPoolOptions{}.recycle_rss_bytes;
  // Restore recycled workers from a pickle of the header env. Default: false.
  bool restore_from_pickle = WorkerPoolOptions{}.restore_from_pickle;
  // Copy a premise index's embeddings into huge-page memory when a command
  // opens one (retriever::IndexOpenOptions::load_into_memory, whose default
  // this repeats: tatami_dojo does not depend on the retriever, and the CLI's
  // tests check that the two agree). No effect on the workers. Default: false.
  bool index_in_memory = false;

  // The options of a WorkerPool configured by this.
  WorkerPoolOptions ToPoolOptions() const;
  // The options of one REPL process configured by this (`tatami repl`): the
  // [repl] keys; the [pool] keys do not apply to a single process.
  ReplProcessOptions ToProcessOptions() const;
};

// Reads `path` and applies the keys it sets on top of `config`. Throws
// ConfigError (naming the file and, where it applies, the key or the line)
// if the file cannot be read or parsed, has an unknown key, or a bad value.
void LoadConfigFile(const std::filesystem::path& path, Config& config);

// Same, from text already read; `source` names it in errors. `toml` selects
// the syntax (otherwise JSON).
void LoadConfigText(std::string_view text, bool toml, const std::string& source, Config& config);

// Looks up one environment variable; returns nullopt when unset.
using EnvGetter = std::function<std::optional<std::string>(const std::string&)>;
// The process environment (std::getenv).
EnvGetter ProcessEnvironment();

// Applies the TATAMI_* variables that are set (see the file comment).
// Throws ConfigError naming the variable for a bad value.
void LoadEnvironment(const EnvGetter& env, Config& config);

// Defaults, then the config file (`config_file`, else $TATAMI_CONFIG, else
// none), then the environment. Flags are applied by the caller afterwards.
Config LoadConfig(const std::optional<std::filesystem::path>& config_file, const EnvGetter& env);

// Value parsers shared by the file, environment and flag layers. Each throws
// std::invalid_argument describing the expected form.
// "500ms", "60s", "2m", "1h", or a plain number of seconds ("1.5").
std::chrono::milliseconds ParseDuration(std::string_view text);
// "0", "4096" (bytes), "512K", "512M", "8G", "1T" (binary units; "MiB", "GB"
// and lower case accepted).
std::uint64_t ParseByteSize(std::string_view text);
// A command line split on whitespace, with '...' and "..." quoting.
std::vector<std::string> SplitCommandLine(std::string_view text);

// The inverses, for help texts and messages; each result parses back to the
// same value. "60s", "500ms", "1.5s".
std::string FormatDuration(std::chrono::milliseconds duration);
// "0", "8G", "512M", "1000" (bytes: no binary unit divides it).
std::string FormatByteSize(std::uint64_t bytes);
// "lake env repl"; words with spaces or quotes are quoted.
std::string FormatCommandLine(const std::vector<std::string>& argv);

}  // namespace tatami::dojo
