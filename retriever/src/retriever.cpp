#include <atomic>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <cblas.h>
#include <fmt/format.h>

#include "score_kernels.h"
#include "tatami/retriever/retrieval.h"
#include "top_k.h"
#include "worker_pool.h"

namespace tatami::retriever {
namespace internal {

bool CpuHasAvx2Kernels() {
  static const bool ok = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
           __builtin_cpu_supports("f16c");
  }();
  return ok;
}

}  // namespace internal

using internal::DotKernels;
using internal::Scored;
using internal::TopK;

bool CpuHasSimdKernel() { return internal::CpuHasAvx2Kernels(); }

std::string_view ToString(RetrievalKernel kernel) {
  switch (kernel) {
    case RetrievalKernel::kAuto:
      return "auto";
    case RetrievalKernel::kScalar:
      return "scalar";
    case RetrievalKernel::kSimd:
      return "simd";
    case RetrievalKernel::kGemm:
      return "gemm";
  }
  return "unknown";
}

namespace {

// A query copied into a zero-padded buffer of row_stride floats, so the
// kernels run over whole 8-float chunks.
std::vector<float> PadQueries(std::span<const float> queries, std::size_t count, std::size_t dim,
                              std::size_t stride) {
  std::vector<float> out(count * stride, 0.0f);
  for (std::size_t q = 0; q < count; ++q) {
    std::memcpy(out.data() + q * stride, queries.data() + q * dim, dim * sizeof(float));
  }
  return out;
}

float Dot(const DotKernels& k, const EmbeddingMatrix& m, const float* q, std::size_t row) {
  if (m.type == EmbeddingType::kF32) {
    return k.dot_f32(q, static_cast<const float*>(m.data) + row * m.row_stride, m.row_stride);
  }
  return k.dot_f16(q, static_cast<const std::uint16_t*>(m.data) + row * m.row_stride, m.row_stride);
}

void Dot2(const DotKernels& k, const EmbeddingMatrix& m, const float* q0, const float* q1,
          std::size_t row, float* out) {
  if (m.type == EmbeddingType::kF32) {
    k.dot2_f32(q0, q1, static_cast<const float*>(m.data) + row * m.row_stride, m.row_stride, out);
  } else {
    k.dot2_f16(q0, q1, static_cast<const std::uint16_t*>(m.data) + row * m.row_stride, m.row_stride,
               out);
  }
}

std::vector<Hit> ToHits(std::vector<Scored>& v, std::size_t k) {
  internal::SortAndTruncate(v, k);
  std::vector<Hit> hits;
  hits.reserve(v.size());
  for (const Scored& s : v) hits.push_back({s.index, s.score});
  return hits;
}

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

}  // namespace

float ScoreOf(const EmbeddingMatrix& matrix, std::size_t row, std::span<const float> query) {
  if (row >= matrix.rows || query.size() != matrix.dim) {
    throw std::invalid_argument("ScoreOf: row or query size out of range");
  }
  const std::vector<float> q = PadQueries(query, 1, matrix.dim, matrix.row_stride);
  return Dot(internal::ScalarKernels(), matrix, q.data(), row);
}

struct Retriever::Impl {
  explicit Impl(unsigned threads) : pool(threads) {}
  internal::WorkerPool pool;
  const DotKernels* simd = nullptr;  // nullptr when the CPU lacks AVX2/FMA/F16C
  std::once_flag norm_once;
  float max_row_norm = 0;
};

Retriever::Retriever(const EmbeddingMatrix& matrix, const RetrieverOptions& options)
    : matrix_(matrix), options_(options) {
  if (matrix_.rows > 0 && matrix_.data == nullptr) {
    throw std::invalid_argument("Retriever: matrix has rows but no data");
  }
  if (reinterpret_cast<std::uintptr_t>(matrix_.data) % 64 != 0) {
    throw std::invalid_argument("Retriever: matrix data must be 64-byte aligned");
  }
  if (matrix_.dim == 0 || matrix_.row_stride != PaddedRowElements(matrix_.dim, matrix_.type)) {
    throw std::invalid_argument(fmt::format("Retriever: row stride {} does not match dim {} ({})",
                                            matrix_.row_stride, matrix_.dim,
                                            ToString(matrix_.type)));
  }
  if (matrix_.rows > std::numeric_limits<std::uint32_t>::max()) {
    throw std::invalid_argument("Retriever: more than 2^32 rows");
  }
  unsigned threads = options_.threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  impl_ = std::make_unique<Impl>(threads);
  if (internal::CpuHasAvx2Kernels()) impl_->simd = &internal::Avx2Kernels();
  impl_->max_row_norm = matrix_.max_row_norm;
}

Retriever::~Retriever() = default;

unsigned Retriever::threads() const { return impl_->pool.size(); }

RetrievalKernel Retriever::KernelFor(std::size_t batch) const {
  switch (options_.kernel) {
    case RetrievalKernel::kAuto:
      if (batch >= options_.gemm_min_batch) return RetrievalKernel::kGemm;
      return impl_->simd ? RetrievalKernel::kSimd : RetrievalKernel::kScalar;
    case RetrievalKernel::kSimd:
      return impl_->simd ? RetrievalKernel::kSimd : RetrievalKernel::kScalar;
    default:
      return options_.kernel;
  }
}

std::vector<Hit> Retriever::Retrieve(std::span<const float> query, const AccessMask& mask,
                                     int k) const {
  const AccessMask* masks[] = {&mask};
  auto out = RetrieveBatch(query, masks, k);
  return std::move(out.front());
}

std::vector<std::vector<Hit>> Retriever::RetrieveBatch(std::span<const float> queries,
                                                       std::span<const AccessMask* const> masks,
                                                       int k) const {
  const EmbeddingMatrix& m = matrix_;
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
  std::vector<std::vector<Hit>> results(nq);
  if (nq == 0) return results;
  const std::size_t kk = std::min<std::size_t>(static_cast<std::size_t>(k), m.rows);
  const std::vector<float> padded = PadQueries(queries, nq, m.dim, m.row_stride);
  auto query = [&](std::size_t q) { return padded.data() + q * m.row_stride; };
  const RetrievalKernel kernel = KernelFor(nq);
  const DotKernels& dots =
      kernel == RetrievalKernel::kScalar || !impl_->simd ? internal::ScalarKernels() : *impl_->simd;
  const unsigned threads = impl_->pool.size();
  const std::size_t words = (m.rows + 63) / 64;

  // Rows any query may see; threads split them evenly by count.
  std::vector<std::uint64_t> any(words, 0);
  for (std::size_t q = 0; q < nq; ++q) {
    const auto w = masks[q]->words();
    for (std::size_t i = 0; i < words; ++i) any[i] |= w[i];
  }

  if (kernel != RetrievalKernel::kGemm) {
    // Threads take chunks of rows from a shared counter rather than fixed
    // halves, so a thread that is descheduled (a busy machine) or a mask that
    // is dense in one region does not leave the other thread idle.
    constexpr std::size_t kChunkWords = 16;
    std::atomic<std::size_t> next_chunk{0};
    std::vector<std::vector<TopK>> tops(threads, std::vector<TopK>(nq, TopK(kk)));
    impl_->pool.Run([&](unsigned t) {
      std::vector<TopK>& mine = tops[t];
      for (;;) {
        const std::size_t first = next_chunk.fetch_add(1, std::memory_order_relaxed) * kChunkWords;
        if (first >= words) break;
        for (std::size_t w = first; w < std::min(words, first + kChunkWords); ++w) {
          if (any[w] == 0) continue;
          // The 64 rows of this word stay in cache while every query pair scans them.
          std::size_t q = 0;
          for (; q + 2 <= nq; q += 2) {
            const std::uint64_t m0 = masks[q]->words()[w], m1 = masks[q + 1]->words()[w];
            for (std::uint64_t bits = m0 | m1; bits != 0; bits &= bits - 1) {
              const std::size_t r = w * 64 + static_cast<std::size_t>(std::countr_zero(bits));
              const std::uint64_t bit = std::uint64_t{1} << (r & 63);
              if ((m0 & bit) && (m1 & bit)) {
                float s[2];
                Dot2(dots, m, query(q), query(q + 1), r, s);
                mine[q].Push(s[0], static_cast<std::uint32_t>(r));
                mine[q + 1].Push(s[1], static_cast<std::uint32_t>(r));
              } else {
                const std::size_t which = (m0 & bit) ? q : q + 1;
                mine[which].Push(Dot(dots, m, query(which), r), static_cast<std::uint32_t>(r));
              }
            }
          }
          if (q < nq) {
            for (std::uint64_t bits = masks[q]->words()[w]; bits != 0; bits &= bits - 1) {
              const std::size_t r = w * 64 + static_cast<std::size_t>(std::countr_zero(bits));
              mine[q].Push(Dot(dots, m, query(q), r), static_cast<std::uint32_t>(r));
            }
          }
        }
      }
    });
    for (std::size_t q = 0; q < nq; ++q) {
      std::vector<Scored> all;
      for (unsigned t = 0; t < threads; ++t) {
        all.insert(all.end(), tops[t][q].entries().begin(), tops[t][q].entries().end());
      }
      results[q] = ToHits(all, kk);
    }
    return results;
  }

  // GEMM path. The rounding error of any summation order of a dot product of
  // length n is at most gamma_n * sum |q_i r_i| <= gamma_n * |q| * |r|.
  std::call_once(impl_->norm_once, [&] {
    if (impl_->max_row_norm > 0) return;
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
    impl_->max_row_norm = static_cast<float>(std::sqrt(best));
  });
  const double u = std::ldexp(1.0, -24);
  const double n = static_cast<double>(m.dim) + 8;
  const double gamma = n * u / (1 - n * u);
  std::vector<GemmCollector> collectors;
  collectors.reserve(nq);
  for (std::size_t q = 0; q < nq; ++q) {
    double norm = 0;
    for (std::size_t i = 0; i < m.dim; ++i) norm += static_cast<double>(query(q)[i]) * query(q)[i];
    const double bound = gamma * std::sqrt(norm) * 1.001 * impl_->max_row_norm * 1.001;
    collectors.emplace_back(kk, 2 * bound * 1.0625 + 1e-30);
  }
  const std::size_t block = std::max<std::size_t>(64, options_.gemm_block_rows / 64 * 64);
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
      impl_->pool.Run([&](unsigned t) {
        const std::size_t b = rows * t / threads, e = rows * (t + 1) / threads;
        dots.half_to_float(static_cast<const std::uint16_t*>(m.data) + (r0 + b) * m.row_stride,
                           converted.data() + b * m.row_stride, (e - b) * m.row_stride);
      });
      base = converted.data();
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(nq),
                static_cast<int>(rows), static_cast<int>(m.dim), 1.0f, padded.data(),
                static_cast<int>(m.row_stride), base, static_cast<int>(m.row_stride), 0.0f,
                scores.data(), static_cast<int>(rows));
    impl_->pool.Run([&](unsigned t) {
      for (std::size_t q = t; q < nq; q += threads) {
        const auto mw = masks[q]->words();
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
  impl_->pool.Run([&](unsigned t) {
    for (std::size_t q = t; q < nq; q += threads) {
      std::vector<Scored> exact;
      for (std::uint32_t r : collectors[q].Candidates()) {
        exact.push_back({Dot(dots, m, query(q), r), r});
      }
      results[q] = ToHits(exact, kk);
    }
  });
  return results;
}

}  // namespace tatami::retriever
