// Retriever: exact masked top-k of premises by dot product with a query
// embedding.
//
// Exactness. A premise's score is its dot product with the query computed in
// one fixed order (ScoreOf below: 32 interleaved partial sums with fused
// multiply-add, then a fixed reduction tree); the SIMD kernels, the scalar
// fallback and the brute-force reference all compute exactly this value. The
// answer is the k accessible premises with the highest score, ties broken by
// the lower premise index, highest first. The GEMM path (OpenBLAS sgemm, for
// batches) sums in another order; it keeps every premise whose GEMM score is
// within a proven rounding bound of the k-th best, rescores those in the
// fixed order and selects again, so its answers are identical too.
//
// Work is split by rows across a small persistent pool of threads; each keeps
// a local top-k into which masked premises never enter (masked rows are not
// even read), and the local results are merged.
//
// Thread-safety: thread-safe; concurrent calls share the pool and run one
// after another.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "tatami/retriever/access_mask.h"
#include "tatami/retriever/embedding_matrix.h"

namespace tatami::retriever {

struct Hit {
  std::uint32_t premise = 0;  // row of the embedding matrix = corpus premise index
  float score = 0;
  friend bool operator==(const Hit&, const Hit&) = default;
};

// How scores are computed. Every choice gives identical answers.
enum class RetrievalKernel {
  kAuto,    // best available: SIMD when the CPU has it, GEMM for large batches
  kScalar,  // portable scalar code (any CPU)
  kSimd,    // AVX2+FMA+F16C; falls back to kScalar on CPUs without them
  kGemm,    // OpenBLAS sgemm then exact rescoring of the candidates
};

std::string_view ToString(RetrievalKernel kernel);

struct RetrieverOptions {
  // Threads that scan the matrix (including the calling thread). 0 = one per
  // hardware thread. Default: 0.
  unsigned threads = 0;

  // Which kernel to use. Default: kAuto.
  RetrievalKernel kernel = RetrievalKernel::kAuto;

  // With kAuto, batches of at least this many queries use the GEMM path.
  // Default: 32 (bench/run_retrieval.sh on a 2-core AVX2 machine: at 16
  // queries the fused SIMD scan was about twice as fast as GEMM, at 64 GEMM
  // was ahead).
  std::size_t gemm_min_batch = 32;

  // Rows per GEMM block (bounds the scratch score matrix to
  // batch x gemm_block_rows floats). Default: 8192.
  std::size_t gemm_block_rows = 8192;
};

// True when this CPU runs the SIMD kernel (AVX2, FMA and F16C).
bool CpuHasSimdKernel();

// The score of one premise row against a query in the fixed order every
// kernel reproduces (`row` is f32 or f16 according to `matrix.type`).
float ScoreOf(const EmbeddingMatrix& matrix, std::size_t row, std::span<const float> query);

class Retriever {
 public:
  // `matrix` must outlive the retriever.
  explicit Retriever(const EmbeddingMatrix& matrix, const RetrieverOptions& options = {});
  ~Retriever();
  Retriever(const Retriever&) = delete;
  Retriever& operator=(const Retriever&) = delete;

  const EmbeddingMatrix& matrix() const { return matrix_; }
  unsigned threads() const;
  // The kernel that kAuto and kSimd resolve to on this CPU for a batch of n.
  RetrievalKernel KernelFor(std::size_t batch) const;

  // The min(k, mask.Count()) best accessible premises, best first. Throws
  // std::invalid_argument when k <= 0, query.size() != matrix().dim or
  // mask.size() != matrix().rows.
  std::vector<Hit> Retrieve(std::span<const float> query, const AccessMask& mask, int k) const;

  // Many queries at once: `queries` is row-major, masks.size() queries of
  // matrix().dim values; result i answers query i with masks[i].
  std::vector<std::vector<Hit>> RetrieveBatch(std::span<const float> queries,
                                              std::span<const AccessMask* const> masks,
                                              int k) const;

 private:
  struct Impl;
  EmbeddingMatrix matrix_;
  RetrieverOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tatami::retriever
