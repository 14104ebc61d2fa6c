#include "gemm_scan.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include <cblas.h>

#include "top_k.h"

namespace tatami::retriever::internal {
namespace {

// Keeps the k best GEMM scores plus every premise that might still belong to
// the exact top-k: with |gemm - exact| <= slack/2 for every premise, anything
// whose GEMM score is below (k-th best GEMM score) - slack cannot be in it.
class GemmCollector {
 public:
  GemmCollector(std::size_t k, double slack) : top_(k), slack_(slack) {}

  void Push(float score, std::uint32_t index) {
    if (top_.full() && static_cast<double>(score) < Threshold()) return;
    Scored out;
    if (top_.PushEvict(score, index, &out) && static_cast<double>(out.score) >= Threshold()) {
      extra_.push_back(out);
      if (extra_.size() > 4 * top_.k() + 1024) Prune();
    }
  }

  std::vector<std::uint32_t> Candidates() {
    Prune();
    std::vector<std::uint32_t> out;
    out.reserve(top_.entries().size() + extra_.size());
    for (const Scored& s : top_.entries()) out.push_back(s.index);
    for (const Scored& s : extra_) out.push_back(s.index);
    return out;
  }

 private:
  double Threshold() const {
    return top_.full() ? static_cast<double>(top_.worst().score) - slack_
                       : -std::numeric_limits<double>::infinity();
  }
  void Prune() {
    const double t = Threshold();
    std::erase_if(extra_, [t](const Scored& s) { return static_cast<double>(s.score) < t; });
  }

  TopK top_;
  double slack_;
  std::vector<Scored> extra_;
};

// One collector per query. The rounding error of any summation order of a dot
// product of length n is at most gamma_n * sum |q_i r_i| <= gamma_n * |q| * |r|;
// the slack is twice that, widened for the rounding of the bound itself.
std::vector<GemmCollector> MakeCollectors(const EmbeddingMatrix& m, const QueryBatch& batch,
                                          float max_row_norm) {
  const double u = std::ldexp(1.0, -24);
  const double n = static_cast<double>(m.dim) + 8;
  const double gamma = n * u / (1 - n * u);
  std::vector<GemmCollector> collectors;
  collectors.reserve(batch.size());
  for (std::size_t q = 0; q < batch.size(); ++q) {
    double norm = 0;
    for (std::size_t i = 0; i < m.dim; ++i) {
      norm += static_cast<double>(batch.query(q)[i]) * batch.query(q)[i];
    }
    const double bound = gamma * std::sqrt(norm) * 1.001 * max_row_norm * 1.001;
    collectors.emplace_back(batch.k(), 2 * bound * 1.0625 + 1e-30);
  }
  return collectors;
}

}  // namespace

float MaxRowNorm(const EmbeddingMatrix& m, const DotKernels& dots) {
  std::vector<float> row(m.row_stride);
  double best = 0;
  for (std::size_t r = 0; r < m.rows; ++r) {
    if (m.type == EmbeddingType::kF32) {
      std::memcpy(row.data(), static_cast<const float*>(m.data) + r * m.row_stride,
                  m.row_stride * sizeof(float));
    } else {
      dots.half_to_float(static_cast<const std::uint16_t*>(m.data) + r * m.row_stride, row.data(),
                         m.row_stride);
    }
    double s = 0;
    for (float v : row) s += static_cast<double>(v) * v;
    best = std::max(best, s);
  }
  return static_cast<float>(std::sqrt(best));
}

std::vector<std::vector<Hit>> GemmScan(const EmbeddingMatrix& m, const DotKernels& dots,
                                       const QueryBatch& batch, float max_row_norm,
                                       std::size_t block_rows, ScanThreadPool& pool) {
  const std::size_t nq = batch.size();
  const unsigned threads = pool.size();
  const auto any = batch.union_words();
  std::vector<GemmCollector> collectors = MakeCollectors(m, batch, max_row_norm);
  const std::size_t block = std::max<std::size_t>(64, block_rows / 64 * 64);
  std::vector<float> scores(nq * block);
  std::vector<float> converted(m.type == EmbeddingType::kF16 ? block * m.row_stride : 0);
  for (std::size_t r0 = 0; r0 < m.rows; r0 += block) {
    const std::size_t rows = std::min(block, m.rows - r0);
    bool needed = false;
    for (std::size_t w = r0 / 64; w < (r0 + rows + 63) / 64 && !needed; ++w) needed = any[w] != 0;
    if (!needed) continue;
    const float* base;
    if (m.type == EmbeddingType::kF32) {
      base = static_cast<const float*>(m.data) + r0 * m.row_stride;
    } else {
      pool.Run([&](unsigned t) {
        const std::size_t b = rows * t / threads, e = rows * (t + 1) / threads;
        dots.half_to_float(static_cast<const std::uint16_t*>(m.data) + (r0 + b) * m.row_stride,
                           converted.data() + b * m.row_stride, (e - b) * m.row_stride);
      });
      base = converted.data();
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(nq),
                static_cast<int>(rows), static_cast<int>(m.dim), 1.0f, batch.padded(),
                static_cast<int>(m.row_stride), base, static_cast<int>(m.row_stride), 0.0f,
                scores.data(), static_cast<int>(rows));
    pool.Run([&](unsigned t) {
      for (std::size_t q = t; q < nq; q += threads) {
        const auto mw = batch.mask(q).words();
        const float* s = scores.data() + q * rows;
        for (std::size_t w = r0 / 64; w * 64 < r0 + rows; ++w) {
          for (std::uint64_t bits = mw[w]; bits != 0; bits &= bits - 1) {
            const std::size_t r = w * 64 + static_cast<std::size_t>(std::countr_zero(bits));
            collectors[q].Push(s[r - r0], static_cast<std::uint32_t>(r));
          }
        }
      }
    });
  }
  // Exact rescoring of the candidates in the fixed order.
  std::vector<std::vector<Hit>> results(nq);
  pool.Run([&](unsigned t) {
    for (std::size_t q = t; q < nq; q += threads) {
      std::vector<Scored> exact;
      for (std::uint32_t r : collectors[q].Candidates()) {
        exact.push_back({RowDot(dots, m, batch.query(q), r), r});
      }
      results[q] = ToHits(exact, batch.k());
    }
  });
  return results;
}

}  // namespace tatami::retriever::internal
