#include "gil.h"

#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

namespace py = pybind11;

namespace tatami::python {

bool HoldsGil() { return Py_IsInitialized() && PyGILState_Check(); }

namespace {

// Runs the signal handlers; the exception one raised, if any. Needs the GIL.
std::optional<py::error_already_set> CheckSignals() {
  if (PyErr_CheckSignals() == 0) return std::nullopt;
  return py::error_already_set();
}

}  // namespace

void RunInterruptibly(const std::function<void()>& work, const std::function<void()>& cancel) {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::exception_ptr error;
  std::optional<py::error_already_set> interrupt;
  {
    py::gil_scoped_release release;
    std::thread worker([&] {
      try {
        work();
      } catch (...) {
        error = std::current_exception();
      }
      std::lock_guard lock(mu);
      done = true;
      cv.notify_all();
    });
    std::unique_lock lock(mu);
    while (!cv.wait_for(lock, kSignalPollInterval, [&] { return done; })) {
      if (interrupt) continue;  // cancelled: only waiting for `work` now
      lock.unlock();
      {
        py::gil_scoped_acquire acquire;
        interrupt = CheckSignals();
      }
      if (interrupt) cancel();
      lock.lock();
    }
    lock.unlock();
    worker.join();
  }
  if (interrupt) throw std::move(*interrupt);
  if (error) std::rethrow_exception(error);
}

void WaitInterruptibly(const std::function<bool(std::chrono::milliseconds)>& ready_within) {
  for (;;) {
    {
      py::gil_scoped_release release;
      if (ready_within(kSignalPollInterval)) return;
    }
    if (std::optional<py::error_already_set> interrupt = CheckSignals())
      throw std::move(*interrupt);
  }
}

}  // namespace tatami::python
