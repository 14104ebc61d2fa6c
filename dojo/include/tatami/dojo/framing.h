// Framing of the Lean REPL's stdin/stdout protocol.
//
// A request is one JSON object followed by a blank line. The REPL joins the
// lines of a request without newlines, so a raw newline inside a JSON string
// would be lost: requests are always written as compact JSON, where every
// newline inside a string is escaped. A response is pretty-printed and may span
// many lines; it ends at the first blank line (JSON never contains a raw blank
// line, since newlines inside strings are escaped).
//
// Two splitters, one job each. BlankLineSplitter is the rule for requests and
// recorded files: it reads line by line as the REPL reads its stdin (for
// `tatami repl`, the REPL test double, protocol.h's SplitRequestStream and
// transcript.h's SplitResponseStream). FrameSplitter is only for a live
// response stream (a REPL's stdout), which always ends a response with the
// exact bytes "\n\n": it finds them without splitting lines and hands out
// frames ready for in-place parsing.
//
// Thread-safety: FrameSplitter and BlankLineSplitter are not thread-safe; the
// free functions are.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace tatami::dojo {

// Serialises `request` as compact JSON followed by the blank line that ends a
// request. Throws std::invalid_argument if `request` is not an object or holds
// a string that is not valid UTF-8 (the message says which).
std::string EncodeRequest(const nlohmann::json& request);

// Spare capacity every frame from FrameSplitter::Next() has past its last
// byte, so that a SIMD JSON parser (which reads up to 64 bytes past the end)
// can parse it in place, without a padded copy.
inline constexpr std::size_t kFramePadding = 64;

// Splits a live response stream into frames, each ended by "\n\n".
// Requests and recorded files are split by BlankLineSplitter instead.
class FrameSplitter {
 public:
  // Appends bytes read from the stream.
  void Append(std::string_view bytes);

  // Removes and returns the next complete frame, without its terminating blank
  // line and with leading blank lines skipped; nullopt if none is complete.
  // The frame's capacity() is at least size() + kFramePadding.
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

// Groups lines into blocks separated by blank lines, the way the REPL (v4.33)
// reads its stdin: every line loses its trailing ASCII whitespace (space, tab,
// CR, LF), a line that is then empty ends the current block, and blank lines
// between blocks are skipped.
class BlankLineSplitter {
 public:
  enum class Join {
    kWithoutNewlines,  // how the REPL joins the lines of a request
    kWithNewlines,     // keeps a pretty-printed response's lines apart
  };
  struct Block {
    std::size_t first_line = 0;            // 1-based line number of its first line
    std::string text;                      // its lines, joined as asked
    std::vector<std::size_t> line_starts;  // offset in `text` of each of its lines
  };

  explicit BlankLineSplitter(Join join) : join_(join) {}

  // Takes the next line of the input (without its '\n'). Returns the block
  // it ends, when it is blank and a block was open.
  std::optional<Block> AddLine(std::string_view line);
  // The input ended: returns the open block (one not followed by a blank
  // line), if any. Lines added afterwards start a new block.
  std::optional<Block> Finish();

  // All blocks of a whole text.
  static std::vector<Block> Split(std::string_view text, Join join);

 private:
  Join join_;
  std::size_t line_no_ = 0;
  std::optional<Block> open_;
};

// Returns true if `s` is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view s);

}  // namespace tatami::dojo
