#include "tatami/search/best_first_search.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace tatami::search {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// When a search that started at `start` with `timeout` ends. The clock
// counts nanoseconds, so `start + timeout` overflows for a timeout above
// about 292 years (e.g. milliseconds::max() meant as "no limit"), which
// ended such a search after one expansion; those get the clock's end.
Clock::time_point Deadline(Clock::time_point start, std::chrono::milliseconds timeout) {
  if (timeout <= std::chrono::milliseconds::zero()) return start;
  // Rounded down to milliseconds: this unit cannot overflow.
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::time_point::max() - start);
  if (timeout >= left) return Clock::time_point::max();
  return start + timeout;
}

// Queue entry: higher cumulative log-prob first, then the node created first
// (node ids grow with creation).
struct Queued {
  double priority;
  std::size_t node;
  std::size_t handle;
};
// An ordered set rather than a heap: speculation reads the best few.
struct ExpandsFirst {
  bool operator()(const Queued& a, const Queued& b) const {
    if (a.priority != b.priority) return a.priority > b.priority;
    return a.node < b.node;
  }
};

}  // namespace

std::string_view ToString(SearchStatus status) {
  switch (status) {
    case SearchStatus::kProved:
      return "proved";
    case SearchStatus::kFailed:
      return "failed";
    case SearchStatus::kOpen:
      return "open";
  }
  return "?";
}

std::vector<Candidate> OrderCandidates(std::vector<Candidate> candidates) {
  std::vector<Candidate> unique;
  std::unordered_set<std::string> seen;
  for (Candidate& c : candidates)
    if (seen.insert(c.tactic).second) unique.push_back(std::move(c));
  std::stable_sort(unique.begin(), unique.end(),
                   [](const Candidate& a, const Candidate& b) { return a.logprob > b.logprob; });
  return unique;
}

SearchResult BestFirstSearch(SearchEnvironment& env, TacticGenerator& generator,
                             const SearchOptions& options) {
  if (options.num_tactics <= 0)
    throw std::invalid_argument("SearchOptions::num_tactics must be positive");
  const auto start = Clock::now();
  const Clock::time_point deadline = Deadline(start, options.timeout);
  SearchResult result;
  SearchTree& tree = result.tree;
  std::set<Queued, ExpandsFirst> queue;
  queue.insert({0.0, tree.AddState(env.RootPretty(), 0.0), 0});

  BatchingGenerator::Client* const client = options.batching;
  const bool speculate =
      client && options.speculation_depth > 0 && client->generator().Deterministic();
  auto make_request = [&](const std::string& state) {
    GenerationRequest request;
    request.state = state;
    request.num_candidates = options.num_tactics;
    request.premise_scope = options.premise_scope;
    return request;
  };
  // Requests made for predictions, by node, so that a node predicted at
  // several expansions and then expanded builds its request once.
  std::unordered_map<std::size_t, GenerationRequest> predicted;
  auto request_for = [&](std::size_t node) -> const GenerationRequest& {
    auto [it, added] = predicted.try_emplace(node);
    if (added) it->second = make_request(tree.node(node).text);
    return it->second;
  };
  // The nodes expanded next if no child of the current node overtook them:
  // the queue's best, asked for with each request.
  auto predictions = [&] {
    std::vector<GenerationRequest> next;
    if (!speculate) return next;
    for (auto it = queue.begin(); it != queue.end() && next.size() < options.speculation_depth;
         ++it)
      next.push_back(request_for(it->node));
    return next;
  };
  // Prefetched answers belong to this search only.
  struct Forget {
    BatchingGenerator::Client* client;
    ~Forget() {
      if (client) client->Forget();
    }
  } forget{client};

  std::optional<SearchStatus> end;
  while (!end) {
    if (queue.empty()) {
      end = SearchStatus::kFailed;
      break;
    }
    const Queued top = *queue.begin();
    queue.erase(queue.begin());
    const std::size_t node = top.node;
    const std::string state = tree.node(node).text;
    const double base = tree.node(node).cumulative_logprob;

    auto t0 = Clock::now();
    std::vector<Candidate> candidates;
    if (client) {
      // The predictions go with this request, so that they are queued
      // before this one's answer comes back.
      GenerationRequest request;
      if (auto known = predicted.find(node); known != predicted.end()) {
        request = std::move(known->second);
        predicted.erase(known);
      } else {
        request = make_request(state);
      }
      const std::vector<GenerationRequest> next = predictions();
      // With nothing to predict (the queue is empty), the search still asks
      // again after this expansion unless it ends (and then it forgets), so
      // it does not settle: a batch may wait for its next request.
      candidates = client->Get(request, next);
    } else {
      std::vector<std::vector<Candidate>> answer = generator.Generate({make_request(state)});
      if (answer.size() != 1)
        throw std::runtime_error("tactic generator " + generator.Describe() + " returned " +
                                 std::to_string(answer.size()) + " lists for 1 request");
      candidates = std::move(answer[0]);
    }
    result.generator_s += Since(t0);

    // The node's tactics run together (independent: each on the same
    // state), and their outcomes are taken in order, as if run one by one;
    // those after a finished proof are dropped.
    std::vector<Candidate> ordered = OrderCandidates(std::move(candidates));
    std::vector<std::string> tactics;
    tactics.reserve(ordered.size());
    for (const Candidate& c : ordered) tactics.push_back(c.tactic);
    t0 = Clock::now();
    std::vector<TacticOutcome> outcomes = env.RunAll(top.handle, tactics);
    result.lean_s += Since(t0);
    // RunAll gives the outcomes up to the first ProofClosed at least
    // (search_environment.h); the loop below uses them up to it and drops
    // the rest.
    const bool closes = std::any_of(outcomes.begin(), outcomes.end(), [](const auto& o) {
      return std::holds_alternative<ProofClosed>(o);
    });
    if (outcomes.size() > ordered.size() || (outcomes.size() < ordered.size() && !closes))
      throw std::logic_error("search environment returned " + std::to_string(outcomes.size()) +
                             " outcomes for " + std::to_string(ordered.size()) +
                             " tactics (fewer only when one closes the proof)");
    std::vector<std::size_t> edges;
    std::size_t taken = 0;
    for (; taken < outcomes.size(); ++taken) {
      Candidate& c = ordered[taken];
      TacticOutcome& outcome = outcomes[taken];
      std::size_t dst;
      bool finished = false;
      if (auto* reached = std::get_if<StateReached>(&outcome)) {
        if (auto known = tree.FindState(reached->pretty)) {
          dst = *known;
          env.Release(reached->handle);
        } else {
          dst = tree.AddState(std::move(reached->pretty), base + c.logprob);
          queue.insert({base + c.logprob, dst, reached->handle});
        }
      } else if (std::holds_alternative<ProofClosed>(outcome)) {
        dst = tree.AddProofFinished();
        finished = true;
      } else {
        auto& failed = std::get<TacticFailed>(outcome);
        dst = tree.AddFailure(std::move(failed.what), failed.kind, std::move(failed.message));
      }
      edges.push_back(tree.AddEdge(node, dst, std::move(c.tactic), c.logprob));
      if (finished) {
        ++taken;
        break;
      }
    }
    for (; taken < outcomes.size(); ++taken)
      if (auto* dropped = std::get_if<StateReached>(&outcomes[taken])) env.Release(dropped->handle);
    tree.MarkExplored(node, std::move(edges));
    ++result.expansions;

    if (tree.root_status() == NodeStatus::kProved)
      end = SearchStatus::kProved;
    else if (tree.root_status() == NodeStatus::kFailed)
      end = SearchStatus::kFailed;
    else if ((options.max_expansions && result.expansions >= options.max_expansions) ||
             Clock::now() >= deadline)
      end = SearchStatus::kOpen;
    else if (options.cancel && options.cancel->load()) {
      result.cancelled = true;
      end = SearchStatus::kOpen;
    }
  }
  result.status = *end;
  if (result.status == SearchStatus::kProved) result.proof = tree.ExtractProof();
  result.states = tree.num_states();
  result.total_s = Since(start);
  return result;
}

}  // namespace tatami::search
