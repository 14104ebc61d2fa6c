// The GIL around work that may take long: calls that wait for Lean without
// a bound of their own stay interruptible (Ctrl-C).
#pragma once

#include <pybind11/pybind11.h>

#include <chrono>
#include <functional>

namespace tatami::python {

// How often a waiting call takes the GIL to run Python's signal handlers.
inline constexpr std::chrono::milliseconds kSignalPollInterval{50};

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
