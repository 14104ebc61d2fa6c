// The Dojo soak (bench/run_dojo_soak.sh): run_tac calls over concurrent
// theorems against the scripted REPL double with random worker faults and
// memory-cap kills. Prints the figures; the last line is key=value.
#include <unistd.h>

#include <cstdio>

#include <CLI/CLI.hpp>

#include "dojo_soak.h"

int main(int argc, char** argv) {
  using namespace tatami::dojo::soak;
  SoakOptions o;
  o.calls = 100000;
  o.theorems = 32;
  CLI::App app{"Dojo soak against the REPL test double"};
  app.add_option("--double", o.double_path, "tatami-repl-double executable")->required();
  app.add_option("--calls", o.calls, "run_tac calls");
  app.add_option("--theorems", o.theorems, "concurrent theorems (threads, workers)");
  app.add_option("--fault-rate", o.fault_rate,
                 "per-request fault probability (crash, hang, garbage)");
  app.add_option("--memory-limit-mb", o.memory_limit_mb, "RLIMIT_AS per worker");
  app.add_option("--state-memory-kb", o.state_memory_kb, "memory the double holds per proof state");
  int timeout_ms = 300;
  app.add_option("--timeout-ms", timeout_ms, "deadline per tactic");
  app.add_option("--seed", o.seed, "random seed");
  CLI11_PARSE(app, argc, argv);
  o.timeout = std::chrono::milliseconds(timeout_ms);
  o.work_dir = std::filesystem::temp_directory_path() /
               ("tatami_dojo_soak_bench_" + std::to_string(::getpid()));
  const SoakReport r = RunSoak(o);
  std::filesystem::remove_all(o.work_dir);

  std::printf("outcomes:\n");
  std::uint64_t typed = 0;
  for (const auto& [kind, n] : r.outcomes) {
    std::printf("  %-28s %llu\n", kind.c_str(), static_cast<unsigned long long>(n));
    if (kind != "enter_failed") typed += n;
  }
  std::printf(
      "pool: starts=%llu restarts=%llu requests=%llu; dojo: entered=%llu recoveries=%llu "
      "replayed=%llu checks=%llu\n",
      (unsigned long long)r.pool.starts, (unsigned long long)r.pool.restarts,
      (unsigned long long)r.pool.requests, (unsigned long long)r.dojo.entered,
      (unsigned long long)r.dojo.recoveries, (unsigned long long)r.dojo.replayed,
      (unsigned long long)r.dojo.checks);
  std::printf(
      "calls=%llu typed=%llu exceptions=%llu theorems=%zu seconds=%.1f calls_per_s=%.0f "
      "states_probed=%llu "
      "states_unusable=%llu worker_restarts=%llu recoveries=%llu replayed=%llu leaked_children=%ld "
      "fds_before=%ld fds_after=%ld rss_mb_warm=%.1f rss_mb_end=%.1f\n",
      (unsigned long long)r.calls, (unsigned long long)typed, (unsigned long long)r.exceptions,
      o.theorems, r.seconds, r.calls / r.seconds, (unsigned long long)r.states_probed,
      (unsigned long long)r.states_unusable, (unsigned long long)r.pool.restarts,
      (unsigned long long)r.dojo.recoveries, (unsigned long long)r.dojo.replayed, r.children_after,
      r.fds_before, r.fds_after, r.rss_mb_warm, r.rss_mb_end);
  return r.exceptions == 0 && r.states_unusable == 0 && r.children_after == 0 &&
                 r.fds_after == r.fds_before
             ? 0
             : 1;
}
