// Soak test of ReplProcess: many workers on one io_context, a long stream of
// requests, and faults injected by the REPL test double at a known rate.
//
// Asserts that every request completes exactly once with a typed outcome, that
// the mix of outcomes matches the injected faults (crash -> ReplCrash,
// hang -> ReplTimeout, garbage -> ReplProtocolError), and that nothing leaks:
// no child process and no file descriptor outlives the workers.
//
// Size from the environment (defaults keep the default suite quick; the full
// 16 x 10,000 run is bench/run_soak.sh):
//   TATAMI_SOAK_WORKERS      workers sharing the io_context   (default 16)
//   TATAMI_SOAK_REQUESTS     requests per worker              (default 1000)
//   TATAMI_SOAK_FAULT_RATE   probability a request faults     (default 0.05)
//   TATAMI_SOAK_TIMEOUT_MS   per-request deadline             (default 200; 2000
//                            under sanitizers, whose slow child start-up would
//                            otherwise spend a first request's deadline)
#include <utility>  // before Asio: g++ 12 coroutine support needs it

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "tatami/dojo/repl_outcome.h"
#include "tatami/dojo/repl_process.h"

namespace tatami::dojo {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr long kDefaultTimeoutMs = 2000;
#else
constexpr long kDefaultTimeoutMs = 200;
#endif

struct SoakSize {
  int workers = 16;
  int requests_per_worker = 1000;
  double fault_rate = 0.05;
  std::chrono::milliseconds timeout{kDefaultTimeoutMs};
};

long EnvLong(const char* name, long fallback, long min, long max) {
  const char* text = std::getenv(name);
  if (!text || !*text) return fallback;
  char* end = nullptr;
  long v = std::strtol(text, &end, 10);
  if (*end != '\0' || v < min || v > max) {
    ADD_FAILURE() << name << "='" << text << "' is not an integer in [" << min << ", " << max
                  << "]; using " << fallback;
    return fallback;
  }
  return v;
}

SoakSize SizeFromEnvironment() {
  SoakSize s;
  s.workers = static_cast<int>(EnvLong("TATAMI_SOAK_WORKERS", s.workers, 1, 256));
  s.requests_per_worker =
      static_cast<int>(EnvLong("TATAMI_SOAK_REQUESTS", s.requests_per_worker, 1, 10'000'000));
  s.timeout =
      std::chrono::milliseconds(EnvLong("TATAMI_SOAK_TIMEOUT_MS", kDefaultTimeoutMs, 10, 60'000));
  if (const char* text = std::getenv("TATAMI_SOAK_FAULT_RATE"); text && *text) {
    char* end = nullptr;
    double v = std::strtod(text, &end);
    if (*end != '\0' || !(v >= 0.0 && v <= 0.5)) {
      ADD_FAILURE() << "TATAMI_SOAK_FAULT_RATE='" << text << "' is not a number in [0, 0.5]";
    } else {
      s.fault_rate = v;
    }
  }
  return s;
}

// Open descriptors of this process, each with what it points to.
std::set<std::string> OpenFds() {
  std::set<std::string> fds;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(entry.path(), ec);
    // The directory iterator's own descriptor vanishes before it can be read.
    if (ec) continue;
    fds.insert(entry.path().filename().string() + " -> " + target.string());
  }
  return fds;
}

// Pids of live processes whose parent is this process.
std::vector<int> ChildPids() {
  std::vector<int> pids;
  const int self = getpid();
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;  // exited meanwhile
    // Fields after the parenthesised command name: state, ppid, ...
    auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 1));
    std::string state;
    int ppid = 0;
    rest >> state >> ppid;
    if (ppid == self) pids.push_back(std::stoi(name));
  }
  return pids;
}

enum Kind { kResponse, kTimeout, kCrash, kProtocolError, kRejected, kKinds };
const std::array<const char*, kKinds> kKindNames = {"response", "timeout", "crash",
                                                    "protocol_error", "rejected"};

// What the double writes to stderr before an injected hang. A timeout whose
// stderr tail lacks it was a request the child was merely slow to answer.
constexpr const char* kHangMarker = "hanging on request";

// One worker's request stream: request i+1 is sent when request i completes;
// after any failure the worker is restarted first.
struct Worker {
  std::unique_ptr<ReplProcess> process;
  int next = 0;
  std::vector<std::uint8_t> completions;  // per request: how many callbacks ran
  std::array<long, kKinds> counts{};
  long injected_hangs = 0;  // timeouts after the double announced a hang
  long restarts = 0;
  long failed_restarts = 0;
  bool done = false;
  std::string bad_response;  // first ReplResponse that was not a JSON object
};

class Soak {
 public:
  Soak(SoakSize size, std::vector<std::string> command) : size_(size), watchdog_(io_) {
    workers_.resize(static_cast<std::size_t>(size.workers));
    for (auto& w : workers_) {
      ReplProcessOptions options;
      options.command = command;
      options.request_timeout = size.timeout;
      options.startup_timeout = std::chrono::seconds(30);
      w.process = std::make_unique<ReplProcess>(io_, options);
      w.completions.assign(static_cast<std::size_t>(size.requests_per_worker), 0);
    }
  }

  // Runs every worker to completion (or until `limit` passes).
  void Run(std::chrono::seconds limit) {
    watchdog_.expires_after(limit);
    watchdog_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;  // cancelled: all workers finished
      timed_out_ = true;
      for (auto& w : workers_) w.process->Kill();
      io_.stop();
    });
    for (auto& w : workers_) Start(w, /*restart=*/false);
    io_.run();
  }

  bool timed_out() const { return timed_out_; }
  const std::vector<Worker>& workers() const { return workers_; }
  // Destroys the workers (killing and reaping their children) and the loop.
  void Shutdown() { workers_.clear(); }

 private:
  void Start(Worker& w, bool restart) {
    auto on_started = [this, &w](StartResult started) {
      if (!started.ok) {
        // A start that fails is retried; a double that cannot start at all
        // shows up as failed_restarts and an unfinished worker.
        if (++w.failed_restarts > 20) return Finish(w);
        return Start(w, /*restart=*/true);
      }
      Send(w);
    };
    if (restart) {
      ++w.restarts;
      w.process->AsyncRestart(on_started);
    } else {
      w.process->AsyncStart(on_started);
    }
  }

  void Send(Worker& w) {
    if (w.next >= size_.requests_per_worker) return Finish(w);
    const int i = w.next++;
    nlohmann::json request = {{"cmd", "theorem t" + std::to_string(i) + " : True := trivial"}};
    w.process->AsyncRequest(std::move(request), [this, &w, i](ReplOutcome outcome) {
      ++w.completions[static_cast<std::size_t>(i)];
      const auto kind = static_cast<Kind>(outcome.index());
      ++w.counts[kind];
      if (kind == kTimeout &&
          std::get<ReplTimeout>(outcome).stderr_tail.find(kHangMarker) != std::string::npos) {
        ++w.injected_hangs;
      }
      if (kind == kResponse) {
        const auto& json = std::get<ReplResponse>(outcome).json;
        if (!json.is_object() && w.bad_response.empty()) w.bad_response = json.dump();
        return Send(w);
      }
      Start(w, /*restart=*/true);
    });
  }

  void Finish(Worker& w) {
    w.done = true;
    // Kill from a fresh handler rather than from inside the worker's own callback.
    boost::asio::post(io_, [&w] { w.process->Kill(); });
    if (++finished_ == workers_.size()) watchdog_.cancel();
  }

  SoakSize size_;
  boost::asio::io_context io_;
  boost::asio::steady_timer watchdog_;
  std::vector<Worker> workers_;
  std::size_t finished_ = 0;
  bool timed_out_ = false;
};

// Every child gets its own fault seed (the double's pid), so a worker that
// is restarted does not replay the same fault at the same request index.
std::vector<std::string> DoubleCommand(const SoakSize& size) {
  const std::string rate = std::to_string(size.fault_rate);
  return {
      "/bin/sh", "-c",
      "exec \"$0\" --instant --fault-rate " + rate + " --faults crash,hang,garbage --seed \"$$\"",
      testing::ReplDoublePath().string()};
}

TEST(ReplProcessSoak, ManyWorkersWithInjectedFaults) {
  const SoakSize size = SizeFromEnvironment();
  ASSERT_TRUE(std::filesystem::exists(testing::ReplDoublePath()))
      << testing::ReplDoublePath() << " missing";

  // A first short run, so that descriptors the libraries open once per
  // process (and keep) are not mistaken for leaks; a leak per child or per
  // request still shows up below.
  {
    Soak warm_up(SoakSize{1, 3, 0.0, std::chrono::seconds(10)},
                 {testing::ReplDoublePath().string(), "--instant"});
    warm_up.Run(std::chrono::seconds(60));
    ASSERT_FALSE(warm_up.timed_out()) << "the warm-up run did not finish";
    ASSERT_TRUE(warm_up.workers()[0].done);
    ASSERT_EQ(warm_up.workers()[0].counts[kResponse], 3);
    warm_up.Shutdown();
  }
  const std::set<std::string> fds_before = OpenFds();
  const auto t0 = std::chrono::steady_clock::now();
  long total_requests = 0;
  std::array<long, kKinds> counts{};
  long restarts = 0;
  long injected_hangs = 0;
  {
    Soak soak(size, DoubleCommand(size));
    // Generous: a hang costs one timeout, and at most a few run at once per worker.
    const auto limit = std::chrono::seconds(120) +
                       std::chrono::duration_cast<std::chrono::seconds>(
                           size.timeout * size.requests_per_worker * size.fault_rate * 2);
    soak.Run(limit);
    ASSERT_FALSE(soak.timed_out()) << "the soak did not finish within " << limit.count() << " s";

    for (std::size_t k = 0; k < soak.workers().size(); ++k) {
      const Worker& w = soak.workers()[k];
      EXPECT_TRUE(w.done) << "worker " << k << " did not finish";
      EXPECT_EQ(w.failed_restarts, 0) << "worker " << k << ": restarts that failed";
      EXPECT_EQ(w.bad_response, "") << "worker " << k << ": a response that is not an object";
      for (std::size_t i = 0; i < w.completions.size(); ++i) {
        ASSERT_EQ(w.completions[i], 1) << "worker " << k << ", request " << i + 1 << " completed "
                                       << int(w.completions[i]) << " times";
      }
      EXPECT_EQ(w.process->pid(), -1) << "worker " << k << " still has a child";
      EXPECT_EQ(w.process->generation(), static_cast<std::uint64_t>(1 + w.restarts))
          << "worker " << k;
      for (int kind = 0; kind < kKinds; ++kind) counts[kind] += w.counts[kind];
      restarts += w.restarts;
      injected_hangs += w.injected_hangs;
      total_requests += static_cast<long>(w.completions.size());
    }
    soak.Shutdown();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // Leaks: no child left (reaped or not), no descriptor left open.
  EXPECT_EQ(ChildPids(), std::vector<int>{}) << "child processes outlived their workers";
  errno = 0;
  int status = 0;
  EXPECT_EQ(waitpid(-1, &status, WNOHANG), -1) << "an unreaped child remains";
  EXPECT_EQ(errno, ECHILD);
  const std::set<std::string> fds_after = OpenFds();
  std::vector<std::string> leaked;
  std::set_difference(fds_after.begin(), fds_after.end(), fds_before.begin(), fds_before.end(),
                      std::back_inserter(leaked));
  EXPECT_EQ(leaked, std::vector<std::string>{}) << "file descriptors leaked";

  // Every request has exactly one outcome, and the outcomes match the faults:
  // each request faults independently with probability fault_rate, the fault
  // kind drawn uniformly from the three. Bounds are 5 standard deviations.
  // A timeout without the double's hang announcement is a request answered
  // too slowly for the deadline (a loaded machine); a few are tolerated, and
  // each may have displaced one other outcome.
  long sum = 0;
  for (long c : counts) sum += c;
  EXPECT_EQ(sum, total_requests);
  EXPECT_EQ(counts[kRejected], 0);
  const long slow_timeouts = counts[kTimeout] - injected_hangs;
  const double n = static_cast<double>(total_requests);
  EXPECT_LE(static_cast<double>(slow_timeouts), std::max(5.0, 0.02 * n))
      << "timeouts without an injected hang: the machine is too slow for a " << size.timeout.count()
      << " ms deadline (raise TATAMI_SOAK_TIMEOUT_MS)";
  const double p_kind = size.fault_rate / 3.0;
  const double kind_sigma = std::sqrt(n * p_kind * (1 - p_kind));
  const double slack = 5 * kind_sigma + 1 + static_cast<double>(slow_timeouts);
  EXPECT_NEAR(static_cast<double>(injected_hangs), n * p_kind, slack)
      << "timeouts after an injected hang (stderr tail holding \"" << kHangMarker << "\")";
  EXPECT_NEAR(static_cast<double>(counts[kCrash]), n * p_kind, slack) << "crash outcomes";
  EXPECT_NEAR(static_cast<double>(counts[kProtocolError]), n * p_kind, slack)
      << "protocol_error outcomes";
  const double response_sigma = std::sqrt(n * size.fault_rate * (1 - size.fault_rate));
  EXPECT_NEAR(static_cast<double>(counts[kResponse]), n * (1 - size.fault_rate),
              5 * response_sigma + 1 + static_cast<double>(slow_timeouts));
  EXPECT_EQ(restarts, total_requests - counts[kResponse]) << "one restart per failed request";

  // One line of key=value figures; bench/run_soak.sh reports it.
  std::ostringstream summary;
  summary << "soak: workers=" << size.workers << " requests_per_worker=" << size.requests_per_worker
          << " fault_rate=" << size.fault_rate << " timeout_ms=" << size.timeout.count()
          << " wall_s=" << seconds;
  for (int kind = 0; kind < kKinds; ++kind)
    summary << " " << kKindNames[kind] << "=" << counts[kind];
  summary << " injected_hangs=" << injected_hangs << " slow_timeouts=" << slow_timeouts
          << " restarts=" << restarts << " leaked_fds=" << leaked.size()
          << " leaked_children=" << ChildPids().size();
  std::cout << summary.str() << "\n";
  RecordProperty("wall_seconds", std::to_string(seconds));
  RecordProperty("restarts", std::to_string(restarts));
}

}  // namespace
}  // namespace tatami::dojo
