#include "config_flags.h"

#include <fmt/format.h>

namespace tatami::cli {

void AddConfigFlags(CLI::App& app, ConfigFlags* f, ConfigFlagSet set) {
  const dojo::Config defaults;
  const std::string group =
      fmt::format("{} (flags > TATAMI_* environment > config file > defaults)",
                  set == ConfigFlagSet::kConfigOnly ? "Configuration" : "Lean workers");
  auto option = [&](const char* name, auto& value, const std::string& help) {
    app.add_option(name, value, help)->group(group);
  };
  option("--config", f->config_file,
         "configuration file, TOML (*.toml) or JSON (default: $TATAMI_CONFIG, else none)");
  if (set == ConfigFlagSet::kConfigOnly) return;
  option("--repl-cmd", f->repl_cmd,
         fmt::format("command line of one REPL worker (default: \"{}\")",
                     dojo::FormatCommandLine(defaults.repl_command)));
  option("--project", f->project,
         "Lean project directory the workers run in (default: current directory)");
  option("--timeout", f->timeout,
         fmt::format("deadline of one request, e.g. 60s, 500ms; 0 = none (default: {})",
                     dojo::FormatDuration(defaults.request_timeout)));
  option("--memory-limit", f->memory_limit,
         fmt::format("address-space limit per worker, e.g. 8G; 0 = none (default: {})",
                     dojo::FormatByteSize(defaults.memory_limit_bytes)));
  if (set == ConfigFlagSet::kSingleRepl) return;
  option("--startup-timeout", f->startup_timeout,
         fmt::format("deadline of a worker's start and header import (default: {})",
                     dojo::FormatDuration(defaults.startup_timeout)));
  option("--workers", f->workers,
         fmt::format("worker processes; 0 = number of cores (default: {})", defaults.workers));
  option("--max-queue", f->max_queue,
         fmt::format("requests that may wait for a worker before back-pressure (default: {})",
                     defaults.max_queue));
  option("--when-full", f->when_full,
         fmt::format("when the queue is full: block or fail (default: {})",
                     defaults.when_full == dojo::FullQueuePolicy::kBlock ? "block" : "fail"));
  option("--max-proof-states", f->max_proof_states,
         fmt::format("recycle a worker after this many proof states; 0 = never (default: {})",
                     defaults.max_proof_states));
  option("--recycle-rss", f->recycle_rss,
         fmt::format("recycle a worker whose resident memory exceeds this, e.g. 12G; 0 = never "
                     "(default: {})",
                     dojo::FormatByteSize(defaults.recycle_rss_bytes)));
  app.add_flag("--restore-from-pickle,!--no-restore-from-pickle", f->restore_from_pickle,
               fmt::format("restore recycled workers from a pickle of the header env "
                           "(default: {})",
                           defaults.restore_from_pickle ? "on" : "off"))
      ->group(group);
  // CLI11 takes std::optional<bool> for a counter and zeroes it when the flag
  // is added, which would make an absent flag override the environment and
  // the file: unset again (the callback sets it only when the flag is given).
  f->restore_from_pickle.reset();
}

void AddIndexFlags(CLI::App& app, ConfigFlags* f) {
  app.add_flag(
      "--index-in-memory,!--no-index-in-memory", f->index_in_memory,
      fmt::format(
          "copy the index's embeddings at open into memory with huge pages: faster "
          "accessibility-masked queries, but opening reads the whole matrix and the process "
          "holds a second copy of it; pays for many queries, not one "
          "(config index.in_memory, $TATAMI_INDEX_IN_MEMORY; default: {})",
          dojo::Config{}.index_in_memory ? "on" : "off"));
  f->index_in_memory.reset();  // as restore_from_pickle in AddConfigFlags
}

dojo::Config ResolveConfig(const ConfigFlags& f, const dojo::EnvGetter& env) {
  std::optional<std::filesystem::path> file;
  if (f.config_file) file = *f.config_file;
  dojo::Config c = dojo::LoadConfig(file, env);
  auto apply = [](const char* flag, auto&& parse) {
    try {
      parse();
    } catch (const std::invalid_argument& e) {
      throw dojo::ConfigError(fmt::format("{}: {}", flag, e.what()));
    }
  };
  if (f.repl_cmd) {
    apply("--repl-cmd", [&] {
      auto argv = dojo::SplitCommandLine(*f.repl_cmd);
      if (argv.empty()) throw std::invalid_argument("the command is empty");
      c.repl_command = std::move(argv);
    });
  }
  if (f.project) c.project_dir = *f.project;
  if (f.workers) c.workers = *f.workers;
  if (f.timeout) apply("--timeout", [&] { c.request_timeout = dojo::ParseDuration(*f.timeout); });
  if (f.startup_timeout)
    apply("--startup-timeout",
          [&] { c.startup_timeout = dojo::ParseDuration(*f.startup_timeout); });
  if (f.memory_limit)
    apply("--memory-limit", [&] { c.memory_limit_bytes = dojo::ParseByteSize(*f.memory_limit); });
  if (f.max_queue) {
    if (*f.max_queue == 0) throw dojo::ConfigError("--max-queue: must be at least 1");
    c.max_queue = *f.max_queue;
  }
  if (f.when_full) {
    if (*f.when_full == "block")
      c.when_full = dojo::FullQueuePolicy::kBlock;
    else if (*f.when_full == "fail")
      c.when_full = dojo::FullQueuePolicy::kFail;
    else
      throw dojo::ConfigError(
          fmt::format("--when-full: `{}` is not `block` or `fail`", *f.when_full));
  }
  if (f.max_proof_states) c.max_proof_states = *f.max_proof_states;
  if (f.recycle_rss)
    apply("--recycle-rss", [&] { c.recycle_rss_bytes = dojo::ParseByteSize(*f.recycle_rss); });
  if (f.restore_from_pickle) c.restore_from_pickle = *f.restore_from_pickle;
  if (f.index_in_memory) c.index_in_memory = *f.index_in_memory;
  return c;
}

}  // namespace tatami::cli
