// `tatami trace PROJECT -o DIR [files/modules...]`: traces a Lake project
// through the worker pool into LeanDojo Benchmark 4's format
// (data/include/tatami/data/tracer.h). Incremental and resumable: per-file
// results are stored atomically, unchanged files are skipped on a rerun, and
// Ctrl-C stops submitting, keeps every finished file and writes the dataset
// files from what is there (exit 130).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "config_flags.h"
#include "interrupt.h"
#include "progress_bar.h"
#include "tatami/data/tracer.h"
#include "tatami/dojo/config.h"
#include "tatami/dojo/worker_pool.h"

namespace tatami::cli {
namespace {

struct TraceFlags {
  std::string project;
  std::string output;
  std::vector<std::string> targets;
  std::string url, commit;
  std::size_t jobs = 0;
  ConfigFlags config;
  bool no_progress = false;
  bool locate_premises = false;
};

int RunTrace(const TraceFlags& flags) {
  dojo::Config config = ResolveConfig(flags.config);
  if (flags.jobs) config.workers = flags.jobs;
  // The workers run in the traced project unless --project says otherwise.
  if (!flags.config.project) config.project_dir = flags.project;
  data::TraceOptions options;
  options.project = flags.project;
  options.output = flags.output;
  options.targets = flags.targets;
  options.url = flags.url;
  options.commit = flags.commit;
  options.tatami_version = TATAMI_VERSION;
  options.locate_premises = flags.locate_premises;
  const InterruptScope interrupt;
  options.stop = &interrupt.stop_flag();
  std::unique_ptr<ProgressBar> bar;
  auto on_progress = [&](const data::TraceProgress& p) {
    if (!bar) bar = std::make_unique<ProgressBar>("tracing", p.total, !flags.no_progress);
    bar->Update(p.done, "failed " + std::to_string(p.failed));
  };
  data::TraceSummary s;
  {
    dojo::WorkerPool pool(config.ToPoolOptions());
    s = data::TraceProject(pool, options, on_progress);
  }
  if (bar) bar->Finish();
  for (const std::string& f : s.failures)
    std::fprintf(stderr, "tatami trace: failed: %s\n", f.c_str());
  std::fprintf(stderr,
               "tatami trace: %zu files: %zu traced, %zu unchanged, %zu failed; %zu theorems in "
               "%s\n",
               s.files, s.traced, s.cached, s.failed, s.theorems, flags.output.c_str());
  if (s.interrupted) {
    std::fprintf(stderr, "tatami trace: interrupted; rerun the same command to continue\n");
    return 130;
  }
  return s.failed ? 1 : 0;
}

}  // namespace

void AddTraceCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<TraceFlags>();
  CLI::App* cmd = app.add_subcommand(
      "trace", "Trace a Lake project into LeanDojo Benchmark 4's format through the worker pool");
  cmd->add_option("project", flags->project, "the Lake project's root directory")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("targets", flags->targets,
                  "files (.lean, relative to PROJECT) or modules (A.B) to trace (default: every "
                  ".lean file of PROJECT outside .lake)");
  cmd->add_option("-o,--output", flags->output,
                  "output directory: theorems.json, corpus.jsonl, traced_files.jsonl, "
                  "metadata.json, files/ (per-file results; rerunning skips unchanged files)")
      ->required();
  cmd->add_option("--url", flags->url, "repository URL written into each theorem (default: none)");
  cmd->add_option("--commit", flags->commit, "commit written into each theorem (default: none)");
  cmd->add_option("-j,--jobs", flags->jobs, "files traced at once = worker processes");
  cmd->add_flag("--locate-premises", flags->locate_premises,
                "place premises defined outside the project with Lean (one more request per "
                "file, running lean_project/TatamiTrace.lean; Lean v4.19 or later)");
  AddConfigFlags(*cmd, &flags->config);
  cmd->add_flag("--no-progress", flags->no_progress, "no progress bar even on a terminal");
  cmd->callback([flags, exit_code] {
    try {
      *exit_code = RunTrace(*flags);
    } catch (const dojo::ConfigError& e) {
      std::fprintf(stderr, "tatami trace: configuration error: %s\n", e.what());
      *exit_code = 2;
    } catch (const std::invalid_argument& e) {
      std::fprintf(stderr, "tatami trace: %s\n", e.what());
      *exit_code = 2;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "tatami trace: error: %s\n", e.what());
      *exit_code = 1;
    }
  });
}

}  // namespace tatami::cli
