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

// The REPL's exact answers for an id it does not know.
inline constexpr std::string_view kUnknownEnvironment = "Unknown environment.";
inline constexpr std::string_view kUnknownProofState = "Unknown proof state.";
// The REPL's pickling path capitalises differently (REPL/Main.lean).
inline constexpr std::string_view kUnknownProofStateForPickle = "Unknown proof State.";

std::unique_ptr<Responder> MakeInstantResponder();
// Exits with status 2 and a message naming the file if it cannot be loaded.
std::unique_ptr<Responder> MakeReplayResponder(const std::string& responses_file,
                                               const std::string& expect_file);
std::unique_ptr<Responder> MakeScriptResponder(const std::string& graph_file);

}  // namespace tatami::repl_double
