// Training rows from one search tree, as `tatami prove --tree-dir` writes it
// (search/tree_export.h: {"nodes": [{"id", "kind", "status", "text", ...}],
// "edges": [{"src", "dst", "tactic", "logprob"}]}, node 0 the root, edges in
// the order they were tried).
//
// Given the proof the search reported, the rows follow it from the root:
// - a tactic row per step: the state (the node's pretty-printed goals) and the
//   tactic taken there;
// - a preference row per step and per tactic tried at that state that Lean
//   rejected (an edge to a failure leaf with "failure": {"kind":
//   "tactic_error", "message": MESSAGE}; in trees written before "failure"
//   existed, a leaf whose text is "lean error (tactic): MESSAGE"): the state,
//   the proof's tactic (chosen), the rejected one and Lean's MESSAGE.
//   Timeouts, worker failures, rejected proofs and tactics given up or too
//   long are not Lean's verdict on the tactic and give no rows.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tatami::data {

// A tree that is not a search tree, or that does not hold the reported proof.
class ExportInputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TacticRow {
  std::string state, tactic;
  std::size_t node = 0;  // the state's node id
  std::size_t edge = 0;  // the tactic's edge index
  std::size_t next = 0;  // the node the tactic led to
};

struct PreferenceRow {
  std::string state, chosen, rejected;
  std::string message;   // Lean's message for the rejected tactic
  std::size_t node = 0;  // the state's node id
  std::size_t chosen_edge = 0;
  std::size_t rejected_edge = 0;
  std::size_t rejected_node = 0;  // the failure leaf
};

struct TreeRows {
  std::vector<TacticRow> tactics;
  std::vector<PreferenceRow> preferences;
};

// The "failure" kind of a leaf when Lean rejected the tactic
// (search::FailureKind::kTacticError in search/failure_kind.h).
inline constexpr const char* kLeanRejectedKind = "tactic_error";

// The prefix of a failure leaf's text when Lean rejected the tactic
// (dojo::Describe of a LeanError of kind kTactic); read only from trees
// without "failure" objects.
inline constexpr const char* kLeanRejectedPrefix = "lean error (tactic): ";

// `proof`: the tactics `tatami prove` reported. Throws ExportInputError when
// the tree's shape is wrong or the proof is not a path from the root to a
// finished proof in it.
TreeRows RowsFromTree(const nlohmann::json& tree, const std::vector<std::string>& proof);

}  // namespace tatami::data
