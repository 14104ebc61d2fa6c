// Best-first proof search with ReProver's semantics (prover/proof_search.py).
//
//   SearchResult r = BestFirstSearch(env, generator, options);
//
// One node per distinct pretty-printed state. The node with the highest
// cumulative log-prob is expanded next (ties: the node created first). Its
// state gets up to `num_tactics` candidates from the generator; duplicate
// tactic strings are dropped (the first kept) and the rest tried one by one
// in descending log-prob order (ties: the generator's order). A resulting
// state already in the tree links to its node; only new nodes are queued.
// Errors, timeouts and given-up results are failed leaves. The first proof
// leaf stops the node's expansion. Status and distance bookkeeping is
// SearchTree's.
//
// The search ends after an expansion when the root is proved (kProved: a
// proof found is reported even if a limit is reached in the same step), or
// failed (kFailed), or a limit is reached (kOpen: `max_expansions`
// expansions done, or `timeout` elapsed); or before one when the queue is
// empty (kFailed).
//
// A candidate whose log-prob is NaN (or whose path's sum is, +inf after
// -inf) cannot be ordered: the search throws std::runtime_error naming the
// generator, the tactic and the state, as for other failures of the
// generator. -inf is a score like any other (ties: the node created first).
//
// Speculation (SearchOptions::speculation_depth) asks a batching generator ahead of
// need for the nodes predicted to be expanded next; it changes when the
// generator works, not what the search finds (up to floating-point
// differences between batch shapes, tactic_generator.h).
//
// Thread-safety: a call uses its environment alone; the generator must be
// thread-safe (see tactic_generator.h) when searches run in parallel.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tatami/search/batching_generator.h"
#include "tatami/search/search_environment.h"
#include "tatami/search/search_tree.h"
#include "tatami/search/tactic_generator.h"

namespace tatami::search {

struct SearchOptions {
  // Candidates asked of the generator per expansion (ReProver's
  // num_sampled_tactics). Default: 64.
  int num_tactics = 64;
  // Wall-clock budget of one theorem's search, checked after each expansion;
  // 0 or less: the limit is reached at the first check. Any length works
  // (milliseconds::max() is no limit). Default: 600 s (ReProver's timeout).
  std::chrono::milliseconds timeout{std::chrono::seconds(600)};
  // Most expansions per theorem; 0 = unlimited. Default: 0.
  std::size_t max_expansions = 0;
  // The premise scope of every request (GenerationRequest::premise_scope),
  // for a RetrievalAugmentedGenerator behind the generator. Default: 0.
  std::uint64_t premise_scope = 0;
  // When set and true, the search stops after the current expansion with
  // `cancelled` set (used on Ctrl-C). Default: none.
  const std::atomic<bool>* cancel = nullptr;
  // When set, candidates are asked through this client of a
  // BatchingGenerator (the `generator` argument is then not called), which
  // makes speculation possible. Default: none.
  BatchingGenerator::Client* batching = nullptr;
  // Speculation, with `batching` and a Deterministic() generator: while a
  // node's tactics run in Lean, the candidates of the nodes that would be
  // expanded next if no child of it overtook them (the best
  // `speculation_depth` nodes left in the queue) are asked for ahead of
  // need, so that the model works while Lean does. Results are unchanged: a
  // deterministic generator gives a state the same candidates whenever it is
  // asked (up to floating-point differences between batch shapes,
  // TacticGenerator::Deterministic). Costs model work for predictions a
  // later child overtakes (their answers are kept until the search ends, for
  // when the node is expanded after all). One node hides Lean's time behind
  // the model's only when a node's tactics take less than a model call; more
  // leave a search answers in hand for nodes whose tactics take longer. 0 =
  // no speculation. Default: 3.
  std::size_t speculation_depth = 3;
};

enum class SearchStatus { kProved, kFailed, kOpen };
std::string_view ToString(SearchStatus status);  // "proved", "failed", "open"

struct SearchResult {
  SearchStatus status = SearchStatus::kOpen;
  std::optional<std::vector<std::string>> proof;  // the tactics, when proved
  std::size_t expansions = 0;
  std::size_t states = 0;  // distinct proof states found, root included
  double generator_s = 0;  // time in the generator
  double lean_s = 0;       // time running tactics
  double total_s = 0;
  bool cancelled = false;  // stopped through SearchOptions::cancel; status is kOpen
  SearchTree tree;
};

SearchResult BestFirstSearch(SearchEnvironment& env, TacticGenerator& generator,
                             const SearchOptions& options);

// The candidates in the order search tries them: duplicates dropped (first
// kept), then stably sorted by descending log-prob. Throws
// std::invalid_argument for a NaN log-prob, which has no place in the order.
std::vector<Candidate> OrderCandidates(std::vector<Candidate> candidates);

}  // namespace tatami::search
