// Round-trip latency of one REPL request, for bench/run_repl.sh.
//
// One process measures one client talking to one child (normally the REPL
// test double in --instant mode, so the child's own work is negligible and
// what remains is the cost of the client and of the pipes):
//
//   --client ours    ReplProcess on an io_context: from AsyncRequest() to the
//                    callback receiving a parsed ReplResponse.
//   --client typed   as ours, and the callback also reads the response into the
//                    typed result the Dojo uses (InterpretTactic) before the
//                    clock stops.
//   --client blocking ReplClient::Send(): the blocking wrapper around the same.
//   --client floor   the physical floor: fork/exec with two pipes, write the
//                    pre-encoded request, block in read() until the blank line
//                    that ends the response. No JSON, no event loop.
//
// The first --warmup round trips are not recorded; the next --requests are
// written to --samples as one latency in nanoseconds per line (appended, so
// that several rounds of one configuration accumulate in one file). The
// statistics are computed by bench/repl_report.py so that every client,
// including the Python baseline, is summarised the same way.
#include <utility>  // before Asio: g++ 12 coroutine support needs it

#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <variant>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "tatami/dojo/framing.h"
#include "tatami/dojo/outcome.h"
#include "tatami/dojo/repl_outcome.h"
#include "tatami/dojo/repl_process.h"

namespace {

using Clock = std::chrono::steady_clock;

struct BenchArgs {
  std::string client;
  std::vector<std::string> command;  // argv of the child
  long requests = 100000;
  long warmup = 2000;
  std::string samples_path;
  std::string request_text;
};

[[noreturn]] void Fail(const std::string& what) {
  std::cerr << "tatami-bench-repl-latency: " << what << "\n";
  std::exit(1);
}

std::chrono::nanoseconds::rep Nanos(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
}

// Samples are kept in memory while measuring and written afterwards, so that
// file I/O never lands inside a measured interval.
void WriteSamples(const std::string& path, const std::vector<std::int64_t>& samples) {
  std::ofstream out(path, std::ios::app);
  if (!out) Fail("cannot open samples file " + path + ": " + std::strerror(errno));
  for (auto s : samples) out << s << '\n';
  out.flush();
  if (!out) Fail("cannot write samples file " + path);
}

// --- ours: ReplProcess driven by an io_context --------------------------------

std::vector<std::int64_t> RunOurs(const BenchArgs& args, const nlohmann::json& request,
                                  bool typed) {
  boost::asio::io_context io;
  tatami::dojo::ReplProcessOptions options;
  options.command = args.command;
  options.request_timeout = std::chrono::seconds(30);
  tatami::dojo::ReplProcess process(io, options);

  const long total = args.warmup + args.requests;
  std::vector<std::int64_t> samples;
  samples.reserve(static_cast<std::size_t>(args.requests));
  std::string failure;

  // Each completion records its latency and issues the next request, so there
  // is exactly one request in flight, as with the other clients.
  // The caller's copy of the request is made before the clock starts: what is
  // timed is ReplProcess (encode, write, wait, read, parse, callback), as the
  // floor's request is encoded before its clock starts too.
  std::function<void(long)> issue = [&](long i) {
    nlohmann::json copy = request;
    const auto t0 = Clock::now();
    process.AsyncRequest(std::move(copy), [&, i, t0](tatami::dojo::ReplOutcome outcome) {
      if (typed) {
        const tatami::dojo::TacticResult result = tatami::dojo::InterpretTactic(outcome);
        if (const auto* failed = std::get_if<tatami::dojo::TacticFailed>(&result);
            failed && failed->kind == tatami::dojo::FailureKind::kMalformedResponse) {
          failure = "request " + std::to_string(i + 1) + ": " + tatami::dojo::Describe(result);
          io.stop();
          return;
        }
      }
      const auto t1 = Clock::now();
      if (!std::holds_alternative<tatami::dojo::ReplResponse>(outcome)) {
        failure = "request " + std::to_string(i + 1) + ": " + tatami::dojo::Describe(outcome);
        io.stop();
        return;
      }
      if (i >= args.warmup) samples.push_back(Nanos(t0, t1));
      if (i + 1 < total) {
        issue(i + 1);
      } else {
        io.stop();
      }
    });
  };
  process.AsyncStart([&](tatami::dojo::StartResult started) {
    if (!started.ok) {
      failure = "cannot start the child: " + started.error;
      io.stop();
      return;
    }
    issue(0);
  });
  io.run();
  if (!failure.empty()) Fail(failure);
  if (static_cast<long>(samples.size()) != args.requests) Fail("event loop ended early");
  return samples;
}

// --- blocking: ReplClient ------------------------------------------------------

std::vector<std::int64_t> RunBlocking(const BenchArgs& args, const nlohmann::json& request) {
  tatami::dojo::ReplProcessOptions options;
  options.command = args.command;
  options.request_timeout = std::chrono::seconds(30);
  tatami::dojo::ReplClient client(options);
  if (auto started = client.Start(); !started.ok) Fail("cannot start the child: " + started.error);

  std::vector<std::int64_t> samples;
  samples.reserve(static_cast<std::size_t>(args.requests));
  const long total = args.warmup + args.requests;
  for (long i = 0; i < total; ++i) {
    const auto t0 = Clock::now();
    tatami::dojo::ReplOutcome outcome = client.Send(request);
    const auto t1 = Clock::now();
    if (!std::holds_alternative<tatami::dojo::ReplResponse>(outcome)) {
      Fail("request " + std::to_string(i + 1) + ": " + tatami::dojo::Describe(outcome));
    }
    if (i >= args.warmup) samples.push_back(Nanos(t0, t1));
  }
  return samples;
}

// --- floor: fork/exec, blocking pipes, no JSON ----------------------------------

class PipeChild {
 public:
  explicit PipeChild(const std::vector<std::string>& command) {
    int to_child[2];
    int from_child[2];
    if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) {
      Fail(std::string("pipe2: ") + std::strerror(errno));
    }
    std::vector<char*> argv;
    for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ < 0) Fail(std::string("fork: ") + std::strerror(errno));
    if (pid_ == 0) {
      dup2(to_child[0], STDIN_FILENO);
      dup2(from_child[1], STDOUT_FILENO);
      execvp(argv[0], argv.data());
      _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    in_ = to_child[1];
    out_ = from_child[0];
  }

  ~PipeChild() {
    close(in_);  // EOF ends the REPL's loop
    close(out_);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }

  void WriteAll(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = write(in_, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) Fail(std::string("write to child: ") + std::strerror(errno));
      done += static_cast<std::size_t>(n);
    }
  }

  // Reads until the blank line that ends one response; returns its size.
  std::size_t ReadResponse() {
    std::size_t scan = 0;
    for (;;) {
      std::size_t pos = buffer_.find("\n\n", scan);
      if (pos != std::string::npos) {
        buffer_.erase(0, pos + 2);
        return pos;
      }
      scan = buffer_.empty() ? 0 : buffer_.size() - 1;
      char chunk[65536];
      ssize_t n = read(out_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) Fail("child closed its stdout in the middle of a response");
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  pid_t pid_ = -1;
  int in_ = -1;
  int out_ = -1;
  std::string buffer_;
};

std::vector<std::int64_t> RunFloor(const BenchArgs& args, const std::string& encoded) {
  PipeChild child(args.command);
  std::vector<std::int64_t> samples;
  samples.reserve(static_cast<std::size_t>(args.requests));
  const long total = args.warmup + args.requests;
  for (long i = 0; i < total; ++i) {
    const auto t0 = Clock::now();
    child.WriteAll(encoded);
    std::size_t size = child.ReadResponse();
    const auto t1 = Clock::now();
    if (size == 0) Fail("empty response to request " + std::to_string(i + 1));
    if (i >= args.warmup) samples.push_back(Nanos(t0, t1));
  }
  return samples;
}

}  // namespace

int main(int argc, char** argv) {
  BenchArgs args;
  args.request_text = R"({"tactic": "intro h", "proofState": 0})";
  CLI::App app{"Round-trip latency of REPL requests (one client, one child)"};
  app.add_option("--client", args.client, "ours | typed | blocking | floor")
      ->required()
      ->check(CLI::IsMember({"ours", "typed", "blocking", "floor"}));
  app.add_option("--requests", args.requests, "measured round trips")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--warmup", args.warmup, "unmeasured round trips first")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--samples", args.samples_path, "file the latencies (ns) are appended to")
      ->required();
  app.add_option("--request", args.request_text, "the JSON request sent every time")
      ->capture_default_str();
  app.add_option("command", args.command, "argv of the child (after --)")->required();
  CLI11_PARSE(app, argc, argv);

  signal(SIGPIPE, SIG_IGN);  // a dead child must surface as an error, not kill us
  nlohmann::json request;
  try {
    request = nlohmann::json::parse(args.request_text);
  } catch (const nlohmann::json::parse_error& e) {
    Fail("--request is not JSON: " + std::string(e.what()));
  }
  std::vector<std::int64_t> samples;
  if (args.client == "ours" || args.client == "typed") {
    samples = RunOurs(args, request, args.client == "typed");
  } else if (args.client == "blocking") {
    samples = RunBlocking(args, request);
  } else {
    samples = RunFloor(args, tatami::dojo::EncodeRequest(request));
  }
  WriteSamples(args.samples_path, samples);
  return 0;
}
