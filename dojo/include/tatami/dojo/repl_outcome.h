// What one request to a REPL worker ends in: exactly one of these.
//
// These are value types; an expected failure (a timeout, a crash, bad output)
// is an outcome, not an exception.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

namespace tatami::dojo {

// The REPL answered with one JSON object (which may itself be the REPL's error
// object, {"message": ...}; interpreting it is the job of outcome.h).
struct ReplResponse {
  nlohmann::json json;
  std::chrono::microseconds elapsed{0};  // request written -> response parsed
  // The response exactly as the REPL printed it, without the blank line that
  // ends it. `json` sorts object keys; tools that pass responses through
  // unchanged (`tatami repl`) use this to keep the REPL's key order and layout.
  std::string text;
};

// The per-request deadline passed. The child was killed (its whole process
// group) and reaped; its Lean state is gone.
struct ReplTimeout {
  std::chrono::milliseconds deadline{0};
  std::string stderr_tail;  // last bytes the child wrote to stderr
};

// The child exited or was killed by a signal while the request was pending,
// or could not be started at all.
struct ReplCrash {
  std::optional<int> exit_code;  // set when the child exited normally
  std::optional<int> signal;     // set when a signal killed it
  bool memory_limit_suspected = false;  // died under a memory cap (SIGKILL/SIGSEGV/abort, or
                                        // "out of memory" in stderr)
  std::string stderr_tail;              // bounded tail of the child's stderr
  std::string reason;                   // human-readable summary ("exited with code 1", ...)
};

// The child wrote something that is not the JSON the protocol promises. The
// worker is killed, because its output stream can no longer be trusted.
struct ReplProtocolError {
  std::string reason;  // what was wrong ("not JSON: ...", "response exceeds 256 MiB", ...)
  std::string bytes;   // the offending output (bounded)
};

// The request was refused before reaching the child (not valid UTF-8, not an
// object, worker shut down...). The worker is unaffected.
struct ReplRejected {
  std::string reason;
};

using ReplOutcome = std::variant<ReplResponse, ReplTimeout, ReplCrash, ReplProtocolError, ReplRejected>;

// One line describing `outcome`, for logs and CLI errors.
std::string Describe(const ReplOutcome& outcome);

}  // namespace tatami::dojo
