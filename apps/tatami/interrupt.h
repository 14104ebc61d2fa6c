// Ctrl-C (SIGINT) and SIGTERM for long-running commands: while an
// InterruptScope lives, the signals only count requests, which the command
// polls at points where stopping is safe (a finished line written, a batch
// done), so it can leave its output consistent and exit 130. The previous
// handlers are restored when the scope ends.
//
// Thread-safety: requests() may be called from any thread; construct and
// destroy scopes from one thread, one scope at a time.
#pragma once

#include <signal.h>

#include <atomic>

namespace tatami::cli {

class InterruptScope {
 public:
  InterruptScope() {
    Count().store(0);
    struct sigaction sa {};
    sa.sa_handler = [](int) { Count().fetch_add(1); };
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

 private:
  // Lock-free, so the handler may touch it.
  static std::atomic<int>& Count() {
    static std::atomic<int> count{0};
    static_assert(std::atomic<int>::is_always_lock_free);
    return count;
  }
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

}  // namespace tatami::cli
