#include "tatami/dojo/repl_outcome.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <ostream>
#include <string_view>

#include <fmt/format.h>

namespace tatami::dojo {

struct ResponseJson::State {
  explicit State(nlohmann::json v) : parsed(std::move(v)), has_text(false) {}
  explicit State(std::string t) : text(std::move(t)), has_text(true) {}
  std::string text;
  // Parsed on first use. Not std::call_once: glibc's wakes waiters with a
  // futex call every time it completes, on every response.
  mutable std::atomic<bool> ready{false};
  mutable std::mutex mu;
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
  if (state_->has_text && !state_->ready.load(std::memory_order_acquire)) {
    std::lock_guard lock(state_->mu);
    if (!state_->ready.load(std::memory_order_relaxed)) {
      state_->parsed = nlohmann::json::parse(state_->text);
      state_->ready.store(true, std::memory_order_release);
    }
  }
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

// The same rule as ReplProcess's reading of it (repl_process.cpp): the
// object's "proofState" and those of the entries of its "sorries" and
// "tactics", one level deep, as the REPL nests them.
std::int64_t MaxProofState(const ReplResponse& response) {
  if (response.max_proof_state) return *response.max_proof_state;
  std::int64_t max_id = -1;
  auto note = [&](const nlohmann::json& item) {
    if (!item.is_object()) return;
    if (auto it = item.find("proofState"); it != item.end() && it->is_number_integer())
      max_id = std::max(max_id, it->get<std::int64_t>());
  };
  const nlohmann::json& object = response.json.value();
  if (!object.is_object()) return max_id;
  note(object);
  for (const char* list : {"sorries", "tactics"})
    if (auto it = object.find(list); it != object.end() && it->is_array())
      for (const auto& item : *it) note(item);
  return max_id;
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
