// TorchScript generator timing (bench/run_torchgen.sh): beam search for 16
// proof states, one Generate call per state (batch 1) against one call for
// all 16 (batch 16), alternated in one run; time per returned candidate.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "tatami/search/torchscript_generator.h"

namespace {

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("TorchScript generator: time per candidate at batch 1 and 16");
  std::string model;
  int candidates = 8;
  int repeats = 3;
  std::size_t output = 33;
  int threads = 0;
  app.add_option("--model", model, "generator model (.pt)")->required();
  app.add_option("--candidates", candidates, "beams = candidates per state (default 8)");
  app.add_option("--output-length", output, "decoder budget, start token included (default 33)");
  app.add_option("--repeats", repeats, "rounds of both measurements (default 3)");
  app.add_option("--threads", threads, "libtorch threads (default: one per core)");
  CLI11_PARSE(app, argc, argv);

  std::vector<tatami::search::GenerationRequest> batch;
  for (int i = 0; i < 16; ++i) {
    // miniF2F-like states of varied length.
    std::string state =
        fmt::format("x y : \xE2\x84\x9D\nh\xE2\x82\x80 : x + {} * y = {}\n", i, 3 * i);
    for (int k = 0; k < i % 5; ++k) state += fmt::format("h{} : 0 < x ^ {} + y\n", k + 1, k + 2);
    state += fmt::format("\xE2\x8A\xA2 x = {} - {} * y", 3 * i, i);
    batch.push_back({state, {}, candidates});
  }
  tatami::search::TorchScriptGeneratorOptions options;
  options.max_output_length = output;
  options.num_threads = threads;
  auto generator = tatami::search::MakeTorchScriptGenerator(model, options);
  std::printf("%s\n", generator->Describe().c_str());
  generator->Generate({batch[0]});  // warm-up

  std::vector<double> one, sixteen;
  for (int r = 0; r < repeats; ++r) {
    std::size_t n = 0;
    auto start = std::chrono::steady_clock::now();
    for (const auto& request : batch) n += generator->Generate({request})[0].size();
    one.push_back(Seconds(std::chrono::steady_clock::now() - start) / static_cast<double>(n));
    start = std::chrono::steady_clock::now();
    n = 0;
    for (const auto& list : generator->Generate(batch)) n += list.size();
    sixteen.push_back(Seconds(std::chrono::steady_clock::now() - start) / static_cast<double>(n));
    std::printf("round %d: %.3f ms per candidate at batch 1, %.3f ms at batch 16\n", r + 1,
                one.back() * 1e3, sixteen.back() * 1e3);
  }
  const double b1 = Median(one), b16 = Median(sixteen);
  std::printf("per_candidate_ms_b1=%.3f per_candidate_ms_b16=%.3f speedup_b16=%.2f\n", b1 * 1e3,
              b16 * 1e3, b1 / b16);
  return 0;
}
