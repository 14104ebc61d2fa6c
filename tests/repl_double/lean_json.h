// Renders JSON the way the Lean REPL prints its responses.
//
// The REPL prints `Lean.Json.pretty` (width 80): object keys in reverse byte
// order (Lean's RBMap fold), groups broken Wadler-style when they do not fit,
// columns counted in code points, strings escaped as Lean escapes them. Tests
// compare this rendering byte for byte with recorded REPL output.
//
// Thread-safety: the functions are thread-safe (no shared state).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace tatami::repl_double {

// Appends `value` rendered as Lean's `Json.pretty` to `out` (no trailing newline).
void AppendLeanPretty(const nlohmann::json& value, std::string* out);

// Returns `value` rendered as Lean's `Json.pretty`.
std::string LeanPretty(const nlohmann::json& value);

// Appends `s` as a quoted JSON string literal escaped the way Lean escapes it.
void AppendLeanString(std::string_view s, std::string* out);

}  // namespace tatami::repl_double
