// Renders JSON the way the Lean REPL prints its responses.
//
// The REPL prints `Lean.Json.pretty` (width 80): object keys in reverse byte
// order (Lean's RBMap fold), groups broken Wadler-style when they do not fit,
// columns counted in code points, strings escaped as Lean escapes them. Tests
// compare this rendering byte for byte with recorded REPL output.
//
// Thread-safety: the functions are thread-safe (no shared state);
// LeanJsonWriter is not.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace tatami::repl_double {

// Builds a response's `Json.pretty` rendering value by value, without a JSON
// tree: what the double answers most (tactic results) is written through one
// kept writer, whose buffers are reused, instead of building, printing and
// freeing a tree per response. Values go in document order; an object's keys
// must be given in the order Lean prints them, descending (std::logic_error
// otherwise, and for unbalanced containers or a missing value).
//
// Thread-safety: not thread-safe; one writer per thread.
class LeanJsonWriter {
 public:
  LeanJsonWriter();
  ~LeanJsonWriter();
  LeanJsonWriter(const LeanJsonWriter&) = delete;
  LeanJsonWriter& operator=(const LeanJsonWriter&) = delete;

  void BeginObject();
  void Key(std::string_view key);
  void EndObject();
  void BeginArray();
  void EndArray();
  void String(std::string_view s);
  void Natural(std::uint64_t n);
  void Json(const nlohmann::json& value);  // a whole value from a tree

  // Appends the rendering of the one top-level value written so far to `out`
  // (no trailing newline) and starts afresh.
  void AppendTo(std::string* out);
  // Drops whatever was written so far.
  void Clear();

 private:
  struct Printer;
  std::unique_ptr<Printer> p_;
};

// Appends `value` rendered as Lean's `Json.pretty` to `out` (no trailing newline).
void AppendLeanPretty(const nlohmann::json& value, std::string* out);

// Returns `value` rendered as Lean's `Json.pretty`.
std::string LeanPretty(const nlohmann::json& value);

// Appends `s` as a quoted JSON string literal escaped the way Lean escapes it.
void AppendLeanString(std::string_view s, std::string* out);

}  // namespace tatami::repl_double
