// tatami-repl-double: a stand-in for the Lean REPL for tests and benchmarks.
// It is not Lean and never claims to be: see README.md (printed by --help).
#include <malloc.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "options.h"
#include "responder.h"
#include "serve.h"

namespace {

const char* ModeName(tatami::repl_double::Mode m) {
  switch (m) {
    case tatami::repl_double::Mode::kInstant:
      return "instant";
    case tatami::repl_double::Mode::kReplay:
      return "replay";
    case tatami::repl_double::Mode::kScript:
      return "script";
    case tatami::repl_double::Mode::kReplayByCode:
      return "replay-by-code";
    case tatami::repl_double::Mode::kNone:
      break;
  }
  return "none";
}

double ProcessCpuSeconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tatami::repl_double;
  // No fastbins: the double frees many small blocks per request, and with
  // fastbins glibc merges all of them back (malloc_consolidate) whenever a
  // free borders the top of the heap, which was a large share of serving a
  // search's tactic requests. The thread cache still recycles small blocks.
  ::mallopt(M_MXFAST, 0);
  const DoubleOptions options = ParseOptions(argc, argv);
  // A vanished client shows up as a failed write, which ends the process.
  ::signal(SIGPIPE, SIG_IGN);

  if (options.exit_at_start) {
    std::fprintf(stderr, "tatami-repl-double: exiting at start-up with code %d (--exit-at-start)\n",
                 *options.exit_at_start);
    std::fflush(stderr);
    std::_Exit(*options.exit_at_start);
  }
  std::fprintf(stderr, "tatami-repl-double: Lean REPL test double (not Lean), mode %s, pid %d\n",
               ModeName(options.mode), static_cast<int>(::getpid()));
  std::fflush(stderr);

  std::unique_ptr<Responder> responder;
  switch (options.mode) {
    case Mode::kInstant:
      responder = MakeInstantResponder();
      break;
    case Mode::kReplay:
      responder = MakeReplayResponder(options.replay_file, options.expect_file);
      break;
    case Mode::kScript:
      responder = MakeScriptResponder(options.script_file, options.lean_version);
      break;
    case Mode::kReplayByCode:
      responder = MakeCodeReplayResponder(options.code_manifest);
      break;
    case Mode::kNone:
      return 2;
  }
  if (options.garbage_at_start) {
    static constexpr char kGarbage[] =
        "tatami-repl-double: garbage at start-up (--garbage-at-start), not JSON\n\n";
    if (::write(1, kGarbage, sizeof kGarbage - 1) < 0) return 1;
  }
  // Loading the script or the recordings is start-up, not serving.
  const double serving_from = ProcessCpuSeconds();
  const int status = Serve(options, responder.get());
  if (!options.report_cpu.empty()) {
    std::FILE* f = std::fopen(options.report_cpu.c_str(), "a");
    if (!f || std::fprintf(f, "%.6f\n", ProcessCpuSeconds() - serving_from) < 0 ||
        std::fclose(f) != 0) {
      std::fprintf(stderr, "tatami-repl-double: cannot append to --report-cpu file '%s'\n",
                   options.report_cpu.c_str());
      return 2;
    }
  }
  return status;
}
