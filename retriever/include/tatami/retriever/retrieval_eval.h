// Evaluation of premise retrieval on a LeanDojo Benchmark split, with the
// metrics ReProver reports (its retrieval/evaluate.py):
//
// Every traced tactic of every theorem is one query: its state_before,
// asked at the theorem's file and start position. Its ground truth is the set
// of distinct corpus premises its annotated_tactic names, each located by
// (def_path, def_pos) as the premise of that file whose [start, end] span
// contains def_pos; annotations that locate nothing are dropped (and
// counted). Tactics with no located premise are not evaluated. For a query
// with ground truth P and ranked retrieval r_1, r_2, ...:
//
//   Recall@k = |P ∩ {r_1..r_k}| / |P|          (averaged, in percent)
//   MRR      = 1 / (first i with r_i in P), 0 if none was retrieved
//
// so Recall@1 of a query with two positives is at most 50%, as in ReProver.
//
// Thread-safety: the free functions are safe from any thread; RankingMetrics
// and PremiseLocator are not thread-safe for writes, const members are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tatami/retriever/corpus.h"
#include "tatami/retriever/premise_index.h"

namespace tatami::retriever {

// A premise named by a tactic annotation.
struct AnnotatedPremise {
  std::string full_name;
  std::string def_path;
  Pos def_pos;
};

// One traced tactic of a theorem: a retrieval query.
struct EvalTactic {
  std::string theorem_path;  // file_path of the theorem
  std::string theorem_name;  // full_name of the theorem
  Pos theorem_start;         // where accessibility is computed (ReProver's theorem_pos)
  std::size_t tactic_index = 0;
  std::string state_before;
  std::vector<AnnotatedPremise> premises;
};

// A split file that cannot be used; what() names the file, the theorem (by
// index and name) and the field.
class SplitError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads a LeanDojo Benchmark split (a JSON list of theorems with
// "file_path", "full_name", "start" and "traced_tactics", each tactic with
// "state_before" and "annotated_tactic": [text, [{full_name, def_path,
// def_pos}, ...]]). Throws SplitError.
std::vector<EvalTactic> LoadLeanDojoSplit(const std::filesystem::path& path);

// Finds premises of an index by (file, position), as ReProver's
// Corpus.locate_premise does.
class PremiseLocator {
 public:
  explicit PremiseLocator(const PremiseIndex& index);
  // The first premise of `path` whose start <= pos <= end, if any.
  std::optional<std::uint32_t> Locate(std::string_view path, Pos pos) const;

 private:
  const PremiseIndex& index_;
  std::unordered_map<std::string, std::pair<std::uint32_t, std::uint32_t>> ranges_;  // first, count
};

// Recall@k and MRR accumulated over queries.
class RankingMetrics {
 public:
  // Adds one query: `ranked` is the retrieval, best first; `positives` its
  // ground truth (duplicates are ignored). A query without positives is
  // ignored, as in ReProver. Returns whether the query was counted.
  bool Add(std::span<const std::uint32_t> ranked, std::span<const std::uint32_t> positives);

  std::size_t queries() const { return positives_.size(); }
  // Mean Recall@k in percent; 0 when no query was added. k >= 1.
  double RecallAt(std::size_t k) const;
  // Mean reciprocal rank of the first positive, in [0, 1]; 0 when empty.
  double Mrr() const;

 private:
  // Per query: number of distinct positives and the sorted 1-based ranks at
  // which positives were retrieved.
  std::vector<std::size_t> positives_;
  std::vector<std::vector<std::size_t>> hit_ranks_;
};

}  // namespace tatami::retriever
