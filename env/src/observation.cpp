#include "tatami/env/observation.h"

namespace tatami::env {

Observation ObservationOf(const dojo::TacticState& state) {
  if (!state.valid()) return Observation{};
  Observation o;
  o.handle = state.id();
  o.state = state;
  o.pretty = state.pretty();
  o.goal_strings = state.goal_strings();
  o.goals = state.goals();
  o.num_goals = o.goal_strings.size();
  o.path = state.path();
  o.theorem_name = state.theorem_name();
  return o;
}

Observation FinishedObservation(const std::string& theorem_name) {
  Observation o;
  o.theorem_name = theorem_name;
  return o;
}

}  // namespace tatami::env
