#include "tatami/search/search_tree.h"

#include <algorithm>
#include <stdexcept>

namespace tatami::search {

std::string_view ToString(NodeStatus status) {
  switch (status) {
    case NodeStatus::kOpen:
      return "open";
    case NodeStatus::kProved:
      return "proved";
    case NodeStatus::kFailed:
      return "failed";
  }
  return "?";
}

std::string_view ToString(NodeKind kind) {
  switch (kind) {
    case NodeKind::kState:
      return "state";
    case NodeKind::kProofFinished:
      return "proof_finished";
    case NodeKind::kFailure:
      return "failure";
  }
  return "?";
}

std::size_t SearchTree::AddState(std::string pretty, double cumulative_logprob) {
  const std::size_t id = nodes_.size();
  if (!by_state_.emplace(pretty, id).second)
    throw std::invalid_argument("SearchTree::AddState: the state is already a node");
  SearchNode n;
  n.kind = NodeKind::kState;
  n.text = std::move(pretty);
  n.cumulative_logprob = cumulative_logprob;
  nodes_.push_back(std::move(n));
  return id;
}

std::size_t SearchTree::AddProofFinished() {
  SearchNode n;
  n.kind = NodeKind::kProofFinished;
  n.status = NodeStatus::kProved;
  n.distance_to_proof = 0;
  nodes_.push_back(std::move(n));
  return nodes_.size() - 1;
}

std::size_t SearchTree::AddFailure(std::string what, FailureKind kind, std::string message) {
  SearchNode n;
  n.kind = NodeKind::kFailure;
  n.text = std::move(what);
  n.failure_kind = kind;
  n.failure_message = std::move(message);
  n.status = NodeStatus::kFailed;
  nodes_.push_back(std::move(n));
  return nodes_.size() - 1;
}

std::size_t SearchTree::AddEdge(std::size_t src, std::size_t dst, std::string tactic,
                                double logprob) {
  if (src >= nodes_.size() || dst >= nodes_.size())
    throw std::out_of_range("SearchTree::AddEdge: no such node");
  edges_.push_back(SearchEdge{std::move(tactic), logprob, src, dst});
  const std::size_t e = edges_.size() - 1;
  if (nodes_[dst].kind == NodeKind::kState) nodes_[dst].in_edges.push_back(e);
  return e;
}

void SearchTree::MarkExplored(std::size_t node, std::vector<std::size_t> out_edges) {
  SearchNode& n = nodes_.at(node);
  if (n.kind != NodeKind::kState || n.explored)
    throw std::logic_error("SearchTree::MarkExplored: not an unexplored state node");
  for (std::size_t e : out_edges)
    if (edges_.at(e).src != node)
      throw std::logic_error("SearchTree::MarkExplored: an edge does not start at the node");
  n.out_edges = std::move(out_edges);
  n.explored = true;
  n.expansion = explored_++;
  PropagateStatus(node);
  PropagateDistance(node);
}

// Statuses only ever move from open to proved or failed, and a node's rule
// reads only its children, so visiting changed nodes' parents in any order
// reaches the same result as ReProver's recursion.
void SearchTree::PropagateStatus(std::size_t from) {
  std::vector<std::size_t> work{from};
  while (!work.empty()) {
    const std::size_t i = work.back();
    work.pop_back();
    SearchNode& n = nodes_[i];
    if (!n.explored || n.status != NodeStatus::kOpen) continue;
    bool any_proved = false, all_failed = true;
    for (std::size_t e : n.out_edges) {
      const NodeStatus s = nodes_[edges_[e].dst].status;
      any_proved = any_proved || s == NodeStatus::kProved;
      all_failed = all_failed && s == NodeStatus::kFailed;
    }
    if (any_proved)
      n.status = NodeStatus::kProved;
    else if (all_failed)
      n.status = NodeStatus::kFailed;
    else
      continue;
    for (std::size_t e : n.in_edges) work.push_back(edges_[e].src);
  }
}

// Distances only decrease and each is the minimum over the children, so this
// relaxation converges to the same values in any visiting order.
void SearchTree::PropagateDistance(std::size_t from) {
  std::vector<std::size_t> work{from};
  while (!work.empty()) {
    const std::size_t i = work.back();
    work.pop_back();
    SearchNode& n = nodes_[i];
    if (!n.explored) continue;
    double best = kNoProof;
    for (std::size_t e : n.out_edges) best = std::min(best, EdgeDistance(e));
    if (best < n.distance_to_proof) {
      n.distance_to_proof = best;
      for (std::size_t e : n.in_edges) work.push_back(edges_[e].src);
    }
  }
}

std::optional<std::size_t> SearchTree::FindState(std::string_view pretty) const {
  auto it = by_state_.find(std::string(pretty));
  if (it == by_state_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::vector<std::string>> SearchTree::ExtractProof() const {
  if (nodes_.empty() || nodes_[0].status != NodeStatus::kProved) return std::nullopt;
  std::vector<std::string> proof;
  std::size_t at = 0;
  while (nodes_[at].kind == NodeKind::kState) {
    const SearchNode& n = nodes_[at];
    if (n.out_edges.empty()) return std::nullopt;  // unreachable for a proved node
    std::size_t best = n.out_edges.front();
    for (std::size_t e : n.out_edges)
      if (EdgeDistance(e) < EdgeDistance(best)) best = e;
    if (EdgeDistance(best) == kNoProof) return std::nullopt;
    proof.push_back(edges_[best].tactic);
    at = edges_[best].dst;
  }
  if (nodes_[at].kind != NodeKind::kProofFinished) return std::nullopt;
  return proof;
}

}  // namespace tatami::search
