// A worker pool whose workers are the REPL test double running a script, for
// the tests of the Dojo and the environment.
//
// Thread-safety: a plain function; safe from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>

#include "tatami/dojo/worker_pool.h"

namespace tatami::test_pools {

// Options for a pool of `workers` doubles running `script`. `first_run_flags`
// apply to the first worker process only (it leaves `first_run_mark` behind),
// so a restarted one, e.g. after a crash the flags caused, is healthy.
// Timeouts are generous: the machine running the tests may be busy.
inline dojo::WorkerPoolOptions ScriptedDoublePoolOptions(
    const std::filesystem::path& script, const std::filesystem::path& first_run_mark,
    const std::string& first_run_flags, std::size_t workers) {
  dojo::WorkerPoolOptions o;
  const std::string base = std::string(TATAMI_REPL_DOUBLE) + " --script " + script.string();
  const std::string mark = first_run_mark.string();
  o.repl_command = {"/bin/sh", "-c",
                    "if [ -e " + mark + " ]; then exec " + base + "; else touch " + mark +
                        "; exec " + base + " " + first_run_flags + "; fi"};
  o.workers = workers;
  o.request_timeout = std::chrono::seconds(20);
  o.startup_timeout = std::chrono::seconds(20);
  return o;
}

}  // namespace tatami::test_pools
