// WorkerPool benchmark (bench/run_pool.sh), against the REPL test double.
//
//   warm   One worker, the double's import taking --import-delay-ms. The first
//          request on a header pays the import (cold); later ones on the same
//          header do not (warm). Reports the median of each and their ratio.
//   scale  Throughput with N workers, all warm on one header, with the queue
//          kept full by a single submitting thread; efficiency is
//          throughput(N) / (N x throughput(1)). `--work latency` makes each
//          request cost --latency-ms of waiting in the double; `--work cpu`
//          makes it burn --work-us of CPU (needs a double with --work-us).
//
// Prints one `key=value` line per mode.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "tatami/dojo/worker_pool.h"

namespace {

using Clock = std::chrono::steady_clock;
using tatami::dojo::HeaderOf;
using tatami::dojo::ImportHeader;
using tatami::dojo::PoolOutcome;
using tatami::dojo::WorkerPool;
using tatami::dojo::WorkerPoolOptions;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

void Check(const PoolOutcome& outcome) {
  const auto* repl = std::get_if<tatami::dojo::ReplOutcome>(&outcome);
  if (!repl || !std::holds_alternative<tatami::dojo::ReplResponse>(*repl))
    throw std::runtime_error("request failed: " + tatami::dojo::Describe(outcome));
}

nlohmann::json Cmd() { return {{"cmd", "theorem t : 1 + 1 = 2 := rfl"}}; }

int RunWarm(WorkerPoolOptions options, int cold_samples, int warm_samples) {
  options.workers = 1;
  WorkerPool pool(options);
  std::vector<double> cold, warm;
  for (int c = 0; c < cold_samples; ++c) {
    // A new header each time: with one worker it is re-purposed, so the
    // first request pays the import again.
    const ImportHeader header = HeaderOf({fmt::format("Bench{}", c)});
    auto t0 = Clock::now();
    Check(pool.Submit(header, Cmd()).get());
    cold.push_back(Ms(Clock::now() - t0));
    for (int w = 0; w < warm_samples; ++w) {
      t0 = Clock::now();
      Check(pool.Submit(header, Cmd()).get());
      warm.push_back(Ms(Clock::now() - t0));
    }
  }
  const auto s = pool.stats();
  if (s.imports != static_cast<std::uint64_t>(cold_samples))
    throw std::runtime_error(fmt::format("expected {} imports, saw {}", cold_samples, s.imports));
  const double cold_ms = Median(cold), warm_ms = Median(warm);
  std::printf("warm_ms=%.3f cold_ms=%.1f warm_over_cold=%.6f imports=%llu reuses=%llu\n", warm_ms,
              cold_ms, warm_ms / cold_ms, static_cast<unsigned long long>(s.imports),
              static_cast<unsigned long long>(s.reuses));
  return 0;
}

// Requests per second with `workers` warm workers and `requests` requests.
double Throughput(WorkerPoolOptions options, std::size_t workers, int requests) {
  options.workers = workers;
  options.max_queue = static_cast<std::size_t>(requests) + 16;
  WorkerPool pool(options);
  const ImportHeader header = HeaderOf({"Bench"});
  pool.Prewarm(header, workers);
  {  // wait until every worker is warm
    std::vector<std::future<PoolOutcome>> warmup;
    for (std::size_t i = 0; i < 2 * workers; ++i) warmup.push_back(pool.Submit(header, Cmd()));
    for (auto& f : warmup) Check(f.get());
  }
  if (pool.stats().workers_alive != workers)
    throw std::runtime_error(
        fmt::format("expected {} warm workers, saw {}", workers, pool.stats().workers_alive));
  std::atomic<int> left{requests};
  std::atomic<bool> failed{false};
  std::promise<void> all_done;
  const auto t0 = Clock::now();
  for (int i = 0; i < requests; ++i) {
    pool.SubmitAsync(header, Cmd(), [&](PoolOutcome outcome) {
      const auto* repl = std::get_if<tatami::dojo::ReplOutcome>(&outcome);
      if (!repl || !std::holds_alternative<tatami::dojo::ReplResponse>(*repl)) failed = true;
      if (--left == 0) all_done.set_value();
    });
  }
  all_done.get_future().get();
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  if (failed) throw std::runtime_error("a request failed");
  return requests / seconds;
}

// Each worker count is measured `rounds` times, interleaved, and the best
// round counts: on a shared machine, load from elsewhere only ever slows a
// round down.
int RunScale(const WorkerPoolOptions& options, const std::string& label,
             const std::vector<std::size_t>& counts, int requests_per_worker, int rounds) {
  std::vector<double> best(counts.size(), 0);
  for (int r = 0; r < rounds; ++r) {
    for (std::size_t i = 0; i < counts.size(); ++i) {
      const double thr =
          Throughput(options, counts[i], requests_per_worker * static_cast<int>(counts[i]));
      std::fprintf(stderr, "%s round %d: %zu workers: %.1f requests/s\n",
                   label.empty() ? "latency" : label.c_str(), r + 1, counts[i], thr);
      best[i] = std::max(best[i], thr);
    }
  }
  double base = 0;
  std::string line;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const std::size_t n = counts[i];
    const double thr = best[i];
    if (n == 1) base = thr;
    line += fmt::format("{}thr_{}={:.1f} ", label, n, thr);
    if (n != 1 && base > 0) line += fmt::format("{}eff_{}={:.3f} ", label, n, thr / (n * base));
  }
  if (!line.empty()) line.pop_back();
  std::printf("%s\n", line.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"WorkerPool benchmark against the REPL test double"};
  std::string double_path, mode = "warm", work = "latency", label;
  int import_delay_ms = 5000, latency_ms = 20, work_us = 20000, requests_per_worker = 50;
  int cold_samples = 2, warm_samples = 20, rounds = 3;
  std::vector<std::size_t> counts{1, 2, 4, 8};
  app.add_option("--double", double_path, "path of tatami-repl-double")->required();
  app.add_option("--mode", mode, "warm or scale")->check(CLI::IsMember({"warm", "scale"}));
  app.add_option("--work", work, "scale: latency or cpu")->check(CLI::IsMember({"latency", "cpu"}));
  app.add_option("--import-delay-ms", import_delay_ms, "warm: the double's import delay");
  app.add_option("--latency-ms", latency_ms, "scale/latency: the double's latency per request");
  app.add_option("--work-us", work_us, "scale/cpu: CPU time per request in the double");
  app.add_option("--requests-per-worker", requests_per_worker,
                 "scale: measured requests per worker");
  app.add_option("--workers", counts, "scale: worker counts (1 first)");
  app.add_option("--cold-samples", cold_samples, "warm: cold requests (5 s each by default)");
  app.add_option("--warm-samples", warm_samples, "warm: warm requests per cold one");
  app.add_option("--label", label, "scale: prefix of the printed keys");
  app.add_option("--rounds", rounds, "scale: rounds per worker count (the best counts)");
  CLI11_PARSE(app, argc, argv);

  WorkerPoolOptions options;
  options.repl_command = {double_path, "--instant"};
  options.request_timeout = std::chrono::seconds(120);
  options.startup_timeout = std::chrono::seconds(120);
  try {
    if (mode == "warm") {
      options.repl_command.push_back("--import-delay-ms");
      options.repl_command.push_back(std::to_string(import_delay_ms));
      return RunWarm(options, cold_samples, warm_samples);
    }
    if (work == "latency") {
      options.repl_command.push_back("--latency-ms");
      options.repl_command.push_back(std::to_string(latency_ms));
    } else {
      options.repl_command.push_back("--work-us");
      options.repl_command.push_back(std::to_string(work_us));
    }
    if (counts.empty() || counts.front() != 1) {
      std::fprintf(stderr, "pool_bench: --workers must start with 1\n");
      return 2;
    }
    return RunScale(options, label, counts, requests_per_worker, std::max(1, rounds));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pool_bench: %s\n", e.what());
    return 1;
  }
}
