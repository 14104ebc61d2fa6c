#include "config_flags.h"

#include <fmt/format.h>

namespace tatami::cli {

void AddConfigFlags(CLI::App& app, ConfigFlags* f) {
  const std::string group = "Lean workers (flags > TATAMI_* environment > config file > defaults)";
  app.add_option("--config", f->config_file,
                 "configuration file, TOML (*.toml) or JSON (default: $TATAMI_CONFIG, else none)")
      ->group(group);
  app.add_option("--repl-cmd", f->repl_cmd,
                 "command line of one REPL worker (default: \"lake env repl\")")
      ->group(group);
  app.add_option("--project", f->project,
                 "Lean project directory the workers run in (default: current directory)")
      ->group(group);
  app.add_option("--workers", f->workers, "worker processes; 0 = number of cores (default: 0)")
      ->group(group);
  app.add_option("--timeout", f->timeout, "deadline of one request, e.g. 60s, 500ms (default: 60s)")
      ->group(group);
  app.add_option("--startup-timeout", f->startup_timeout,
                 "deadline of a worker's start and header import (default: 600s)")
      ->group(group);
  app.add_option("--memory-limit", f->memory_limit,
                 "address-space limit per worker, e.g. 8G; 0 = none (default: 0)")
      ->group(group);
  app.add_option("--max-queue", f->max_queue,
                 "requests that may wait for a worker before back-pressure (default: 1024)")
      ->group(group);
  app.add_option("--when-full", f->when_full,
                 "when the queue is full: block or fail (default: block)")
      ->group(group);
  app.add_option("--max-proof-states", f->max_proof_states,
                 "recycle a worker after this many proof states; 0 = never (default: 0)")
      ->group(group);
  app.add_option("--recycle-rss", f->recycle_rss,
                 "recycle a worker whose resident memory exceeds this, e.g. 12G; 0 = never "
                 "(default: 0)")
      ->group(group);
  app.add_flag("--restore-from-pickle,!--no-restore-from-pickle", f->restore_from_pickle,
               "restore recycled workers from a pickle of the header env (default: off)")
      ->group(group);
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
  return c;
}

}  // namespace tatami::cli
