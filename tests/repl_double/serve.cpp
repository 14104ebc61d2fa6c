#include "serve.h"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tatami/dojo/framing.h"
#include "tatami/dojo/protocol.h"

namespace tatami::repl_double {

namespace {

void SleepMs(long ms) {
  if (ms <= 0) return;
  timespec ts{ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

// Spins until this thread has used `us` microseconds of CPU, so that the work
// scales with available cores (a sleep would not).
void BurnCpu(long us) {
  if (us <= 0) return;
  auto cpu_ns = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
  };
  const long long end = cpu_ns() + static_cast<long long>(us) * 1000;
  volatile unsigned sink = 0;
  while (cpu_ns() < end) {
    for (int i = 0; i < 1000; ++i) sink = sink * 1664525u + 1013904223u;
  }
}

void WriteAll(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      // The client went away; nothing more can be said to it.
      std::_Exit(1);
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

void Stderr(const std::string& line) { WriteAll(2, line.data(), line.size()); }

[[noreturn]] void HangForever() {
  for (;;) pause();
}

// Memory the real REPL would hold: environments and proof states are never
// freed. Every page is written so that it counts in the resident set.
class Hoard {
 public:
  void Add(std::size_t bytes) {
    if (bytes == 0) return;
    auto block = std::make_unique<char[]>(bytes);
    const long page = sysconf(_SC_PAGESIZE);
    for (std::size_t i = 0; i < bytes; i += static_cast<std::size_t>(page)) block[i] = 1;
    block[bytes - 1] = 1;
    blocks_.push_back(std::move(block));
  }

 private:
  std::vector<std::unique_ptr<char[]>> blocks_;
};

bool Contains(const std::vector<std::uint64_t>& v, std::uint64_t k) {
  return std::find(v.begin(), v.end(), k) != v.end();
}

class Server {
 public:
  Server(const DoubleOptions& o, Responder* responder)
      : o_(o), responder_(responder), rng_(o.seed) {}

  int Run() {
    const std::size_t chunk = o_.slow_read_ms > 0 ? 16 : 1 << 16;
    std::vector<char> buf(chunk);
    for (;;) {
      ssize_t n = ::read(0, buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        Stderr("tatami-repl-double: reading stdin failed: " + std::string(std::strerror(errno)) +
               "\n");
        return 1;
      }
      if (n == 0) break;
      std::string_view bytes(buf.data(), static_cast<std::size_t>(n));
      for (std::size_t nl; (nl = bytes.find('\n')) != std::string_view::npos;) {
        line_.append(bytes.substr(0, nl));
        bytes.remove_prefix(nl + 1);
        if (auto block = splitter_.AddLine(line_)) Handle(std::move(block->text));
        line_.clear();
      }
      line_.append(bytes);
      Flush();
      SleepMs(o_.slow_read_ms);
    }
    // Like the REPL, a last request cut off by EOF is still answered.
    if (!line_.empty()) {
      if (auto block = splitter_.AddLine(line_)) Handle(std::move(block->text));
    }
    if (auto block = splitter_.Finish()) Handle(std::move(block->text));
    Flush();
    return 0;
  }

 private:
  Fault PlanFault(std::uint64_t k) {
    if (Contains(o_.hang_on, k)) return Fault::kHang;
    if (Contains(o_.crash_on, k)) return Fault::kCrash;
    if (Contains(o_.exit_on, k)) return Fault::kExit;
    if (Contains(o_.garbage_on, k)) return Fault::kGarbage;
    if (Contains(o_.truncate_on, k)) return Fault::kTruncate;
    if (Contains(o_.huge_on, k)) return Fault::kHuge;
    if (o_.fault_rate > 0) {
      // Two draws per request, always, so that the sequence depends only on
      // the seed and the request number.
      double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
      std::size_t pick =
          std::uniform_int_distribution<std::size_t>(0, o_.random_faults.size() - 1)(rng_);
      if (u < o_.fault_rate) return o_.random_faults[pick];
    }
    return Fault::kNone;
  }

  // `request` is one request's lines, joined as the REPL joins them.
  void Handle(std::string request) {
    query_ = std::move(request);
    if (query_.empty() || tatami::dojo::protocol::IsCommentRequest(query_)) return;
    const std::uint64_t k = ++answered_;
    if (o_.stderr_lines > 0) Flush();
    for (int i = 1; i <= o_.stderr_lines; ++i) {
      Stderr("tatami-repl-double: stderr line " + std::to_string(i) + " of " +
             std::to_string(o_.stderr_lines) + " for request " + std::to_string(k) + "\n");
    }
    const Fault fault = PlanFault(k);

    out_.clear();
    parser_.Parse(query_, &request_);
    int new_states = 0;
    if (request_.kind == RequestKind::kInvalidJson) {
      if (o_.fatal_parse_errors) {
        // What the REPL's parser throws (REPL/Main.lean; not recorded).
        AppendErrorObject("Could not parse JSON:\n" + request_.error, &out_);
        Flush();
        Stderr("uncaught exception: " + out_ + "\n");
        std::exit(1);
      }
      // The REPL would exit here; answering is the double's own behaviour.
      AppendErrorObject("tatami-repl-double: not JSON: " + request_.error, &out_);
    } else {
      new_states = responder_->Respond(request_, query_, k, &out_);
    }
    if (request_.kind == RequestKind::kCommand && HasImport(request_.cmd)) {
      if (o_.import_delay_ms > 0) Flush();
      SleepMs(o_.import_delay_ms);
      hoard_.Add(static_cast<std::size_t>(o_.import_memory_mb) << 20);
    }
    for (int i = 0; i < new_states; ++i) {
      hoard_.Add(static_cast<std::size_t>(o_.state_memory_kb) << 10);
    }
    long delay = o_.latency_ms;
    if (o_.latency_jitter_ms > 0) {
      delay += std::uniform_int_distribution<long>(0, o_.latency_jitter_ms)(rng_);
    }
    // What is already answered is out before the double waits or works, as
    // the REPL's answers would be.
    if (delay > 0 || o_.work_us > 0) Flush();
    SleepMs(delay);
    BurnCpu(o_.work_us);
    Emit(fault, k);
  }

  // Answers wait in `pending_` until the requests of one read(2) are all
  // answered: a client that sends several requests at once gets their answers
  // in one write(2), which spares both sides a system call and a wake-up per
  // answer. Anything that stops or stalls the double flushes them first.
  void Flush() {
    WriteAll(1, pending_.data(), pending_.size());
    pending_.clear();
  }

  void Emit(Fault fault, std::uint64_t k) {
    if (fault != Fault::kNone) Flush();
    switch (fault) {
      case Fault::kNone:
        break;
      case Fault::kHang:
        Stderr("tatami-repl-double: hanging on request " + std::to_string(k) + " (--hang-on)\n");
        HangForever();
      case Fault::kExit:
      case Fault::kCrash: {
        WriteAll(1, out_.data(), out_.size() / 2);
        if (fault == Fault::kExit) {
          Stderr("tatami-repl-double: exiting with code " + std::to_string(o_.exit_code) +
                 " in the middle of response " + std::to_string(k) + " (--exit-on)\n");
          std::_Exit(o_.exit_code);
        }
        Stderr("tatami-repl-double: raising SIGSEGV in the middle of response " +
               std::to_string(k) + " (--crash-on)\n");
        // Restore the default action so that a sanitizer's handler does not
        // turn the signal into an ordinary exit.
        ::signal(SIGSEGV, SIG_DFL);
        ::raise(SIGSEGV);
        std::_Exit(139);  // not reached
      }
      case Fault::kGarbage:
        out_ = "tatami-repl-double: garbage instead of the response to request " +
               std::to_string(k) + " (not JSON)";
        break;
      case Fault::kTruncate:
        out_.resize(std::max<std::size_t>(1, out_.size() / 2));
        break;
      case Fault::kHuge: {
        std::string padded = "{\"tatamiReplDoublePadding\": \"";
        padded.append(o_.huge_bytes, 'x');
        padded += "\"";
        std::size_t body = out_.find_first_not_of(" \n", 1);
        padded += (body != std::string::npos && out_[body] == '}') ? "" : ",\n ";
        padded.append(out_, 1);
        out_.swap(padded);
        break;
      }
    }
    pending_.append(out_);
    pending_ += "\n\n";
  }

  const DoubleOptions& o_;
  Responder* responder_;
  std::mt19937_64 rng_;
  // Requests are read as the REPL reads its stdin (framing.h): line by line,
  // trailing whitespace stripped, a blank line ending each.
  tatami::dojo::BlankLineSplitter splitter_{
      tatami::dojo::BlankLineSplitter::Join::kWithoutNewlines};
  std::string line_;  // the line being read, without its '\n'
  RequestParser parser_;
  Request request_;
  std::string query_;
  std::string out_;
  std::string pending_;  // answers not yet written (Flush)
  std::uint64_t answered_ = 0;
  Hoard hoard_;
};

}  // namespace

int Serve(const DoubleOptions& options, Responder* responder) {
  Server server(options, responder);
  return server.Run();
}

}  // namespace tatami::repl_double
