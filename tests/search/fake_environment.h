// A hand-made transition table standing in for Lean in search tests:
// state -> tactic -> "=STATE" (goals left), "done" (proof closed) or
// anything else (a failure with that text). A tactic the table does not
// list fails with "unknown tactic".
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tatami/search/search_environment.h"

namespace tatami::search::testing {

class FakeEnvironment : public SearchEnvironment {
 public:
  using Table = std::map<std::string, std::map<std::string, std::string>>;
  FakeEnvironment(std::string root, Table table) : table_(std::move(table)) {
    states_.push_back(std::move(root));
  }
  const std::string& RootPretty() const override { return states_.front(); }
  TacticOutcome Run(std::size_t handle, std::string_view tactic) override {
    const std::string& state = states_.at(handle);
    calls.emplace_back(state, std::string(tactic));
    auto s = table_.find(state);
    if (s == table_.end())
      return TacticFailed{"unknown tactic", FailureKind::kTacticError, "unknown tactic"};
    auto t = s->second.find(std::string(tactic));
    if (t == s->second.end())
      return TacticFailed{"unknown tactic", FailureKind::kTacticError, "unknown tactic"};
    if (t->second == "done") return ProofClosed{};
    if (!t->second.empty() && t->second[0] == '=') {
      states_.push_back(t->second.substr(1));
      return StateReached{states_.back(), states_.size() - 1};
    }
    return TacticFailed{t->second, FailureKind::kTacticError, t->second};
  }
  std::vector<std::pair<std::string, std::string>> calls;  // (state, tactic) in order

 private:
  Table table_;
  std::vector<std::string> states_;
};

}  // namespace tatami::search::testing
