// TacticGenerator: proposes tactics for proof states, a batch at a time.
//
// Proof search asks for candidates for many states at once (one request per
// state being expanded, possibly from many theorems searched concurrently);
// a generator answers every request of the batch in one call so that a model
// can run them as one batch.
//
// Thread-safety: implementations must allow Generate to be called from
// several threads at once (they may serialise internally).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tatami::search {

// One request: the state to expand and how many candidates to return.
struct GenerationRequest {
  // The pretty-printed proof state (TacticState::pretty(): goals joined by
  // blank lines).
  std::string state;
  // Retrieved premises to condition on, best first (empty: none). Their text
  // is what the retriever gives (e.g. ReProver's premise strings).
  std::vector<std::string> premises;
  // Number of candidates wanted; a generator may return fewer.
  int num_candidates = 64;
  // Which premises retrieval may give the request, for a
  // RetrievalAugmentedGenerator whose premise source knows several sets
  // (`tatami prove`: one per theorem, those accessible where it is stated).
  // An identifier of the source's; 0 = its default set. Default: 0.
  std::uint64_t premise_scope = 0;
};

// One candidate tactic and its score (natural-log probability of the whole
// tactic under the model; higher is better).
struct Candidate {
  std::string tactic;
  double logprob = 0.0;

  friend bool operator==(const Candidate&, const Candidate&) = default;
};

class TacticGenerator {
 public:
  virtual ~TacticGenerator() = default;

  // Returns one list per request, in request order. Each list is in the
  // generator's own order (search sorts by logprob, keeping this order on
  // ties). Throws on misuse or on a failure of the generator itself (model
  // missing, server unreachable after retries); an empty list is a valid
  // answer ("no candidates").
  virtual std::vector<std::vector<Candidate>> Generate(
      const std::vector<GenerationRequest>& batch) = 0;

  // A short description for logs and result files, e.g. "fixed:simp,omega".
  virtual std::string Describe() const = 0;

  // True when the answer to a request depends on the request alone (asked
  // twice, or in another batch, or earlier than needed: the same list, up to
  // floating-point differences between batch shapes, see below). Only then
  // may a search ask for a state's candidates ahead of need
  // (SearchOptions::speculation_depth > 0) without changing its results.
  //
  // A model that runs a batch as one tensor computation (TorchScript
  // decoding, and retrieval's batched encoder in front of it) may round
  // differently for another batch shape, so the same request can get
  // log-probs that differ in the last bits, and on a near tie another order
  // or another beam. Such a generator still counts as deterministic: its
  // results are identical whenever batches are formed the same way, and
  // otherwise differ only where a float-level difference decides. Default:
  // false.
  virtual bool Deterministic() const { return false; }

  // True when a call costs next to nothing (answers from a table in
  // memory), so that gathering the calls of several searches into batches
  // and asking ahead of need (speculation), which hide a model's latency,
  // would only add thread hand-offs; `tatami prove` then calls it directly.
  // Default: false.
  virtual bool AnswersAtOnce() const { return false; }
};

}  // namespace tatami::search
