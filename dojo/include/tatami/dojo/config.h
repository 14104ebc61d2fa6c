// Configuration of tatami's Lean workers, in one place.
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
// Environment variables: TATAMI_CONFIG (the file, when no --config flag),
// TATAMI_REPL_CMD (command line, split on whitespace), TATAMI_PROJECT,
// TATAMI_WORKERS, TATAMI_TIMEOUT, TATAMI_STARTUP_TIMEOUT, TATAMI_MEMORY_LIMIT,
// TATAMI_MAX_QUEUE, TATAMI_WHEN_FULL, TATAMI_MAX_PROOF_STATES, TATAMI_RECYCLE_RSS,
// TATAMI_RESTORE_FROM_PICKLE. docs/configuration.md documents every key.
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

#include "tatami/dojo/worker_pool.h"

namespace tatami::dojo {

// A configuration error: names the key and the source (file path, variable or
// flag) that was wrong.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Config {
  // argv of one REPL worker. Default: {"lake", "env", "repl"}.
  std::vector<std::string> repl_command{"lake", "env", "repl"};
  // The Lean project the workers run in. Default: "" = current directory.
  std::filesystem::path project_dir;
  // Deadline of one request. Default: 60 s.
  std::chrono::milliseconds request_timeout{std::chrono::seconds(60)};
  // Deadline of a worker's start and header import. Default: 600 s.
  std::chrono::milliseconds startup_timeout{std::chrono::seconds(600)};
  // RLIMIT_AS per worker, bytes; 0 = none. Default: 0.
  std::uint64_t memory_limit_bytes = 0;
  // Worker processes; 0 = number of cores. Default: 0.
  std::size_t workers = 0;
  // Requests that may wait for a worker. Default: 1024.
  std::size_t max_queue = 1024;
  // Back-pressure when the queue is full. Default: kBlock.
  FullQueuePolicy when_full = FullQueuePolicy::kBlock;
  // Recycle a worker after this many new proof states; 0 = never. Default: 0.
  std::uint64_t max_proof_states = 0;
  // Recycle a worker whose resident set exceeds this, bytes; 0 = never.
  // Default: 0.
  std::uint64_t recycle_rss_bytes = 0;
  // Restore recycled workers from a pickle of the header env. Default: false.
  bool restore_from_pickle = false;

  // The options of a WorkerPool configured by this.
  WorkerPoolOptions ToPoolOptions() const;
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

}  // namespace tatami::dojo
