#include "tatami/search/dojo_environment.h"

#include <stdexcept>

namespace tatami::search {

DojoEnvironment::DojoEnvironment(dojo::Dojo& dojo, dojo::TacticState root) : dojo_(dojo) {
  if (!root.valid()) throw std::invalid_argument("DojoEnvironment: empty root state");
  states_.push_back(std::move(root));
}

const std::string& DojoEnvironment::RootPretty() const { return states_.front().pretty(); }

TacticOutcome DojoEnvironment::Run(std::size_t handle, std::string_view tactic) {
  if (handle >= states_.size() || !states_[handle].valid())
    throw std::invalid_argument("DojoEnvironment::Run: unknown or released state " +
                                std::to_string(handle));
  dojo::RunResult r = dojo_.RunTac(states_[handle], tactic);
  if (auto* next = std::get_if<dojo::TacticState>(&r)) {
    states_.push_back(std::move(*next));
    return StateReached{states_.back().pretty(), states_.size() - 1};
  }
  if (std::holds_alternative<dojo::ProofFinished>(r)) return ProofClosed{};
  return TacticFailed{dojo::Describe(r)};
}

void DojoEnvironment::Release(std::size_t handle) {
  if (handle < states_.size() && handle != 0) states_[handle] = dojo::TacticState();
}

}  // namespace tatami::search
