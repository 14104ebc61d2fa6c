#include "tatami/dojo/repl_outcome.h"

#include <mutex>
#include <ostream>
#include <string_view>

#include <fmt/format.h>

namespace tatami::dojo {

struct ResponseJson::State {
  explicit State(nlohmann::json v) : parsed(std::move(v)), has_text(false) {}
  explicit State(std::string t) : text(std::move(t)), has_text(true) {}
  std::string text;
  mutable std::once_flag once;
  mutable nlohmann::json parsed;
  const bool has_text;
};

ResponseJson::ResponseJson(nlohmann::json value)
    : state_(std::make_shared<const State>(std::move(value))) {}

ResponseJson ResponseJson::FromText(std::string text) {
  ResponseJson j;
  j.state_ = std::make_shared<const State>(std::move(text));
  return j;
}

const nlohmann::json& ResponseJson::value() const {
  static const nlohmann::json kNull;
  if (!state_) return kNull;
  if (state_->has_text)
    std::call_once(state_->once,
                   [s = state_.get()] { s->parsed = nlohmann::json::parse(s->text); });
  return state_->parsed;
}

const std::string* ResponseJson::text() const {
  return state_ && state_->has_text ? &state_->text : nullptr;
}

std::ostream& operator<<(std::ostream& out, const ResponseJson& j) { return out << j.value(); }

namespace {
template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
}  // namespace

bool KilledWorker(const ReplOutcome& outcome) {
  return std::holds_alternative<ReplTimeout>(outcome) ||
         std::holds_alternative<ReplCrash>(outcome) ||
         std::holds_alternative<ReplProtocolError>(outcome);
}

bool RetryOnFreshWorker(const ReplOutcome& outcome) {
  return (KilledWorker(outcome) && !std::holds_alternative<ReplTimeout>(outcome)) ||
         std::holds_alternative<ReplRejected>(outcome);
}

bool NeverRan(const ReplOutcome& outcome) {
  const auto* crash = std::get_if<ReplCrash>(&outcome);
  if (!crash) return false;
  const std::string_view reason(crash->reason);
  return reason.starts_with("not sent: ") || reason.starts_with("not run: ");
}

std::string Describe(const ReplOutcome& outcome) {
  return std::visit(
      Overloaded{
          [](const ReplResponse& r) { return fmt::format("response in {} us", r.elapsed.count()); },
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
