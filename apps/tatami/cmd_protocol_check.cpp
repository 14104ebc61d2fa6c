// `tatami protocol-check NAME.in [NAME.expected.out] [--replay] [--double PATH]`
//
// Checks a recorded REPL transcript against tatami's understanding of the
// protocol (see tatami/dojo/transcript.h): every request and response parses
// into its typed form and serialises back to the same JSON value, there is
// one response per request, and the typed interpretation agrees with what the
// responses say. With --replay it also drives the REPL test double, replaying
// the recorded responses, through a real ReplClient and checks that the typed
// outcomes it gets equal those of the recorded responses.
//
// Prints one line per failed check, then a summary line. Exit status: 0 when
// everything passes, 1 when a check fails, 2 when the input cannot be read or
// the double cannot be found.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands.h"
#include "tatami/dojo/config.h"
#include "tatami/dojo/outcome.h"
#include "tatami/dojo/repl_process.h"
#include "tatami/dojo/transcript.h"

namespace tatami::cli {

namespace {

namespace fs = std::filesystem;
using dojo::TranscriptCheck;
using dojo::TranscriptIssue;

struct ProtocolCheckArgs {
  std::string in;
  std::string expected_out;
  bool replay = false;
  std::string double_path;
  // Per-request deadline when replaying: --timeout takes a duration
  // ("60s", "500ms"; a plain number is seconds, as everywhere), --timeout-ms
  // a plain number of milliseconds or a duration. Neither set: the default
  // of ReplProcessOptions::request_timeout.
  std::optional<std::string> timeout;
  std::optional<std::string> timeout_ms;
};

// The deadline the flags ask for. Throws std::invalid_argument naming the flag.
std::chrono::milliseconds RequestTimeout(const ProtocolCheckArgs& args) {
  std::chrono::milliseconds t = dojo::ReplProcessOptions{}.request_timeout;
  const char* flag = "--timeout";
  try {
    if (args.timeout) {
      t = dojo::ParseDuration(*args.timeout);
    } else if (args.timeout_ms) {
      flag = "--timeout-ms";
      const std::string& text = *args.timeout_ms;
      const bool plain = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
      t = plain ? dojo::ParseDuration(text + "ms") : dojo::ParseDuration(text);
    }
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string(flag) + ": " + e.what());
  }
  if (t.count() <= 0) throw std::invalid_argument(std::string(flag) + ": must be positive");
  return t;
}

fs::path SelfExecutable() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : p;
}

// The REPL test double: --double, else $TATAMI_REPL_DOUBLE, else next to the
// tatami binary (installed) or in its build tree (tests/repl_double/).
std::optional<fs::path> FindDouble(const std::string& flag) {
  if (!flag.empty()) return fs::path(flag);
  if (const char* env = std::getenv("TATAMI_REPL_DOUBLE"); env && *env) return fs::path(env);
  fs::path self = SelfExecutable();
  if (self.empty()) return std::nullopt;
  const fs::path candidates[] = {
      self.parent_path() / "tatami-repl-double",
      self.parent_path().parent_path() / "tests" / "repl_double" / "tatami-repl-double",
  };
  for (const auto& c : candidates) {
    if (::access(c.c_str(), X_OK) == 0) return c;
  }
  return std::nullopt;
}

int RunProtocolCheck(const ProtocolCheckArgs& args) {
  std::chrono::milliseconds request_timeout;
  try {
    request_timeout = RequestTimeout(args);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "tatami protocol-check: error: %s\n", e.what());
    return 2;
  }
  std::optional<fs::path> out;
  if (!args.expected_out.empty()) out = fs::path(args.expected_out);
  if (args.replay && !out) {
    std::fprintf(stderr, "tatami protocol-check: --replay needs NAME.expected.out\n");
    return 2;
  }
  TranscriptCheck check;
  try {
    check = dojo::CheckTranscript(args.in, out);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tatami protocol-check: error: %s\n", e.what());
    return 2;
  }
  std::vector<TranscriptIssue> issues = check.issues;
  bool replayed = false;
  if (args.replay) {
    std::optional<fs::path> double_path = FindDouble(args.double_path);
    if (!double_path) {
      std::fprintf(stderr,
                   "tatami protocol-check: error: cannot find tatami-repl-double (pass "
                   "--double PATH or set TATAMI_REPL_DOUBLE)\n");
      return 2;
    }
    dojo::ReplProcessOptions options;
    options.request_timeout = request_timeout;
    options.startup_timeout = options.request_timeout;
    options.command = {double_path->string(), "--replay", *check.out_name, "--expect",
                       check.in_name};
    auto more = dojo::ReplayTranscript(check, std::move(options));
    issues.insert(issues.end(), more.begin(), more.end());
    replayed = true;
  }
  for (const auto& issue : issues) std::printf("%s\n", issue.ToString().c_str());
  std::string summary = fmt::format("{}: {} request{}", check.in_name, check.requests.size(),
                                    check.requests.size() == 1 ? "" : "s");
  if (check.out_name)
    summary += fmt::format(", {} response{}", check.responses, check.responses == 1 ? "" : "s");
  if (replayed) summary += ", replayed";
  if (issues.empty()) {
    summary += ": ok";
  } else {
    summary += fmt::format(": {} problem{}", issues.size(), issues.size() == 1 ? "" : "s");
  }
  std::printf("%s\n", summary.c_str());
  std::fflush(stdout);
  return issues.empty() ? 0 : 1;
}

}  // namespace

void AddProtocolCheckCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<ProtocolCheckArgs>();
  CLI::App* cmd = app.add_subcommand(
      "protocol-check",
      "Check a recorded REPL transcript (NAME.in, NAME.expected.out) against tatami's "
      "protocol types and outcome interpretation");
  cmd->add_option("in", args->in, "Requests, separated by blank lines (NAME.in)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("expected_out", args->expected_out,
                  "Recorded responses, separated by blank lines (NAME.expected.out)")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--replay", args->replay,
                "Also drive the REPL test double replaying the responses and compare the "
                "typed outcomes");
  cmd->add_option("--double", args->double_path,
                  "Path of tatami-repl-double (default: $TATAMI_REPL_DOUBLE, or found next "
                  "to tatami or in its build tree)");
  const std::string default_timeout = fmt::format(
      "{}s", std::chrono::duration<double>(dojo::ReplProcessOptions{}.request_timeout).count());
  auto* timeout = cmd->add_option(
      "--timeout", args->timeout,
      "Per-request deadline when replaying, e.g. 60s or 500ms (default: " + default_timeout + ")");
  cmd->add_option("--timeout-ms", args->timeout_ms,
                  "The same deadline in milliseconds (a plain number) or as a duration")
      ->excludes(timeout);
  cmd->callback([args, exit_code] { *exit_code = RunProtocolCheck(*args); });
}

}  // namespace tatami::cli
