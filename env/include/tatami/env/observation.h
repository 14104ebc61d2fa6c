// Observation: what an agent sees of a proof state.
//
// It copies the state's goals out of its TacticState (as the pretty string
// Lean prints, per goal, and split into hypotheses and target) so that it
// can be read, stored and sent across threads or to Python without touching
// the Dojo, and it keeps the TacticState itself: the handle to branch from
// with Env::StepFrom. Holding an Observation keeps its state, and with it its
// theorem's worker lease, alive (see dojo.h).
//
// Thread-safety: a value type; copies may be used from any threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tatami/dojo/goal.h"
#include "tatami/dojo/tactic_state.h"

namespace tatami::env {

// The handle of "no state": the observation after a finished proof.
// (The Dojo numbers states from 1.)
inline constexpr std::uint64_t kNoState = 0;

struct Observation {
  // The state's number in its Dojo (TacticState::id()), what Env::StepFrom
  // takes to branch from it; kNoState after a finished proof.
  std::uint64_t handle = kNoState;
  // The state itself; an empty handle (valid() == false) when handle == kNoState.
  dojo::TacticState state;
  // The goals as Lean prints them, separated by blank lines; "no goals"
  // after a finished proof (the LeanDojo `state` string).
  std::string pretty = "no goals";
  // One pretty-printed string per goal.
  std::vector<std::string> goal_strings;
  // The goals split into hypotheses and target (goal.h).
  std::vector<dojo::Goal> goals;
  // goals.size().
  std::size_t num_goals = 0;
  // The tactics from the theorem's root to this state (for a finished proof:
  // empty; the proof is in StepInfo::proof).
  std::vector<std::string> path;
  // The theorem's full name as entered (e.g. "TatamiExamples.and_swap").
  std::string theorem_name;
};

// The observation of `state`; the "no goals" observation (handle kNoState)
// of theorem `theorem_name` when `state` is empty.
Observation ObservationOf(const dojo::TacticState& state);
Observation FinishedObservation(const std::string& theorem_name);

}  // namespace tatami::env
