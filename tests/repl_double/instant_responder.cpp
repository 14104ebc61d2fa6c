// --instant: the smallest well-formed answer to every request, formatted
// directly into the output buffer, for latency benchmarks of the client side.
#include <cstdio>

#include "lean_json.h"
#include "responder.h"

namespace tatami::repl_double {

namespace {

class InstantResponder : public Responder {
 public:
  int Respond(const Request& r, std::string_view, std::uint64_t, std::string* out) override {
    char buf[128];
    int n = 0;
    int new_states = 0;
    switch (r.kind) {
      case RequestKind::kCommand:
      case RequestKind::kFile:
      case RequestKind::kUnpickleEnv:
        n = std::snprintf(buf, sizeof buf, "{\"env\": %llu}",
                          static_cast<unsigned long long>(next_env_++));
        break;
      case RequestKind::kPickleEnv:
        n = std::snprintf(buf, sizeof buf, "{\"env\": %llu}",
                          static_cast<unsigned long long>(r.env));
        break;
      case RequestKind::kProofStep:
      case RequestKind::kPickleProofState:
      case RequestKind::kUnpickleProofState:
        new_states = 1;
        n = std::snprintf(buf, sizeof buf,
                          "{\"proofStatus\": \"Completed\", \"proofState\": %llu, \"goals\": []}",
                          static_cast<unsigned long long>(next_state_++));
        break;
      default:
        AppendErrorObject("tatami-repl-double: not a REPL command: " + r.error, out);
        return 0;
    }
    out->append(buf, static_cast<std::size_t>(n));
    return new_states;
  }

 private:
  std::uint64_t next_env_ = 0;
  std::uint64_t next_state_ = 0;
};

}  // namespace

void AppendErrorObject(std::string_view message, std::string* out) {
  // {"message": "..."} fits on one line up to 80 columns; longer ones break
  // after the colon. Let the general printer decide.
  nlohmann::json j = nlohmann::json::object();
  j["message"] = std::string(message);
  AppendLeanPretty(j, out);
}

std::unique_ptr<Responder> MakeInstantResponder() { return std::make_unique<InstantResponder>(); }

}  // namespace tatami::repl_double
