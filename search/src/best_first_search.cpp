#include "tatami/search/best_first_search.h"

#include <algorithm>
#include <cmath>
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

// A state or tactic in an error message: at most `max` bytes, cut at a UTF-8
// character boundary (Lean's states are full of multi-byte symbols).
std::string Excerpt(const std::string& text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return text.substr(0, n) + "... (" + std::to_string(text.size()) + " bytes)";
}

// The generator's error for a candidate that cannot be ordered, reported as
// the search reports other generator failures (std::runtime_error).
[[noreturn]] void BadLogprob(const TacticGenerator& generator, const std::string& state,
                             const std::string& tactic, const std::string& what) {
  throw std::runtime_error("tactic generator " + generator.Describe() + " gave " + what +
                           " for tactic \"" + Excerpt(tactic, 100) + "\" on state \"" +
                           Excerpt(state, 120) + "\"");
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
  // NaN is neither above nor below anything, which breaks the strict weak
  // ordering stable_sort needs.
  for (const Candidate& c : candidates)
    if (std::isnan(c.logprob))
      throw std::invalid_argument("OrderCandidates: tactic \"" + Excerpt(c.tactic, 100) +
                                  "\" has a NaN log-prob");
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
  // Every queued node must be in the queue: a refused insert (an entry
  // "equal" to one already there) would drop a node without a trace.
  auto enqueue = [&](const Queued& q) {
    if (!queue.insert(q).second)
      throw std::logic_error("search queue refused node " + std::to_string(q.node));
  };
  enqueue({0.0, tree.AddState(env.RootPretty(), 0.0), 0});

  BatchingGenerator::Client* const client = options.batching;
  const bool speculate =
      client && options.speculation_depth > 0 && client->generator().Deterministic();
  // The generator that answers, for error messages.
  const TacticGenerator& source = client ? client->generator() : generator;
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
    // A NaN log-prob has no place in the order of the tactics or of the
    // queue (std::set would take it as equal to a queued node and drop the
    // child): the generator is broken. -inf is a score like any other.
    for (const Candidate& c : candidates)
      if (std::isnan(c.logprob)) BadLogprob(source, state, c.tactic, "a NaN log-prob");

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
          const double priority = base + c.logprob;
          // Finite and -inf log-probs sum to a number, but a +inf one on a
          // path with a -inf one sums to NaN.
          if (std::isnan(priority))
            BadLogprob(source, state, c.tactic,
                       "log-prob " + std::to_string(c.logprob) + " (the path's sum is NaN)");
          dst = tree.AddState(std::move(reached->pretty), priority);
          enqueue({priority, dst, reached->handle});
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
