#include "durations.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace tatami::python {

std::chrono::milliseconds Milliseconds(double seconds, std::string_view what) {
  if (!std::isfinite(seconds) || seconds < 0)
    throw std::invalid_argument(std::string(what) +
                                " must be a finite number of seconds >= 0, got " +
                                std::to_string(seconds));
  // Longer means no limit; a deadline this far ahead still fits a clock's
  // nanoseconds (which end 292 years after the epoch).
  constexpr double kLongest = 100.0 * 365 * 24 * 3600;
  if (seconds >= kLongest)
    return std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::duration<double>(kLongest));
  return std::chrono::milliseconds(std::llround(seconds * 1000.0));
}

double Seconds(std::chrono::milliseconds duration) {
  return std::chrono::duration<double>(duration).count();
}

}  // namespace tatami::python
