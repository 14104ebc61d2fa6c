// WorkerPool::Core: which thread runs the pool's I/O.
//
// The pool's handlers run on one thread at a time: whoever holds the "drive
// token" runs io_.run_one(). Normally that is the I/O thread. A caller that
// waits for the pool while no other caller does (one search, one RL
// environment) takes the token and runs the handlers itself: its request goes
// out and its answer comes back on its own thread, with no wake-up of the I/O
// thread and no hand-over of the answer. Between waits it keeps the token
// without running anything ("idle"), so that its next wait needs no hand-over
// either. Measured on the search benchmark, the hand-overs were most of
// tatami's own time per expansion.
//
// Liveness: the I/O thread takes an idle token back when a second caller
// waits (that one then waits as before, while the I/O thread runs the
// handlers), at shutdown, and when its holder has not run the handlers for a
// full kIdleTokenPeriod, so that timers and requests of threads that do not
// wait here (SubmitAsync callbacks) are never held up for longer than that.
// While callers wait side by side (one had to follow another within
// kSharedPeriod), it keeps the token, as if there were none, so that the
// token does not shuttle between threads.
#include "worker_pool_core.h"

#include <thread>

namespace tatami::dojo {

namespace {

// How long an idle holder may keep the token before the I/O thread takes it
// back: it bounds the delay the I/O thread's own work can see, and it sets
// how often the I/O thread looks while a caller holds the token.
constexpr std::chrono::milliseconds kIdleTokenPeriod{2};

// How long after a caller last had to wait for another thread's driving the
// callers leave the token with the I/O thread.
constexpr std::chrono::milliseconds kSharedPeriod{20};

// How long a driving caller polls for a handler before it sleeps, when its
// last wait ended within that time. A worker that answers in microseconds
// (the REPL double, a cached state) then finds this CPU awake: on virtual
// machines, waking a sleeping CPU costs tens of microseconds, as much as the
// answer itself. A worker that takes longer (a Lean tactic: milliseconds)
// turns polling off after one wait, so it costs at most this once.
constexpr std::chrono::microseconds kPollBudget{100};
constexpr std::chrono::microseconds kNoWait{5};

// The pool whose handler this thread runs outside io_.run_one() (RunHereOrPost).
thread_local const void* running_here = nullptr;

}  // namespace

bool WorkerPool::Core::OnPoolThread() const {
  return running_here == this || io_.get_executor().running_in_this_thread();
}

bool WorkerPool::Core::TakeOwnIdleToken() {
  std::lock_guard<std::mutex> lock(drive_mu_);
  // Not ahead of work other callers posted before: it runs first, in order.
  if (driver_ != Driver::kIdleCaller || holder_ != std::this_thread::get_id() || followers_ > 0 ||
      quit_ || caller_posts_.load() > 0)
    return false;
  // No ++drive_epoch_: an inline run is not a wait that runs io_, so it
  // must not keep the I/O thread from taking the token back.
  driver_ = Driver::kCaller;
  running_here = this;
  return true;
}

void WorkerPool::Core::ReturnOwnToken() {
  running_here = nullptr;
  std::lock_guard<std::mutex> lock(drive_mu_);
  StopDriving();
}

void WorkerPool::Core::StopDriving() {
  driver_ = Driver::kIdleCaller;
  if (followers_ > 0 || quit_ || io_.stopped()) {
    driver_ = Driver::kFree;
    io_cv_.notify_one();
  }
}

void WorkerPool::Core::IoLoop() {
  std::unique_lock<std::mutex> lock(drive_mu_);
  for (;;) {
    // Take the token when it is free and no caller asked for it, or when an
    // idle holder must give it back: a second caller waits, the pool shuts
    // down, or the holder has not taken it again for a whole period.
    for (;;) {
      if (driver_ == Driver::kFree && !want_) break;
      if (driver_ == Driver::kIdleCaller && (followers_ > 0 || quit_)) break;
      const bool was_idle = driver_ == Driver::kIdleCaller;
      const std::uint64_t epoch = drive_epoch_;
      const auto until = std::chrono::steady_clock::now() + kIdleTokenPeriod;
      if (io_cv_.wait_until(lock, until) == std::cv_status::timeout && was_idle &&
          driver_ == Driver::kIdleCaller && drive_epoch_ == epoch)
        break;
    }
    driver_ = Driver::kIoThread;
    lock.unlock();
    const std::size_t ran = io_.run_one();
    lock.lock();
    driver_ = Driver::kFree;
    if (ran == 0) {  // io_ stopped: the pool is shut down
      io_exited_ = true;
      yield_cv_.notify_all();
      return;
    }
    if (want_) yield_cv_.notify_all();
  }
}

bool WorkerPool::Core::TakeToken(std::unique_lock<std::mutex>& lock) {
  for (;;) {
    switch (driver_) {
      case Driver::kFree:
      case Driver::kIdleCaller:
        if (followers_ > 0 || quit_ || io_exited_ || io_.stopped() ||
            std::chrono::steady_clock::now() - last_follow_ < kSharedPeriod) {
          // The I/O thread runs the handlers while callers wait side by
          // side (as without the token); it may be asleep, having yielded
          // to a caller that now follows.
          driver_ = Driver::kFree;
          io_cv_.notify_one();
          return false;
        }
        driver_ = Driver::kCaller;
        holder_ = std::this_thread::get_id();
        ++drive_epoch_;
        return true;
      case Driver::kIoThread:
        if (followers_ > 0 || quit_ || want_ ||
            std::chrono::steady_clock::now() - last_follow_ < kSharedPeriod)
          return false;
        // Ask the I/O thread to stop after its current handler; the empty
        // handler makes sure it has one.
        want_ = true;
        boost::asio::post(io_, [] {});
        yield_cv_.wait(lock, [&] { return driver_ != Driver::kIoThread || io_exited_; });
        want_ = false;
        continue;
      case Driver::kCaller:
        return false;
    }
  }
}

void WorkerPool::Core::Await(const std::function<bool()>& ready,
                             const std::function<void()>& wait) {
  std::unique_lock<std::mutex> lock(drive_mu_);
  while (!ready()) {
    // Only a wait beside another caller's counts for the hysteresis (a
    // follow it causes itself would renew it for ever).
    const bool beside_another = followers_ > 0 || want_ || driver_ == Driver::kCaller;
    if (!TakeToken(lock)) {
      ++followers_;
      if (beside_another) last_follow_ = std::chrono::steady_clock::now();
      lock.unlock();
      struct Leave {
        Core* core;
        ~Leave() {
          std::lock_guard<std::mutex> relock(core->drive_mu_);
          --core->followers_;
        }
      } leave{this};
      wait();
      return;
    }
    // Taking the token may have waited for the I/O thread, which may have
    // run what we wait for. The token goes back also when ready() throws.
    try {
      if (!ready()) {
        lock.unlock();
        RunHandlers();
        lock.lock();
      }
    } catch (...) {
      StopDriving();
      throw;
    }
    StopDriving();
  }
}

void WorkerPool::Core::RunHandlers() {
  try {
    const auto start = std::chrono::steady_clock::now();
    if (poll_first_) {
      do {
        if (io_.poll_one() > 0) return;  // poll_first_ stays: it ended in time
        // The worker may be waiting for this very CPU.
        std::this_thread::yield();
      } while (std::chrono::steady_clock::now() - start < kPollBudget && !io_.stopped());
    }
    // Bounded, so that a ready() made true by something other than this
    // pool's handlers is seen.
    const bool ran = io_.run_one_for(kIdleTokenPeriod) > 0;
    const auto waited = std::chrono::steady_clock::now() - start;
    // A handler that was ready at once says nothing of the worker's pace.
    if (!ran || waited >= kNoWait) poll_first_ = ran && waited < kPollBudget;
  } catch (...) {
    // A callback threw. On the I/O thread that ends the process; so it does
    // here, rather than surfacing in whichever caller happened to drive.
    std::terminate();
  }
}

void WorkerPool::Core::LeaveToken() {
  std::lock_guard<std::mutex> lock(drive_mu_);
  quit_ = true;
  if (driver_ == Driver::kIdleCaller) driver_ = Driver::kFree;
  io_cv_.notify_one();
}

}  // namespace tatami::dojo
