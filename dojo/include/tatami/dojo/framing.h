// Framing of the Lean REPL's stdin/stdout protocol.
//
// A request is one JSON object followed by a blank line. The REPL joins the
// lines of a request without newlines, so a raw newline inside a JSON string
// would be lost: requests are always written as compact JSON, where every
// newline inside a string is escaped. A response is pretty-printed and may span
// many lines; it ends at the first blank line (JSON never contains a raw blank
// line, since newlines inside strings are escaped).
//
// Thread-safety: FrameSplitter is not thread-safe; the free functions are.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace tatami::dojo {

// Serialises `request` as compact JSON followed by the blank line that ends a
// request. Throws std::invalid_argument if `request` is not an object or holds
// a string that is not valid UTF-8 (the message says which).
std::string EncodeRequest(const nlohmann::json& request);

// Splits a byte stream into blank-line-terminated frames.
class FrameSplitter {
 public:
  // Appends bytes read from the stream.
  void Append(std::string_view bytes);

  // Removes and returns the next complete frame, without its terminating blank
  // line and with leading blank lines skipped; nullopt if none is complete.
  std::optional<std::string> Next();

  // Bytes received but not yet part of a complete frame.
  std::string_view pending() const;
  std::size_t pending_size() const { return buffer_.size() - start_; }

  // Forgets everything buffered (used after a worker restart).
  void Clear();

 private:
  std::string buffer_;
  std::size_t start_ = 0;  // first unconsumed byte
  std::size_t scan_ = 0;   // where the search for "\n\n" resumes
};

// Returns true if `s` is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view s);

}  // namespace tatami::dojo
