// TacticState: an immutable handle on one proof state of a theorem entered
// in a Dojo.
//
// A state knows its theorem and the tactics that lead to it from the
// theorem's root, so it stays usable when the Lean process that computed it
// dies or is recycled: the Dojo re-creates it (by replaying the path) before
// running the next tactic. Copies share the same state; a state keeps its
// theorem's worker lease alive (see dojo.h).
//
// Thread-safety: a TacticState is an immutable value; copies may be used from
// any number of threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tatami/dojo/goal.h"

namespace tatami::dojo {

namespace internal {
struct StateNode;
}

class TacticState {
 public:
  TacticState() = default;  // an empty handle: valid() == false

  bool valid() const { return node_ != nullptr; }

  // The goals pretty-printed as Lean prints them, separated by blank lines
  // (the LeanDojo `state` string); "no goals" when there are none.
  const std::string& pretty() const;
  // One pretty-printed string per goal.
  const std::vector<std::string>& goal_strings() const;
  // The goals split into hypotheses and target. A goal Lean printed in a
  // shape the parser does not know is kept whole as the target.
  const std::vector<Goal>& goals() const;
  std::size_t num_goals() const { return goal_strings().size(); }

  // The tactics from the theorem's root to this state, in order.
  const std::vector<std::string>& path() const;
  // The theorem's name as entered (e.g. "TatamiExamples.and_swap").
  const std::string& theorem_name() const;
  // The Dojo that made this state, and this state's number in it.
  std::uint64_t dojo_id() const;
  std::uint64_t id() const;

  friend bool operator==(const TacticState& a, const TacticState& b) { return a.node_ == b.node_; }

 private:
  friend class Dojo;
  explicit TacticState(std::shared_ptr<internal::StateNode> node) : node_(std::move(node)) {}
  std::shared_ptr<internal::StateNode> node_;
};

}  // namespace tatami::dojo
