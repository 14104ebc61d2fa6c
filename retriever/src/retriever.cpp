#include <limits>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "gemm_scan.h"
#include "masked_scan.h"
#include "query_batch.h"
#include "scan_thread_pool.h"
#include "score_kernels.h"
#include "tatami/retriever/retrieval.h"

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

bool CpuHasAvx512Kernels() {
  static const bool ok = [] {
    __builtin_cpu_init();
    return CpuHasAvx2Kernels() && __builtin_cpu_supports("avx512f");
  }();
  return ok;
}

}  // namespace internal

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

float ScoreOf(const EmbeddingMatrix& matrix, std::size_t row, std::span<const float> query) {
  if (row >= matrix.rows || query.size() != matrix.dim) {
    throw std::invalid_argument("ScoreOf: row or query size out of range");
  }
  const std::vector<float> q = internal::PadQueries(query, 1, matrix.dim, matrix.row_stride);
  return internal::RowDot(internal::ScalarKernels(), matrix, q.data(), row);
}

struct Retriever::Impl {
  explicit Impl(unsigned threads) : pool(threads) {}
  internal::ScanThreadPool pool;
  const internal::DotKernels* simd = nullptr;  // nullptr when the CPU lacks AVX2/FMA/F16C
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
  if (internal::CpuHasAvx512Kernels()) {
    impl_->simd = &internal::Avx512Kernels();
  } else if (internal::CpuHasAvx2Kernels()) {
    impl_->simd = &internal::Avx2Kernels();
  }
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
  const internal::QueryBatch batch(matrix_, queries, masks, k);
  if (batch.size() == 0) return {};
  const RetrievalKernel kernel = KernelFor(batch.size());
  const internal::DotKernels& dots =
      kernel == RetrievalKernel::kScalar || !impl_->simd ? internal::ScalarKernels() : *impl_->simd;
  if (kernel != RetrievalKernel::kGemm)
    return internal::MaskedScan(matrix_, dots, batch, impl_->pool);
  // An index stores its largest row norm; a bare matrix may not know it.
  std::call_once(impl_->norm_once, [&] {
    if (impl_->max_row_norm <= 0) impl_->max_row_norm = internal::MaxRowNorm(matrix_, dots);
  });
  return internal::GemmScan(matrix_, dots, batch, impl_->max_row_norm, options_.gemm_block_rows,
                            impl_->pool);
}

}  // namespace tatami::retriever
