#include "options.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "readme_text.h"

namespace tatami::repl_double {

namespace {

[[noreturn]] void Usage(const std::string& what) {
  std::fprintf(stderr,
               "tatami-repl-double: %s\n"
               "tatami-repl-double: run with --help for the modes, flags and script format\n",
               what.c_str());
  std::exit(2);
}

std::uint64_t ParseUnsigned(std::string_view flag, const char* v) {
  errno = 0;
  char* end = nullptr;
  unsigned long long n = std::strtoull(v, &end, 10);
  if (errno != 0 || end == v || *end != '\0' || v[0] == '-') {
    Usage(std::string(flag) + " expects a non-negative integer, got '" + v + "'");
  }
  return n;
}

int ParseInt(std::string_view flag, const char* v, std::uint64_t max = 1u << 30) {
  std::uint64_t n = ParseUnsigned(flag, v);
  if (n > max) Usage(std::string(flag) + " value " + v + " is too large");
  return static_cast<int>(n);
}

Fault ParseFault(std::string_view name) {
  if (name == "crash") return Fault::kCrash;
  if (name == "hang") return Fault::kHang;
  if (name == "garbage") return Fault::kGarbage;
  if (name == "exit") return Fault::kExit;
  if (name == "truncate") return Fault::kTruncate;
  if (name == "huge") return Fault::kHuge;
  Usage("--faults: unknown fault '" + std::string(name) +
        "' (known: crash, hang, garbage, exit, truncate, huge)");
}

void SetMode(DoubleOptions* o, Mode m, const char* flag) {
  if (o->mode != Mode::kNone)
    Usage(std::string("only one mode may be given; ") + flag + " is a second");
  o->mode = m;
}

}  // namespace

const char* FaultName(Fault f) {
  switch (f) {
    case Fault::kNone:
      return "none";
    case Fault::kCrash:
      return "crash";
    case Fault::kHang:
      return "hang";
    case Fault::kGarbage:
      return "garbage";
    case Fault::kExit:
      return "exit";
    case Fault::kTruncate:
      return "truncate";
    case Fault::kHuge:
      return "huge";
  }
  return "?";
}

DoubleOptions ParseOptions(int argc, char** argv) {
  DoubleOptions o;
  bool have_faults_list = false;
  bool lean_version_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) Usage(std::string(a) + " needs a value");
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::fwrite(kReadmeText, 1, std::strlen(kReadmeText), stdout);
      std::exit(0);
    } else if (a == "--instant") {
      SetMode(&o, Mode::kInstant, "--instant");
    } else if (a == "--replay") {
      SetMode(&o, Mode::kReplay, "--replay");
      o.replay_file = value();
    } else if (a == "--replay-by-code") {
      SetMode(&o, Mode::kReplayByCode, "--replay-by-code");
      o.code_manifest = value();
    } else if (a == "--script") {
      SetMode(&o, Mode::kScript, "--script");
      o.script_file = value();
    } else if (a == "--lean-version") {
      const char* v = value();
      auto version = ParseLeanVersion(v);
      if (!version) {
        Usage(std::string("--lean-version: unknown version '") + v +
              "' (recorded: 4.9, 4.19, 4.33)");
      }
      o.lean_version = *version;
      lean_version_given = true;
    } else if (a == "--expect") {
      o.expect_file = value();
    } else if (a == "--latency-ms") {
      o.latency_ms = ParseInt(a, value());
    } else if (a == "--latency-jitter-ms") {
      o.latency_jitter_ms = ParseInt(a, value());
    } else if (a == "--report-cpu") {
      o.report_cpu = value();
    } else if (a == "--work-us") {
      o.work_us = ParseInt(a, value());
    } else if (a == "--seed") {
      o.seed = ParseUnsigned(a, value());
    } else if (a == "--import-delay-ms") {
      o.import_delay_ms = ParseInt(a, value());
    } else if (a == "--import-memory-mb") {
      o.import_memory_mb = ParseInt(a, value(), 1u << 20);
    } else if (a == "--state-memory-kb") {
      o.state_memory_kb = ParseInt(a, value(), 1u << 24);
    } else if (a == "--slow-read-ms") {
      o.slow_read_ms = ParseInt(a, value());
    } else if (a == "--stderr-lines") {
      o.stderr_lines = ParseInt(a, value());
    } else if (a == "--hang-on") {
      o.hang_on.push_back(ParseUnsigned(a, value()));
    } else if (a == "--exit-on") {
      o.exit_on.push_back(ParseUnsigned(a, value()));
    } else if (a == "--exit-code") {
      o.exit_code = ParseInt(a, value(), 255);
    } else if (a == "--crash-on") {
      o.crash_on.push_back(ParseUnsigned(a, value()));
    } else if (a == "--garbage-on") {
      o.garbage_on.push_back(ParseUnsigned(a, value()));
    } else if (a == "--truncate-on") {
      o.truncate_on.push_back(ParseUnsigned(a, value()));
    } else if (a == "--huge-on") {
      o.huge_on.push_back(ParseUnsigned(a, value()));
    } else if (a == "--huge-bytes") {
      o.huge_bytes = ParseUnsigned(a, value());
    } else if (a == "--exit-at-start") {
      o.exit_at_start = ParseInt(a, value(), 255);
    } else if (a == "--garbage-at-start") {
      o.garbage_at_start = true;
    } else if (a == "--fault-rate") {
      const char* v = value();
      char* end = nullptr;
      o.fault_rate = std::strtod(v, &end);
      if (end == v || *end != '\0' || !(o.fault_rate >= 0 && o.fault_rate <= 1)) {
        Usage(std::string("--fault-rate expects a probability in [0, 1], got '") + v + "'");
      }
    } else if (a == "--faults") {
      have_faults_list = true;
      std::string_view list = value();
      while (!list.empty()) {
        std::size_t comma = list.find(',');
        std::string_view name = list.substr(0, comma);
        if (!name.empty()) o.random_faults.push_back(ParseFault(name));
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
    } else if (a == "--fatal-parse-errors") {
      o.fatal_parse_errors = true;
    } else {
      Usage("unknown argument '" + std::string(a) + "'");
    }
  }
  if (o.mode == Mode::kNone && !o.exit_at_start) {
    Usage(
        "a mode is required: --instant, --replay FILE.expected.out, --replay-by-code "
        "MANIFEST.json or --script GRAPH.json");
  }
  if (!o.expect_file.empty() && o.mode != Mode::kReplay) Usage("--expect only works with --replay");
  if (lean_version_given && o.mode != Mode::kScript)
    Usage("--lean-version only works with --script");
  if (o.fault_rate > 0 && o.random_faults.empty()) {
    Usage(have_faults_list ? "--faults lists no fault" : "--fault-rate needs --faults LIST");
  }
  return o;
}

}  // namespace tatami::repl_double
