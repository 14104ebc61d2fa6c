// Ctrl-C (SIGINT) and SIGTERM for long-running commands: while an
// InterruptScope lives, the signals only count requests, which the command
// polls at points where stopping is safe (a finished line written, a batch
// done), so it can leave its output consistent and exit 130. The previous
// handlers are restored when the scope ends, also when an exception unwinds
// it. Work that takes a cancel flag (SearchOptions::cancel) polls stop_flag(),
// which a signal sets and the command may set too (RequestStop) when it must
// stop for its own reasons, without that counting as an interrupt.
//
// Thread-safety: requests(), stop_flag() and RequestStop() may be called from
// any thread; construct and destroy scopes from one thread, one scope at a
// time.
#pragma once

#include <signal.h>

#include <atomic>

namespace tatami::cli {

class InterruptScope {
 public:
  InterruptScope() {
    Count().store(0);
    Stop().store(false);
    struct sigaction sa {};
    sa.sa_handler = [](int) {
      Count().fetch_add(1);
      Stop().store(true);
    };
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &old_int_);
    ::sigaction(SIGTERM, &sa, &old_term_);
  }
  ~InterruptScope() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
  }
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

  // How many times the user asked to stop: 1 = finish what is safe and
  // stop; 2 or more = stop waiting now.
  int requests() const { return Count().load(); }
  bool requested() const { return requests() > 0; }

  // True once a signal arrived or RequestStop() was called.
  const std::atomic<bool>& stop_flag() const { return Stop(); }
  void RequestStop() { Stop().store(true); }

 private:
  // Lock-free, so the handler may touch them.
  static std::atomic<int>& Count() {
    static std::atomic<int> count{0};
    static_assert(std::atomic<int>::is_always_lock_free);
    return count;
  }
  static std::atomic<bool>& Stop() {
    static std::atomic<bool> stop{false};
    static_assert(std::atomic<bool>::is_always_lock_free);
    return stop;
  }
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

}  // namespace tatami::cli
