#include "tatami/search/dojo_environment.h"

#include <stdexcept>

namespace tatami::search {
namespace {

FailureKind FailureKindOf(dojo::RunResultKind kind, const std::string& what) {
  switch (kind) {
    case dojo::RunResultKind::kTacticError:
      return FailureKind::kTacticError;
    case dojo::RunResultKind::kProofRejected:
      return FailureKind::kProofRejected;
    case dojo::RunResultKind::kTacticTooLong:
      return FailureKind::kTacticTooLong;
    case dojo::RunResultKind::kWorkerFailure:
      return FailureKind::kWorkerFailure;
    case dojo::RunResultKind::kTimeout:
      return FailureKind::kTimeout;
    case dojo::RunResultKind::kProofGivenUp:
      return FailureKind::kGivenUp;
    case dojo::RunResultKind::kState:
    case dojo::RunResultKind::kProofFinished:
      break;
  }
  throw std::logic_error("DojoEnvironment: not a failure: " + what);
}

// `r` holds one of the failing alternatives.
TacticFailed Failure(const dojo::RunResult& r) {
  std::string what = dojo::Describe(r);
  const FailureKind kind = FailureKindOf(dojo::KindOf(r), what);
  const auto* e = std::get_if<dojo::LeanError>(&r);
  return TacticFailed{std::move(what), kind, e ? e->message : std::string()};
}

}  // namespace

DojoEnvironment::DojoEnvironment(dojo::Dojo& dojo, dojo::TacticState root) : dojo_(dojo) {
  if (!root.valid()) throw std::invalid_argument("DojoEnvironment: empty root state");
  states_.push_back(std::move(root));
}

const std::string& DojoEnvironment::RootPretty() const { return states_.front().pretty(); }

const dojo::TacticState& DojoEnvironment::StateOf(std::size_t handle, const char* what) const {
  if (handle >= states_.size() || !states_[handle].valid())
    throw std::invalid_argument(std::string(what) + ": unknown or released state " +
                                std::to_string(handle));
  return states_[handle];
}

TacticOutcome DojoEnvironment::Outcome(dojo::RunResult r) {
  if (auto* next = std::get_if<dojo::TacticState>(&r)) {
    states_.push_back(std::move(*next));
    return StateReached{states_.back().pretty(), states_.size() - 1};
  }
  if (std::holds_alternative<dojo::ProofFinished>(r)) return ProofClosed{};
  return Failure(r);
}

TacticOutcome DojoEnvironment::Run(std::size_t handle, std::string_view tactic) {
  const dojo::TacticState& state = StateOf(handle, "DojoEnvironment::Run");
  return Outcome(dojo_.RunTac(state, tactic));
}

std::vector<TacticOutcome> DojoEnvironment::RunAll(std::size_t handle,
                                                   const std::vector<std::string>& tactics) {
  const dojo::TacticState state = StateOf(handle, "DojoEnvironment::RunAll");
  std::vector<dojo::TacticRequest> requests;
  requests.reserve(tactics.size());
  for (const std::string& t : tactics) requests.push_back({state, t});
  std::vector<TacticOutcome> out;
  out.reserve(tactics.size());
  for (dojo::RunResult& r : dojo_.RunTacs(requests)) out.push_back(Outcome(std::move(r)));
  return out;
}

void DojoEnvironment::Release(std::size_t handle) {
  if (handle < states_.size() && handle != 0) states_[handle] = dojo::TacticState();
}

}  // namespace tatami::search
