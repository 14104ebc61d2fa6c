// JSON values (Lean's messages, REPL responses) as plain Python objects:
// dict, list, str, int, float, bool, None.
//
// Thread-safety: call with the GIL held.
#pragma once

#include <pybind11/pybind11.h>
#include <nlohmann/json.hpp>

namespace tatami::python {

pybind11::object ToPython(const nlohmann::json& value);

}  // namespace tatami::python
