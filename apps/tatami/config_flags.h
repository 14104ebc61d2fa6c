// The standard worker-configuration flags of `tatami` subcommands.
//
// A subcommand that runs Lean workers (a pool, or `tatami repl`'s single
// process) or opens a premise index calls AddConfigFlags() (and, for an
// index, AddIndexFlags()) on its CLI11 app and, once parsed, ResolveConfig() to get the
// configuration with the usual precedence: flags > environment (TATAMI_*) > config file > defaults
// (see dojo/include/tatami/dojo/config.h and docs/configuration.md).
//
// Thread-safety: not thread-safe (CLI parsing is single-threaded).
#pragma once

#include <cctype>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

#include "tatami/dojo/config.h"

namespace tatami::cli {

// A check for an unsigned count option: a whole number of at least `min`.
// CLI11 alone would read "-1" into an unsigned option as its largest value,
// and its numeric range checks print the range of a double.
inline CLI::Validator Count(unsigned long long min) {
  return CLI::Validator(
      [min](std::string& text) -> std::string {
        bool ok = !text.empty() && std::isdigit(static_cast<unsigned char>(text[0]));
        std::size_t used = 0;
        unsigned long long value = 0;
        if (ok) {
          try {
            value = std::stoull(text, &used);
          } catch (const std::exception&) {
            ok = false;
          }
        }
        if (!ok || used != text.size() || value < min)
          return "expected a whole number of at least " + std::to_string(min) + ", got '" + text +
                 "'";
        return {};
      },
      "");
}

// Flag values as given; unset flags leave lower layers in force.
struct ConfigFlags {
  std::optional<std::string> config_file;         // --config
  std::optional<std::string> repl_cmd;            // --repl-cmd
  std::optional<std::string> project;             // --project
  std::optional<std::size_t> workers;             // --workers
  std::optional<std::string> timeout;             // --timeout
  std::optional<std::string> startup_timeout;     // --startup-timeout
  std::optional<std::string> memory_limit;        // --memory-limit
  std::optional<std::size_t> max_queue;           // --max-queue
  std::optional<std::string> when_full;           // --when-full
  std::optional<std::uint64_t> max_proof_states;  // --max-proof-states
  std::optional<std::string> recycle_rss;         // --recycle-rss
  std::optional<bool> restore_from_pickle;  // --restore-from-pickle / --no-restore-from-pickle
  std::optional<bool> index_in_memory;      // --index-in-memory / --no-index-in-memory
};

// Which flags a command offers.
enum class ConfigFlagSet {
  kPool,        // every flag: commands that run a WorkerPool
  kSingleRepl,  // --config, --repl-cmd, --project, --timeout, --memory-limit:
                // commands that run one REPL process and import nothing
                // themselves (`tatami repl`), where the [pool] keys and
                // startup_timeout mean nothing
  kConfigOnly,  // --config: commands that run no Lean worker but read other
                // keys of the configuration (`retrieve` and `retrieve-eval`
                // read [index], whose flags AddIndexFlags adds)
};

// Adds the flags to `app` (in a "Lean workers" group), storing into `*flags`,
// which must outlive parsing. The defaults shown in the help are
// dojo::Config's.
void AddConfigFlags(CLI::App& app, ConfigFlags* flags, ConfigFlagSet set = ConfigFlagSet::kPool);

// Adds --index-in-memory / --no-index-in-memory (config key index.in_memory,
// TATAMI_INDEX_IN_MEMORY) for commands that open a premise index, storing into
// `*flags`. The help states the trade-off and dojo::Config's default.
void AddIndexFlags(CLI::App& app, ConfigFlags* flags);

// Defaults, then the config file (--config, else $TATAMI_CONFIG), then the
// environment (read through `env`), then the flags. Throws dojo::ConfigError
// naming the flag, variable or file key that was wrong.
dojo::Config ResolveConfig(const ConfigFlags& flags,
                           const dojo::EnvGetter& env = dojo::ProcessEnvironment());

}  // namespace tatami::cli
