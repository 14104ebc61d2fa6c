// Classifies one REPL request the way the REPL's parser does, without
// building a JSON tree: a SAX pass records the top-level fields the protocol
// knows, so answering a request costs no per-request allocations once the
// field buffers have grown. Flat objects of plain strings and naturals (what
// a search sends) are read by a small scanner instead, which hands anything
// else to the SAX pass.
//
// Thread-safety: RequestParser is not thread-safe (it reuses its buffers).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tatami::repl_double {

// The REPL tries these shapes in this order and takes the first that fits.
enum class RequestKind {
  kProofStep,           // {"tactic", "proofState"}
  kPickleEnv,           // {"pickleTo", "env"}
  kUnpickleEnv,         // {"unpickleEnvFrom"}
  kPickleProofState,    // {"pickleTo", "proofState"}
  kUnpickleProofState,  // {"unpickleProofStateFrom", "env"?}
  kCommand,             // {"cmd", "env"?}
  kFile,                // {"path", "env"?}
  kNotACommand,         // valid JSON, but none of the above
  kInvalidJson,         // not JSON at all
};

struct Request {
  RequestKind kind = RequestKind::kInvalidJson;
  std::string error;  // kInvalidJson / kNotACommand: what was wrong
  // Fields, valid when the corresponding has_ flag is set. A field only counts
  // when it has the type the REPL requires (string, or natural number); so
  // "env": null counts as absent, as for Lean's Option.
  bool has_cmd = false, has_tactic = false, has_path = false, has_pickle_to = false;
  bool has_unpickle_env = false, has_unpickle_proof = false;
  bool has_env = false, has_proof_state = false;
  std::string cmd, tactic, path, pickle_to, unpickle_from;
  std::uint64_t env = 0, proof_state = 0;
};

class RequestParser {
 public:
  // Parses `text` (one request, lines already joined) into `*out`.
  void Parse(std::string_view text, Request* out);
};

// True if `cmd` contains at least one `import` line (import-time faults, delay
// and memory, apply to it).
bool HasImport(std::string_view cmd);

}  // namespace tatami::repl_double
