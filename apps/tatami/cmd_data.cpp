// `tatami data split` and `tatami data export`: dataset tools
// (docs/data-tools.md).
//
// split: a LeanDojo Benchmark 4 theorem list (a JSON array, or a directory
// holding random/{train,val,test}.json or *.json arrays) into
// OUT/random/ and OUT/novel_premises/ {train,val,test}.json, every theorem's
// JSON written back as it was read. Both splits are made and checked before
// anything is written.
//
// export: `tatami prove` result files and their search trees into
// OUT/tactics.jsonl and OUT/preferences.jsonl. Bad lines and missing trees
// are reported with file and line; the rest is exported and the exit code is 1.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "tatami/data/export.h"
#include "tatami/data/split.h"
#include "tatami/data/split_input.h"
#include "tatami/data/split_output.h"
#include "tatami/search/tree_export.h"

namespace tatami::cli {
namespace {

namespace data = tatami::data;

struct SplitFlags {
  std::string input;
  std::string output;
  std::string num_val = "2000";
  std::string num_test = "2000";
  std::uint64_t seed = data::SplitOptions{}.seed;
};

struct ExportFlags {
  std::vector<std::string> results;
  std::vector<std::string> tree_dirs;
  std::string output;
};

int RunSplit(const SplitFlags& flags) {
  data::SplitOptions options;
  options.num_val = data::SplitSize::Parse(flags.num_val, "--num-val");
  options.num_test = data::SplitSize::Parse(flags.num_test, "--num-test");
  options.seed = flags.seed;
  const std::vector<data::SplitTheorem> theorems = data::ReadTheorems(flags.input);
  const std::size_t n = theorems.size();
  const std::size_t num_val = options.num_val.Resolve(n);
  const std::size_t num_test = options.num_test.Resolve(n);
  std::vector<std::vector<std::string>> premises;
  premises.reserve(n);
  for (const data::SplitTheorem& t : theorems) premises.push_back(t.premises);

  const data::Split random = data::SplitRandomly(n, num_val, num_test, options.seed);
  const data::Split novel = data::SplitByNovelPremises(premises, num_val, num_test, options.seed);
  // A failed check is a bug in the split, not bad input: nothing is written.
  if (std::string why = data::CheckSplit(random, n, num_val, num_test); !why.empty())
    throw std::logic_error("random split check failed: " + why);
  if (std::string why = data::CheckSplit(novel, n, num_val, num_test, &premises); !why.empty())
    throw std::logic_error("novel_premises split check failed: " + why);
  data::WriteSplit(flags.output, "random", theorems, random);
  data::WriteSplit(flags.output, "novel_premises", theorems, novel);
  std::fprintf(stderr,
               "tatami data split: %zu theorems (seed %llu); random: train %zu, val %zu, test %zu; "
               "novel_premises: train %zu, val %zu, test %zu\n",
               n, static_cast<unsigned long long>(options.seed), random.train.size(),
               random.val.size(), random.test.size(), novel.train.size(), novel.val.size(),
               novel.test.size());
  return 0;
}

int RunExport(const ExportFlags& flags) {
  data::ExportOptions options;
  options.results.assign(flags.results.begin(), flags.results.end());
  options.tree_dirs.assign(flags.tree_dirs.begin(), flags.tree_dirs.end());
  options.output_dir = flags.output;
  options.tree_file_stem = search::TreeFileStem;
  const data::ExportSummary s = data::ExportTrainingData(options);
  for (const std::string& p : s.problems)
    std::fprintf(stderr, "tatami data export: %s\n", p.c_str());
  std::fprintf(stderr,
               "tatami data export: %zu results, %zu proofs exported; %zu tactic rows (%zu "
               "duplicates dropped), %zu preference rows (%zu duplicates dropped); %zu problem%s\n",
               s.theorems, s.proved, s.tactic_rows, s.tactic_duplicates, s.preference_rows,
               s.preference_duplicates, s.problems.size(), s.problems.size() == 1 ? "" : "s");
  return s.problems.empty() ? 0 : 1;
}

// Usage errors exit 2, bad input and I/O failures 1.
template <class F>
void Guard(const char* name, int* exit_code, F&& run) {
  try {
    *exit_code = run();
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "tatami data %s: %s\n", name, e.what());
    *exit_code = 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tatami data %s: error: %s\n", name, e.what());
    *exit_code = 1;
  }
}

}  // namespace

void AddDataCommand(CLI::App& app, int* exit_code) {
  CLI::App* cmd = app.add_subcommand("data", "Dataset tools: benchmark splits, training data");
  cmd->require_subcommand(1);

  auto split = std::make_shared<SplitFlags>();
  CLI::App* s = cmd->add_subcommand(
      "split", "Split LeanDojo Benchmark 4 theorems into random/ and novel_premises/");
  s->add_option("theorems", split->input,
                "a JSON array of theorems (LeanDojo Benchmark 4 per-theorem format), or a "
                "directory holding random/{train,val,test}.json or *.json arrays")
      ->required();
  s->add_option("-o,--output", split->output,
                "directory for random/ and novel_premises/ {train,val,test}.json")
      ->required();
  s->add_option("--num-val", split->num_val,
                "theorems in val: a count, or a fraction of all such as 0.02 (default: 2000)");
  s->add_option("--num-test", split->num_test,
                "theorems in test: a count, or a fraction of all such as 0.02 (default: 2000)");
  s->add_option("--seed", split->seed,
                "seed of the shuffles (default: " + std::to_string(split->seed) + ")");
  s->callback([split, exit_code] { Guard("split", exit_code, [&] { return RunSplit(*split); }); });

  auto exp = std::make_shared<ExportFlags>();
  CLI::App* e = cmd->add_subcommand(
      "export", "Training rows from `tatami prove` results and their search trees");
  e->add_option("results", exp->results, "`tatami prove` result files (JSON Lines)")->required();
  e->add_option("--tree-dir", exp->tree_dirs,
                "the runs' --tree-dir: one for all result files, or one per file in order")
      ->required();
  e->add_option("-o,--output", exp->output,
                "directory for tactics.jsonl (state, tactic) and preferences.jsonl (state, "
                "chosen, rejected, message)")
      ->required();
  e->callback([exp, exit_code] { Guard("export", exit_code, [&] { return RunExport(*exp); }); });
}

}  // namespace tatami::cli
