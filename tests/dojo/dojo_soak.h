// The Dojo soak: many run_tac calls over concurrent theorems against the
// scripted REPL double with random crashes, hangs, garbage and memory-cap
// kills. Shared by the short soak in the test suite and bench/dojo_soak.cpp.
//
// Each theorem T<i> is a chain of states (depth `depth`); in every state
// `step` advances, `bad` is a Lean error (messages shape), `oops` an
// exception-shaped error, `nope` an unknown tactic, `sorry` a give-up, and
// in the last state `finish` closes the goal (a checked proof). Each thread
// owns some theorems and does a random walk over a bounded set of its states,
// sometimes re-entering the theorem (dropping the old states).
#pragma once

#include <dirent.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tatami/dojo/dojo.h"

namespace tatami::dojo::soak {

struct SoakOptions {
  std::string double_path;                 // the tatami-repl-double executable
  std::filesystem::path work_dir;          // for the script graph (created, not removed)
  std::uint64_t calls = 2000;              // total RunTac calls
  std::size_t theorems = 8;                // concurrent theorems (= threads = workers)
  int depth = 6;                           // states per theorem chain
  double fault_rate = 0.01;                // per request: crash, hang or garbage
  std::uint64_t memory_limit_mb = 64;      // RLIMIT_AS of each worker
  int state_memory_kb = 256;               // the double's memory per new proof state
  std::chrono::milliseconds timeout{300};  // per tactic and per check
  std::uint64_t seed = 1;
  std::size_t states_kept = 8;  // states each thread keeps per theorem
};

struct SoakReport {
  std::uint64_t calls = 0;
  std::map<std::string, std::uint64_t> outcomes;  // "state", "finished", "lean_error", ...
  std::uint64_t exceptions = 0;                   // must be 0
  std::uint64_t states_probed = 0;                // retained states probed at the end
  std::uint64_t states_unusable = 0;              // of those, not usable (must be 0)
  DojoStats dojo;
  PoolStats pool;
  double seconds = 0;
  long children_after = 0;  // our children still alive (or zombie) after the pool is gone
  long fds_before = 0, fds_after = 0;
  double rss_mb_warm = 0, rss_mb_end = 0;  // our own resident set at 10% and 100% of the calls
};

inline long CountOpenFds() {
  long n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (const dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') ++n;
    ::closedir(d);
    --n;  // the directory stream itself
  }
  return n;
}

inline long CountChildren() {
  long n = 0;
  const pid_t self = ::getpid();
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state = 0;
    long ppid = 0;
    rest >> state >> ppid;
    if (ppid == self) ++n;
  }
  return n;
}

inline double ResidentMb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) /
         (1024.0 * 1024.0);
}

inline std::string Goal(std::size_t thm, int level) {
  return "x : Nat\nh" + std::to_string(thm) + " : P" + std::to_string(thm) + " x\n⊢ Q" +
         std::to_string(thm) + "_" + std::to_string(level) + " x";
}

inline std::filesystem::path WriteGraph(const SoakOptions& o) {
  using nlohmann::json;
  json theorems = json::array(), states = json::array();
  for (std::size_t t = 0; t < o.theorems; ++t) {
    theorems.push_back(
        {{"statement", "theorem T" + std::to_string(t) + " (x : Nat) (h : P x) : Q x"},
         {"goal", Goal(t, 0)}});
    for (int d = 0; d < o.depth; ++d) {
      json tactics = {{"bad", {{"error", "simp made no progress"}, {"shape", "messages"}}},
                      {"oops", {{"error", "<input>:1:1: unknown tactic"}, {"shape", "exception"}}}};
      if (d + 1 < o.depth)
        tactics["step"] = {{"goals", {Goal(t, d + 1)}}};
      else
        tactics["finish"] = {{"goals", json::array()}, {"axioms", {"propext"}}};
      states.push_back({{"goals", {Goal(t, d)}}, {"tactics", tactics}});
    }
  }
  std::filesystem::create_directories(o.work_dir);
  const auto path = o.work_dir / "soak_graph.json";
  std::ofstream(path) << json{{"theorems", theorems}, {"states", states}}.dump();
  return path;
}

inline std::string Kind(const RunResult& r) {
  if (std::holds_alternative<TacticState>(r)) return "state";
  if (std::holds_alternative<ProofFinished>(r)) return "finished";
  if (const auto* e = std::get_if<LeanError>(&r))
    return "lean_error:" + std::string(ToString(e->kind));
  if (std::holds_alternative<Timeout>(r)) return "timeout";
  return "given_up";
}

inline SoakReport RunSoak(const SoakOptions& o) {
  SoakReport report;
  const auto graph = WriteGraph(o);
  report.fds_before = CountOpenFds();
  const auto start = std::chrono::steady_clock::now();
  {
    WorkerPoolOptions po;
    // A different seed per process ($$), so a restarted worker does not repeat its faults.
    po.repl_command = {"/bin/sh", "-c",
                       "exec '" + o.double_path + "' --script '" + graph.string() +
                           "' --fault-rate " + std::to_string(o.fault_rate) +
                           " --faults crash,hang,garbage --state-memory-kb " +
                           std::to_string(o.state_memory_kb) + " --seed $(( $$ + " +
                           std::to_string(o.seed) + " ))"};
    po.workers = o.theorems;
    po.memory_limit_bytes = o.memory_limit_mb << 20;
    po.request_timeout = o.timeout;
    po.startup_timeout = std::chrono::seconds(30);
    auto pool = std::make_shared<WorkerPool>(po);
    DojoOptions dopt;
    dopt.tactic_timeout = o.timeout;
    dopt.check_timeout = o.timeout;
    Dojo dojo(pool, dopt);

    std::atomic<std::uint64_t> next_call{0};
    std::mutex mu;
    std::vector<std::vector<TacticState>> kept(o.theorems);
    const std::uint64_t warm_mark = o.calls / 10;
    std::atomic<bool> warm_sampled{false};
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < o.theorems; ++t) {
      threads.emplace_back([&, t] {
        std::mt19937_64 rng(o.seed * 1000003 + t);
        const std::string name = "T" + std::to_string(t);
        const std::string statement = "theorem " + name + " (x : Nat) (h : P x) : Q x";
        std::vector<TacticState>& states = kept[t];
        std::map<std::string, std::uint64_t> local;
        std::uint64_t exceptions = 0;
        auto enter = [&] {
          // Drop the old states first: they hold the theorem's worker lease.
          states.clear();
          for (int attempt = 0; attempt < 20; ++attempt) {
            try {
              states.push_back(dojo.Enter("", statement));
              return;
            } catch (const DojoError&) {
              ++local["enter_failed"];  // e.g. the worker crashed entering, repeatedly
            }
          }
        };
        enter();
        while (true) {
          const std::uint64_t k = next_call.fetch_add(1);
          if (k >= o.calls) break;
          if (k == warm_mark && !warm_sampled.exchange(true)) {
            std::lock_guard lock(mu);
            report.rss_mb_warm = ResidentMb();
          }
          if (states.empty() || rng() % 200 == 0) enter();
          if (states.empty()) continue;
          const TacticState s = states[rng() % states.size()];
          const int level = static_cast<int>(s.path().size());
          static const char* kTactics[] = {"step", "step", "step", "bad", "oops", "nope", "sorry"};
          std::string tactic = kTactics[rng() % 7];
          if (level + 1 == o.depth && rng() % 2) tactic = "finish";
          try {
            const RunResult r = dojo.RunTac(s, tactic);
            ++local[Kind(r)];
            if (const auto* next = std::get_if<TacticState>(&r)) {
              if (states.size() >= o.states_kept)
                states.erase(states.begin() + 1 + rng() % (states.size() - 1));
              states.push_back(*next);
            }
          } catch (const std::exception&) {
            ++exceptions;
          }
        }
        std::lock_guard lock(mu);
        for (const auto& [key, n] : local) report.outcomes[key] += n;
        report.exceptions += exceptions;
      });
    }
    for (auto& th : threads) th.join();
    report.calls = o.calls;
    report.rss_mb_end = ResidentMb();

    // Every state kept must still be usable, whatever happened to its worker:
    // a tactic on it answers with Lean's answer (retrying a random hang).
    for (auto& states : kept)
      for (const TacticState& s : states) {
        ++report.states_probed;
        bool usable = false;
        for (int attempt = 0; attempt < 5 && !usable; ++attempt) {
          const RunResult r = dojo.RunTac(s, "bad");
          const auto* e = std::get_if<LeanError>(&r);
          usable = e && e->kind == LeanError::kTactic;
        }
        if (!usable) ++report.states_unusable;
      }
    kept.clear();
    report.dojo = dojo.stats();
    report.pool = pool->stats();
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.children_after = CountChildren();
  report.fds_after = CountOpenFds();
  return report;
}

}  // namespace tatami::dojo::soak
