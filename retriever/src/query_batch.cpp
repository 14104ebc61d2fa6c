#include "query_batch.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace tatami::retriever::internal {

std::vector<float> PadQueries(std::span<const float> queries, std::size_t count, std::size_t dim,
                              std::size_t stride) {
  std::vector<float> out(count * stride, 0.0f);
  for (std::size_t q = 0; q < count; ++q) {
    std::memcpy(out.data() + q * stride, queries.data() + q * dim, dim * sizeof(float));
  }
  return out;
}

QueryBatch::QueryBatch(const EmbeddingMatrix& m, std::span<const float> queries,
                       std::span<const AccessMask* const> masks, int k)
    : stride_(m.row_stride), masks_(masks) {
  const std::size_t nq = masks.size();
  if (k <= 0) throw std::invalid_argument(fmt::format("retrieve: k must be positive, got {}", k));
  if (queries.size() != nq * m.dim) {
    throw std::invalid_argument(
        fmt::format("retrieve: expected {} queries of dimension {} ({} floats), got {} floats", nq,
                    m.dim, nq * m.dim, queries.size()));
  }
  for (std::size_t q = 0; q < nq; ++q) {
    if (masks[q] == nullptr || masks[q]->size() != m.rows) {
      throw std::invalid_argument(
          fmt::format("retrieve: mask {} covers {} premises, the index has {}", q,
                      masks[q] ? masks[q]->size() : 0, m.rows));
    }
  }
  for (float v : queries) {
    if (!std::isfinite(v)) throw std::invalid_argument("retrieve: query has a non-finite value");
  }
  k_ = std::min<std::size_t>(static_cast<std::size_t>(k), m.rows);
  padded_ = PadQueries(queries, nq, m.dim, m.row_stride);
  union_.assign((m.rows + 63) / 64, 0);
  for (std::size_t q = 0; q < nq; ++q) {
    const auto w = masks[q]->words();
    for (std::size_t i = 0; i < union_.size(); ++i) union_[i] |= w[i];
  }
}

}  // namespace tatami::retriever::internal
