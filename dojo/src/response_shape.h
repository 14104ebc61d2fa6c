// The one rule that says which response type a REPL answer is, from the keys
// of its root object; shared by the tree-based (protocol.cpp) and text-based
// (protocol_text.cpp) parsers so that they cannot disagree.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>

#include "tatami/dojo/protocol.h"

namespace tatami::dojo::protocol::internal {

// Which of the fields that decide the shape the root object has.
struct ResponseKeys {
  bool message = false;
  bool env = false;
  bool proof_state = false;
  bool goals = false;
};

// The deciding keys of a parsed root object (a non-object has none).
inline ResponseKeys KeysOf(const Json& root) {
  ResponseKeys keys;
  if (!root.is_object()) return keys;
  keys.message = root.contains("message");
  keys.env = root.contains("env");
  keys.proof_state = root.contains("proofState");
  keys.goals = root.contains("goals");
  return keys;
}

enum class ResponseShape { kError, kCommand, kProofStep, kUnknown };

// An object with "message" and neither "env" nor "proofState" is the REPL's
// error object. Otherwise the request answered decides; without it (tools
// that only have the response), "env" without "goals" is a command response,
// "proofState" a proof-step response, "env" alone a command response.
inline ResponseShape ShapeOf(const ResponseKeys& keys, std::optional<RequestKind> answered) {
  if (keys.message && !keys.env && !keys.proof_state) return ResponseShape::kError;
  if (answered) {
    return AnsweredByProofStepResponse(*answered) ? ResponseShape::kProofStep
                                                  : ResponseShape::kCommand;
  }
  if (keys.env && !keys.goals) return ResponseShape::kCommand;
  if (keys.proof_state) return ResponseShape::kProofStep;
  if (keys.env) return ResponseShape::kCommand;
  return ResponseShape::kUnknown;
}

}  // namespace tatami::dojo::protocol::internal
