// QueryBatch: the queries of one Retrieve/RetrieveBatch call, checked and laid
// out for the scans: each query copied into a zero-padded row of row_stride
// floats (the kernels then run over whole 8-float chunks), and the union of
// the masks (rows that some query may see; every other row is skipped).
//
// Thread-safety: a value; const members may be called from many threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "tatami/retriever/access_mask.h"
#include "tatami/retriever/embedding_matrix.h"

namespace tatami::retriever::internal {

class QueryBatch {
 public:
  // Throws std::invalid_argument naming the problem when k <= 0, `queries`
  // is not masks.size() rows of m.dim values, a mask is null or of another
  // size than m.rows, or a query value is not finite. `masks` must outlive
  // the batch.
  QueryBatch(const EmbeddingMatrix& m, std::span<const float> queries,
             std::span<const AccessMask* const> masks, int k);

  std::size_t size() const { return masks_.size(); }
  // Answers per query: min(k, rows).
  std::size_t k() const { return k_; }
  const float* query(std::size_t q) const { return padded_.data() + q * stride_; }
  const float* padded() const { return padded_.data(); }
  const AccessMask& mask(std::size_t q) const { return *masks_[q]; }
  std::span<const std::uint64_t> union_words() const { return union_; }

 private:
  std::size_t stride_;
  std::size_t k_ = 0;
  std::vector<float> padded_;
  std::span<const AccessMask* const> masks_;
  std::vector<std::uint64_t> union_;
};

// `count` queries of `dim` values copied into zero-padded rows of `stride`.
std::vector<float> PadQueries(std::span<const float> queries, std::size_t count, std::size_t dim,
                              std::size_t stride);

}  // namespace tatami::retriever::internal
