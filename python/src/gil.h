// The GIL around work that may take long: objects whose destruction joins
// threads or reaps processes are deleted without it, and calls that wait for
// Lean without a bound of their own stay interruptible (Ctrl-C).
#pragma once

#include <pybind11/pybind11.h>

#include <chrono>
#include <functional>
#include <memory>
#include <utility>

namespace tatami::python {

// How often a waiting call takes the GIL to run Python's signal handlers.
inline constexpr std::chrono::milliseconds kSignalPollInterval{50};

// True when this thread holds the GIL of a running interpreter (false
// during finalization, when nothing may run any more anyway).
bool HoldsGil();

// A deleter that destroys the object with the GIL released when the calling
// thread holds it, so that a destructor that joins threads or waits for
// child processes (VecEnv, Env, Dojo, WorkerPool) does not stop every other
// Python thread while it waits. The object's destructor must not touch
// Python. As the holder of a bound class (std::unique_ptr<T, DeleteWithoutGil>)
// it covers `del` and garbage collection alike; for shared_ptr-held classes,
// MakeSharedWithoutGil puts it in the control block, so whichever owner
// drops the last reference deletes without the GIL. During interpreter
// finalization it deletes with the GIL held (no other thread runs then).
struct DeleteWithoutGil {
  template <class T>
  void operator()(T* p) const noexcept {
    if (HoldsGil()) {
      pybind11::gil_scoped_release release;
      delete p;
    } else {
      delete p;
    }
  }
};

template <class T, class... Args>
std::shared_ptr<T> MakeSharedWithoutGil(Args&&... args) {
  return std::shared_ptr<T>(new T(std::forward<Args>(args)...), DeleteWithoutGil{});
}

// Runs `work` on a thread of its own while the calling thread, which must
// hold the GIL, waits for it with the GIL released, taking the GIL back every
// kSignalPollInterval to run Python's signal handlers (PyErr_CheckSignals).
// When a handler raises (KeyboardInterrupt on Ctrl-C), `cancel` is called
// once, the call still waits for `work` to return, and then the handler's
// exception is raised (py::error_already_set), whatever `work` did.
// Otherwise an exception thrown by `work` is rethrown. Signals are handled
// only when the caller is Python's main thread, as anywhere in Python.
void RunInterruptibly(const std::function<void()>& work, const std::function<void()>& cancel);

// Waits with the GIL released until `ready_within(kSignalPollInterval)`
// returns true (it waits up to that long for the awaited thing); after each
// false it runs Python's signal handlers with the GIL held and throws
// py::error_already_set when one raises. For waits that can simply be
// abandoned (the work goes on elsewhere and its result is dropped). The
// calling thread must hold the GIL.
void WaitInterruptibly(const std::function<bool(std::chrono::milliseconds)>& ready_within);

}  // namespace tatami::python
