// SearchTree: the proof-search graph of one theorem, with ReProver's status
// and distance-to-proof bookkeeping (prover/search_tree.py).
//
// Nodes are proof states (one per distinct pretty-printed state) and
// terminal leaves (a finished proof, or a failure: Lean error, timeout,
// given up). Edges are tactics. A state node becomes *explored* when its
// out-edges are fixed, once; from then on:
//   proved  if any child is proved,
//   failed  if it has no children or all of them failed,
//   open    otherwise (a cycle of open nodes stays open).
// Proof leaves are proved, failure leaves failed; an unexplored state node is
// open. The distance to a proof is 0 at a proof leaf, 1 + the child's along
// the best out-edge otherwise (infinite when none is known). Both are kept up
// to date as nodes are explored, changes flowing to the parents.
//
// Thread-safety: not thread-safe; one search owns its tree.
#pragma once

#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tatami/search/failure_kind.h"

namespace tatami::search {

enum class NodeStatus { kOpen, kProved, kFailed };
std::string_view ToString(NodeStatus status);  // "open", "proved", "failed"

enum class NodeKind {
  kState,          // a proof state with goals left
  kProofFinished,  // a checked, finished proof (terminal, proved)
  kFailure,        // Lean error, timeout or given up (terminal, failed)
};
std::string_view ToString(NodeKind kind);  // "state", "proof_finished", "failure"

inline constexpr double kNoProof = std::numeric_limits<double>::infinity();

struct SearchNode {
  NodeKind kind = NodeKind::kState;
  // kState: the pretty-printed state; kFailure: what went wrong; kProofFinished: empty.
  std::string text;
  // kFailure: why, and Lean's raw message (TacticFailed::message); unused otherwise.
  FailureKind failure_kind = FailureKind::kTacticError;
  std::string failure_message;
  // kState: sum of the log-probs of the tactics on the path that first reached it.
  double cumulative_logprob = 0;
  NodeStatus status = NodeStatus::kOpen;
  double distance_to_proof = kNoProof;
  bool explored = false;
  // kState: the order in which it was expanded (0 = first), once explored.
  std::optional<std::size_t> expansion;
  std::vector<std::size_t> out_edges;  // edge indices, in the order the tactics were tried
  std::vector<std::size_t> in_edges;   // edge indices (kState only), in creation order
};

struct SearchEdge {
  std::string tactic;
  double logprob = 0;
  std::size_t src = 0;
  std::size_t dst = 0;
};

class SearchTree {
 public:
  // A new state node; the first one added is the root. Throws
  // std::invalid_argument if a node with this state exists.
  std::size_t AddState(std::string pretty, double cumulative_logprob);
  std::size_t AddProofFinished();
  // A failure leaf: `what` is its one-line text, `kind` and `message` as in
  // TacticFailed (search_environment.h).
  std::size_t AddFailure(std::string what, FailureKind kind, std::string message);
  // An edge src -> dst; recorded as an in-edge of dst when dst is a state.
  std::size_t AddEdge(std::size_t src, std::size_t dst, std::string tactic, double logprob);
  // Fixes the out-edges of `node` (edges made by AddEdge from it, in trial
  // order) and updates statuses and distances. Throws std::logic_error if the
  // node is not an unexplored state.
  void MarkExplored(std::size_t node, std::vector<std::size_t> out_edges);

  std::optional<std::size_t> FindState(std::string_view pretty) const;
  const SearchNode& node(std::size_t i) const { return nodes_.at(i); }
  const SearchEdge& edge(std::size_t i) const { return edges_.at(i); }
  std::size_t num_nodes() const { return nodes_.size(); }
  std::size_t num_edges() const { return edges_.size(); }
  std::size_t num_states() const { return by_state_.size(); }
  std::size_t num_explored() const { return explored_; }
  NodeStatus root_status() const { return nodes_.empty() ? NodeStatus::kOpen : nodes_[0].status; }

  // ReProver's extract_proof: from the root, repeatedly the out-edge with the
  // smallest distance to a proof (ties: the edge tried first), down to a
  // proof leaf. The tactics in order; nullopt when the root is not proved.
  std::optional<std::vector<std::string>> ExtractProof() const;

 private:
  double EdgeDistance(std::size_t e) const { return 1 + nodes_[edges_[e].dst].distance_to_proof; }
  void PropagateStatus(std::size_t from);
  void PropagateDistance(std::size_t from);

  std::vector<SearchNode> nodes_;
  std::vector<SearchEdge> edges_;
  std::unordered_map<std::string, std::size_t> by_state_;
  std::size_t explored_ = 0;
};

}  // namespace tatami::search
