// Proof-search concurrency benchmark (bench/run_search.sh): theorems from a
// JSON Lines file searched against the REPL double with a scripted generator
// behind a fixed cost per call (as a model on a GPU costs per batch), through
// the BatchingGenerator, `--jobs` at a time. Prints one line:
// `expansions=N seconds=S calls=C requests=R prefetched=P prefetch_hits=H
// prefetch_unused=U`.
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "tatami/dojo/dojo.h"
#include "tatami/search/batching_generator.h"
#include "tatami/search/best_first_search.h"
#include "tatami/search/dojo_environment.h"
#include "tatami/search/scripted_generator.h"

namespace se = tatami::search;
namespace dj = tatami::dojo;

// Sleeps a fixed time per call, whatever the batch size, then answers.
class FixedCostGenerator : public se::TacticGenerator {
 public:
  FixedCostGenerator(std::shared_ptr<se::TacticGenerator> inner, std::chrono::microseconds cost)
      : inner_(std::move(inner)), cost_(cost) {}
  std::vector<std::vector<se::Candidate>> Generate(
      const std::vector<se::GenerationRequest>& batch) override {
    std::lock_guard lock(mu_);  // one device: calls run one after another
    std::this_thread::sleep_for(cost_);
    return inner_->Generate(batch);
  }
  std::string Describe() const override { return inner_->Describe(); }
  bool Deterministic() const override { return inner_->Deterministic(); }

 private:
  std::mutex mu_;
  std::shared_ptr<se::TacticGenerator> inner_;
  std::chrono::microseconds cost_;
};

int main(int argc, char** argv) {
  CLI::App app{"tatami proof-search concurrency benchmark"};
  std::string repl_cmd, scripted, theorems;
  std::size_t jobs = 1, max_expansions = 0;
  int num_tactics = 64;
  double gen_ms = 0, wait_ms = 5;
  std::size_t speculate = se::SearchOptions{}.speculation_depth;
  app.add_option("--repl-cmd", repl_cmd, "worker command line")->required();
  app.add_option("--scripted", scripted, "scripted generator file")->required();
  app.add_option("--theorems", theorems, "JSON Lines {name, header, formal_statement}")->required();
  app.add_option("--jobs", jobs, "searches at once");
  app.add_option("--gen-ms", gen_ms, "generator cost per call, ms");
  app.add_option("--batch-wait-ms", wait_ms, "longest wait for a fuller batch, ms");
  app.add_option("--num-tactics", num_tactics, "candidates per expansion");
  app.add_option("--max-expansions", max_expansions, "per theorem, 0 = unlimited");
  app.add_option("--speculate", speculate,
                 "how many predicted next nodes to ask for ahead of need (0 = none)");
  CLI11_PARSE(app, argc, argv);

  std::vector<nlohmann::json> items;
  std::ifstream in(theorems);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) items.push_back(nlohmann::json::parse(line));

  dj::WorkerPoolOptions po;
  po.repl_command = {"/bin/sh", "-c", "exec " + repl_cmd};
  po.workers = jobs;
  auto pool = std::make_shared<dj::WorkerPool>(po);
  dj::Dojo dojo(pool);
  auto base = std::make_shared<se::ScriptedGenerator>(se::ScriptedGenerator::FromFile(scripted));
  auto costly = std::make_shared<FixedCostGenerator>(
      base, std::chrono::microseconds(static_cast<long long>(gen_ms * 1000)));
  se::BatchingOptions bo;
  bo.max_batch = std::max<std::size_t>(jobs, 1);
  bo.max_wait = std::chrono::microseconds(static_cast<long long>(wait_ms * 1000));
  se::BatchingGenerator generator(costly, bo);
  se::SearchOptions so;
  so.num_tactics = num_tactics;
  so.max_expansions = max_expansions;

  // Warm every worker first (start-up is not what is measured).
  {
    std::vector<std::thread> warm;
    for (std::size_t j = 0; j < jobs; ++j)
      warm.emplace_back([&, j] {
        dojo.Enter("", items[j % items.size()]["formal_statement"].get<std::string>());
      });
    for (auto& t : warm) t.join();
  }
  std::atomic<std::size_t> next{0}, expansions{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (std::size_t j = 0; j < jobs; ++j)
    threads.emplace_back([&] {
      se::BatchingGenerator::Client client(generator);
      se::SearchOptions mine = so;
      mine.batching = &client;
      mine.speculation_depth = speculate;
      for (std::size_t i; (i = next++) < items.size();) {
        se::DojoEnvironment env(dojo, dojo.Enter(items[i].value("header", ""),
                                                 items[i]["formal_statement"].get<std::string>()));
        expansions += se::BestFirstSearch(env, generator, mine).expansions;
      }
    });
  for (auto& t : threads) t.join();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const se::BatchingStats st = generator.stats();
  std::cout << "expansions=" << expansions.load() << " seconds=" << secs << " calls=" << st.calls
            << " requests=" << st.requests << " prefetched=" << st.prefetched
            << " prefetch_hits=" << st.prefetch_hits << " prefetch_unused=" << st.prefetch_unused
            << std::endl;
  return 0;
}
