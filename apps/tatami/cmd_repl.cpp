// `tatami repl`: a robust proxy in front of one Lean REPL process.
//
// Requests are read from stdin in the REPL's own framing (JSON objects
// separated by blank lines, possibly spread over several lines, which the REPL
// joins without newlines) or, with --jsonl, one JSON object per line.
// Responses go to stdout exactly as the REPL printed them (or compacted to one
// line with --jsonl). Whatever goes wrong with one request - a crash, a
// timeout, garbage output, a malformed request - is answered with an error
// object {"message": "tatami: ..."} and the proxy keeps serving (restarting the
// REPL if it died). Exit status: 0 at the end of the input, 1 if the REPL
// cannot be (re)started or stdout fails, 2 for bad options.
#include <utility>  // before Asio: g++ 12 coroutine support needs it

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "tatami/dojo/config.h"
#include "tatami/dojo/framing.h"
#include "tatami/dojo/repl_outcome.h"
#include "tatami/dojo/repl_process.h"

namespace tatami::cli {

namespace {

using dojo::ReplOutcome;

struct ReplCommandArgs {
  double timeout_seconds = 0;
  std::string memory_limit = "0";
  std::string repl_cmd = "lake env repl";
  std::string project;
  bool jsonl = false;
};

// One request as read from stdin: its text with the lines joined the way the
// REPL joins them (without newlines), and where each line starts in it, so
// that errors can point at the user's line and column.
using RawRequest = dojo::BlankLineSplitter::Block;

class RequestReader {
 public:
  RequestReader(std::istream& in, bool jsonl)
      : in_(in), jsonl_(jsonl), splitter_(dojo::BlankLineSplitter::Join::kWithoutNewlines) {}

  std::optional<RawRequest> Next() {
    std::string line;
    while (std::getline(in_, line)) {
      if (auto request = splitter_.AddLine(line)) return request;
      if (jsonl_) {
        if (auto request = splitter_.Finish()) return request;
      }
    }
    return splitter_.Finish();  // the last request may end at EOF, as with the REPL
  }

 private:
  std::istream& in_;
  bool jsonl_;
  dojo::BlankLineSplitter splitter_;
};

// "line L, column C" of byte `offset` (0-based) of `r.text`.
std::string Where(const RawRequest& r, std::size_t offset) {
  std::size_t i = 0;
  while (i + 1 < r.line_starts.size() && r.line_starts[i + 1] <= offset) ++i;
  return fmt::format("line {}, column {}", r.first_line + i, offset - r.line_starts[i] + 1);
}

// Drops the whitespace between JSON tokens, keeping key order and strings.
std::string CompactJson(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) {
        out += text[++i];
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
      out += c;
    } else if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
      out += c;
    }
  }
  return out;
}

class ResponseWriter {
 public:
  explicit ResponseWriter(bool jsonl) : jsonl_(jsonl) {}

  bool Response(const std::string& text) {
    return Write(jsonl_ ? CompactJson(text) + "\n" : text + "\n\n");
  }

  bool Error(const std::string& message) {
    nlohmann::json j = {{"message", "tatami: " + message}};
    std::string s = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return Write(jsonl_ ? s + "\n" : s + "\n\n");
  }

 private:
  bool Write(const std::string& s) {
    std::fwrite(s.data(), 1, s.size(), stdout);
    return std::fflush(stdout) == 0 && !std::ferror(stdout);
  }
  bool jsonl_;
};

std::string StderrSuffix(const std::string& tail) {
  std::size_t end = tail.find_last_not_of("\r\n \t");
  if (end == std::string::npos) return {};
  std::size_t start = tail.find_last_of('\n', end);
  start = start == std::string::npos ? 0 : start + 1;
  std::string line = tail.substr(start, end + 1 - start);
  if (line.size() > 300) line = line.substr(0, 297) + "...";
  return "; its stderr ends: " + line;
}

// The error message for an outcome that is not a response, or nullopt.
std::optional<std::string> FailureMessage(const ReplOutcome& outcome, double timeout_seconds) {
  constexpr const char* kLost =
      "; the REPL was restarted, so environments and proof states from earlier requests are gone";
  if (const auto* t = std::get_if<dojo::ReplTimeout>(&outcome)) {
    return fmt::format("the REPL did not answer within {} s and was killed{}{}", timeout_seconds,
                       StderrSuffix(t->stderr_tail), kLost);
  }
  if (const auto* c = std::get_if<dojo::ReplCrash>(&outcome)) {
    return fmt::format("the REPL crashed: {}{}{}{}", c->reason,
                       c->memory_limit_suspected ? " (it may have exceeded --memory-limit)" : "",
                       StderrSuffix(c->stderr_tail), kLost);
  }
  if (const auto* p = std::get_if<dojo::ReplProtocolError>(&outcome)) {
    std::string bytes = p->bytes.substr(0, 200);
    return fmt::format("the REPL wrote invalid output ({}), starting: {}{}", p->reason, bytes,
                       kLost);
  }
  return std::nullopt;
}

int RunRepl(const ReplCommandArgs& args) {
  // The same syntax as the configuration file and the other commands' flags.
  std::vector<std::string> argv;
  std::uint64_t memory = 0;
  try {
    argv = tatami::dojo::SplitCommandLine(args.repl_cmd);
    if (argv.empty()) throw std::invalid_argument("the command is empty");
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "tatami repl: error: --repl-cmd \"%s\": %s\n", args.repl_cmd.c_str(),
                 e.what());
    return 2;
  }
  try {
    memory = tatami::dojo::ParseByteSize(args.memory_limit);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "tatami repl: error: --memory-limit: %s\n", e.what());
    return 2;
  }
  if (!(args.timeout_seconds >= 0) || !std::isfinite(args.timeout_seconds)) {
    std::fprintf(stderr, "tatami repl: error: --timeout must be a number of seconds >= 0\n");
    return 2;
  }
  if (!args.project.empty() && !std::filesystem::is_directory(args.project)) {
    std::fprintf(stderr, "tatami repl: error: --project %s is not a directory\n",
                 args.project.c_str());
    return 2;
  }

  dojo::ReplProcessOptions options;
  options.command = std::move(argv);
  options.working_directory = args.project;
  options.memory_limit_bytes = memory;
  options.request_timeout = std::chrono::milliseconds(
      static_cast<std::int64_t>(std::llround(args.timeout_seconds * 1000)));
  if (args.timeout_seconds > 0 && options.request_timeout.count() == 0) {
    options.request_timeout = std::chrono::milliseconds(1);
  }
  dojo::ReplClient client(options);
  if (auto started = client.Start(); !started.ok) {
    std::fprintf(stderr, "tatami repl: error: %s\n", started.error.c_str());
    return 1;
  }

  RequestReader reader(std::cin, args.jsonl);
  ResponseWriter writer(args.jsonl);
  auto write_failed = [] {
    std::fprintf(stderr, "tatami repl: error: cannot write to stdout: %s\n", std::strerror(errno));
    return 1;
  };
  while (auto raw = reader.Next()) {
    nlohmann::json request = nlohmann::json::parse(raw->text, nullptr, false);
    if (request.is_discarded()) {
      std::string message;
      try {
        nlohmann::json reparsed = nlohmann::json::parse(raw->text);
        (void)reparsed;
      } catch (const nlohmann::json::parse_error& e) {
        // Drop nlohmann's own "[json.exception...] parse error at line 1,
        // column N: " prefix: it counts in the joined text, not the input.
        message = e.what();
        if (auto colon = message.find(": "); colon != std::string::npos) {
          message = message.substr(colon + 2);
        }
        const std::size_t offset = e.byte > 0 ? e.byte - 1 : 0;
        message = "invalid JSON in the request at " + Where(*raw, offset) + ": " + message;
      }
      if (!writer.Error(message)) return write_failed();
      continue;
    }
    ReplOutcome outcome = client.Send(request);
    if (const auto* r = std::get_if<dojo::ReplResponse>(&outcome)) {
      if (!writer.Response(r->text)) return write_failed();
      continue;
    }
    if (const auto* rejected = std::get_if<dojo::ReplRejected>(&outcome)) {
      if (!writer.Error(
              fmt::format("request at line {} rejected: {}", raw->first_line, rejected->reason))) {
        return write_failed();
      }
      continue;
    }
    const std::string message = FailureMessage(outcome, args.timeout_seconds).value_or("");
    if (!writer.Error(message)) return write_failed();
    if (auto restarted = client.Restart(); !restarted.ok) {
      std::fprintf(stderr, "tatami repl: error: cannot restart the REPL: %s\n",
                   restarted.error.c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace

void AddReplCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<ReplCommandArgs>();
  CLI::App* sub = app.add_subcommand(
      "repl",
      "Serve Lean REPL requests from stdin through one supervised REPL process: crashes, "
      "timeouts and bad output are answered with {\"message\": \"tatami: ...\"} and the REPL is "
      "restarted");
  sub->add_option("--timeout", args->timeout_seconds,
                  "Seconds a request may take before the REPL is killed and restarted "
                  "(0 = no limit)")
      ->default_val(0);
  sub->add_option("--memory-limit", args->memory_limit,
                  "Address-space limit of the REPL process, e.g. 8G or 512M (0 = none)")
      ->default_val("0");
  sub->add_option("--repl-cmd", args->repl_cmd, "The REPL command line")
      ->default_val("lake env repl");
  sub->add_option("--project", args->project,
                  "Working directory of the REPL (the Lean project; default: the current one)");
  sub->add_flag("--jsonl", args->jsonl,
                "One JSON request per input line, one compact response per output line");
  sub->callback([args, exit_code] { *exit_code = RunRepl(*args); });
}

}  // namespace tatami::cli
