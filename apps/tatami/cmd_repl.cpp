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
// cannot be (re)started or stdout fails, 2 for bad options or configuration.
//
// Configuration: the same flags, TATAMI_* variables and config file as the
// other commands (config_flags.h), limited to what one process uses.
#include <utility>  // before Asio: g++ 12 coroutine support needs it

#include <cctype>
#include <cerrno>
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
#include "config_flags.h"
#include "tatami/dojo/config.h"
#include "tatami/dojo/framing.h"
#include "tatami/dojo/repl_outcome.h"
#include "tatami/dojo/repl_process.h"

namespace tatami::cli {

namespace {

using dojo::ReplOutcome;

struct ReplCommandArgs {
  ConfigFlags config;  // --config, --repl-cmd, --project, --timeout, --memory-limit
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
std::optional<std::string> FailureMessage(const ReplOutcome& outcome,
                                          std::chrono::milliseconds timeout) {
  constexpr const char* kLost =
      "; the REPL was restarted, so environments and proof states from earlier requests are gone";
  if (const auto* t = std::get_if<dojo::ReplTimeout>(&outcome)) {
    return fmt::format("the REPL did not answer within {} s and was killed{}{}",
                       static_cast<double>(timeout.count()) / 1000, StderrSuffix(t->stderr_tail),
                       kLost);
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
  // The configuration of the other commands: flags > TATAMI_* > file > defaults.
  dojo::Config config;
  try {
    config = ResolveConfig(args.config);
  } catch (const dojo::ConfigError& e) {
    std::fprintf(stderr, "tatami repl: error: %s\n", e.what());
    return 2;
  }
  if (!config.project_dir.empty() && !std::filesystem::is_directory(config.project_dir)) {
    std::fprintf(stderr, "tatami repl: error: the project directory %s is not a directory\n",
                 config.project_dir.c_str());
    return 2;
  }
  const dojo::ReplProcessOptions options = config.ToProcessOptions();
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
    const std::string message = FailureMessage(outcome, options.request_timeout).value_or("");
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
  AddConfigFlags(*sub, &args->config, ConfigFlagSet::kSingleRepl);
  sub->add_flag("--jsonl", args->jsonl,
                "One JSON request per input line, one compact response per output line");
  sub->callback([args, exit_code] { *exit_code = RunRepl(*args); });
}

}  // namespace tatami::cli
