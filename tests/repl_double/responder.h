// The part of the double that decides what a request is answered with; one
// implementation per mode (instant, replay, script). Faults and delays are
// applied around it by the serving loop.
//
// Thread-safety: responders are not thread-safe; the double is single-threaded.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "lean_texts.h"
#include "options.h"
#include "request.h"

namespace tatami::repl_double {

class Responder {
 public:
  virtual ~Responder() = default;

  // Writes the response to `request` (whose joined text is `query`; `index` is
  // its 1-based number among answered requests) into `*out`, which the caller
  // has cleared, without the blank line that ends it. Returns how many new
  // proof states the REPL would have recorded for it.
  virtual int Respond(const Request& request, std::string_view query, std::uint64_t index,
                      std::string* out) = 0;
};

// Error object {"message": text}, as the REPL prints it.
void AppendErrorObject(std::string_view message, std::string* out);

// The REPL's answer when asked to pickle a proof state it does not know, as
// its source spells it (REPL/Main.lean). No recording has it; clients accept it
// (dojo/src/outcome.cpp), so the double keeps the REPL's spelling.
inline constexpr std::string_view kUnknownProofStateForPickle = "Unknown proof State.";

std::unique_ptr<Responder> MakeInstantResponder();
// Exits with status 2 and a message naming the file if it cannot be loaded.
std::unique_ptr<Responder> MakeReplayResponder(const std::string& responses_file,
                                               const std::string& expect_file);
// Exits with status 2 and a message naming the file if the manifest or a
// recording it names cannot be loaded.
std::unique_ptr<Responder> MakeCodeReplayResponder(const std::string& manifest_file);
std::unique_ptr<Responder> MakeScriptResponder(const std::string& graph_file, LeanVersion version);

}  // namespace tatami::repl_double
