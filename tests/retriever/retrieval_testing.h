// Shared helpers for the retriever tests: random corpora and embeddings, and
// the brute-force reference answer.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <vector>

#include "tatami/retriever/access_mask.h"
#include "tatami/retriever/corpus.h"
#include "tatami/retriever/embedding_matrix.h"
#include "tatami/retriever/retrieval.h"

namespace tatami::retriever::testing {

// Brute force: score every accessible row with ScoreOf, sort by (score desc,
// index asc), keep k.
inline std::vector<Hit> BruteForce(const EmbeddingMatrix& m, std::span<const float> query,
                                   const AccessMask& mask, int k) {
  std::vector<Hit> all;
  for (std::size_t r = 0; r < m.rows; ++r) {
    if (mask.Test(r)) all.push_back({static_cast<std::uint32_t>(r), ScoreOf(m, r, query)});
  }
  std::sort(all.begin(), all.end(), [](const Hit& a, const Hit& b) {
    return a.score != b.score ? a.score > b.score : a.premise < b.premise;
  });
  if (all.size() > static_cast<std::size_t>(k)) all.resize(static_cast<std::size_t>(k));
  return all;
}

inline AccessMask RandomMask(std::size_t n, double p, std::mt19937& rng) {
  AccessMask m(n);
  std::bernoulli_distribution keep(p);
  for (std::size_t i = 0; i < n; ++i) {
    if (keep(rng)) m.Set(i);
  }
  return m;
}

// A corpus of `files` files with `per_file` premises each, file i importing
// file i - 1 (so accessibility at file i is everything before it).
inline Corpus ChainCorpus(int files, int per_file) {
  std::vector<CorpusFile> fs(static_cast<std::size_t>(files));
  std::vector<Premise> ps;
  for (int f = 0; f < files; ++f) {
    fs[static_cast<std::size_t>(f)].path = "Dir/File" + std::to_string(f) + ".lean";
    if (f > 0)
      fs[static_cast<std::size_t>(f)].imports = {"Dir/File" + std::to_string(f - 1) + ".lean"};
    for (int p = 0; p < per_file; ++p) {
      Premise pr;
      pr.full_name = "Ns.thm" + std::to_string(f) + "_" + std::to_string(p);
      pr.file = static_cast<std::uint32_t>(f);
      pr.start = {p * 3 + 1, 1};
      pr.end = {p * 3 + 2, 10};
      pr.kind = p % 2 ? "commanddeclaration" : "theorem";
      pr.code = "theorem " + pr.full_name + " : True := trivial";
      ps.push_back(pr);
    }
  }
  return Corpus::FromParts(fs, ps);
}

}  // namespace tatami::retriever::testing
