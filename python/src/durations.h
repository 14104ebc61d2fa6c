// Durations cross the Python boundary as float seconds (what time.monotonic()
// and gymnasium users expect); the C++ API takes milliseconds.
//
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <string_view>

namespace tatami::python {

// `seconds` as milliseconds, rounded to the nearest; at most 100 years (any
// longer time is no limit in practice, and would overflow a deadline). Throws
// std::invalid_argument naming `what` when it is negative or not finite.
std::chrono::milliseconds Milliseconds(double seconds, std::string_view what);

double Seconds(std::chrono::milliseconds duration);

}  // namespace tatami::python
