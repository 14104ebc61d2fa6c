#include "tatami/dojo/repl_outcome.h"

#include <fmt/format.h>

namespace tatami::dojo {

namespace {
template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
}  // namespace

std::string Describe(const ReplOutcome& outcome) {
  return std::visit(
      Overloaded{
          [](const ReplResponse& r) {
            return fmt::format("response in {} us", r.elapsed.count());
          },
          [](const ReplTimeout& t) {
            return fmt::format("timeout: no response within {} ms; worker killed",
                               t.deadline.count());
          },
          [](const ReplCrash& c) {
            std::string s = "crash: " + c.reason;
            if (c.memory_limit_suspected) s += " (memory limit suspected)";
            return s;
          },
          [](const ReplProtocolError& p) { return "protocol error: " + p.reason; },
          [](const ReplRejected& r) { return "rejected: " + r.reason; },
      },
      outcome);
}

}  // namespace tatami::dojo
