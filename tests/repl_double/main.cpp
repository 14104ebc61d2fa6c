// tatami-repl-double: a stand-in for the Lean REPL for tests and benchmarks.
// It is not Lean and never claims to be: see README.md (printed by --help).
#include <signal.h>
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

}  // namespace

int main(int argc, char** argv) {
  using namespace tatami::repl_double;
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
  return Serve(options, responder.get());
}
