// Dot-product kernels. Every implementation computes the same value bit for
// bit: over n elements (n a multiple of 8, zero padding allowed), chunk c of
// 8 elements is fused-multiply-added into accumulator c % 4 lane by lane;
// the accumulators are then summed as (a0 + a1) + (a2 + a3), and the 8 lanes
// as ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)).
#pragma once

#include <cstddef>
#include <cstdint>

#include "tatami/retriever/embedding_matrix.h"

namespace tatami::retriever::internal {

struct DotKernels {
  const char* name;
  float (*dot_f32)(const float* q, const float* row, std::size_t n);
  float (*dot_f16)(const float* q, const std::uint16_t* row, std::size_t n);
  // Two queries against one row (the row is read once).
  void (*dot2_f32)(const float* q0, const float* q1, const float* row, std::size_t n, float* out);
  void (*dot2_f16)(const float* q0, const float* q1, const std::uint16_t* row, std::size_t n,
                   float* out);
  // One query against many rows of a matrix (`matrix` + rows[i] * n elements),
  // out[i] = dot(q, row rows[i]). The SIMD versions score several rows at a
  // time with independent accumulators and request the lines of the listed
  // rows ahead of their reads (AVX2: row_stream_prefetch.h; AVX-512: see
  // score_kernels_avx512.cpp), because a masked scan reads scattered rows
  // that the hardware prefetcher cannot anticipate.
  void (*score_rows_f32)(const float* q, const float* matrix, std::size_t n,
                         const std::uint32_t* rows, std::size_t count, float* out);
  void (*score_rows_f16)(const float* q, const std::uint16_t* matrix, std::size_t n,
                         const std::uint32_t* rows, std::size_t count, float* out);
  void (*half_to_float)(const std::uint16_t* in, float* out, std::size_t n);
};

// The AVX-512 row scoring's schedule (score_kernels_avx512.cpp says why):
// how many listed rows it reads side by side, each as a stream of its own,
// and how far ahead of its reads each stream requests lines. The masked scan
// and the retrieval benchmark's read probe follow the same schedule.
inline constexpr std::size_t kRowsReadTogether = 12;
inline constexpr std::size_t kStreamPrefetchBytes = 512;

const DotKernels& ScalarKernels();
// AVX2+FMA+F16C kernels; only call after CpuHasAvx2Kernels().
const DotKernels& Avx2Kernels();
bool CpuHasAvx2Kernels();
// The AVX2 set with AVX-512F row scoring; only call after CpuHasAvx512Kernels().
const DotKernels& Avx512Kernels();
// AVX2 kernels plus AVX-512F (with the OS saving its registers).
bool CpuHasAvx512Kernels();

// Row `row` of `m` against a query padded to m.row_stride floats.
inline float RowDot(const DotKernels& k, const EmbeddingMatrix& m, const float* q,
                    std::size_t row) {
  if (m.type == EmbeddingType::kF32) {
    return k.dot_f32(q, static_cast<const float*>(m.data) + row * m.row_stride, m.row_stride);
  }
  return k.dot_f16(q, static_cast<const std::uint16_t*>(m.data) + row * m.row_stride, m.row_stride);
}

// Two padded queries against row `row` of `m` (the row is read once).
inline void RowDot2(const DotKernels& k, const EmbeddingMatrix& m, const float* q0, const float* q1,
                    std::size_t row, float* out) {
  if (m.type == EmbeddingType::kF32) {
    k.dot2_f32(q0, q1, static_cast<const float*>(m.data) + row * m.row_stride, m.row_stride, out);
  } else {
    k.dot2_f16(q0, q1, static_cast<const std::uint16_t*>(m.data) + row * m.row_stride, m.row_stride,
               out);
  }
}

// One padded query against the listed rows of `m`.
inline void ScoreRows(const DotKernels& k, const EmbeddingMatrix& m, const float* q,
                      const std::uint32_t* rows, std::size_t count, float* out) {
  if (m.type == EmbeddingType::kF32) {
    k.score_rows_f32(q, static_cast<const float*>(m.data), m.row_stride, rows, count, out);
  } else {
    k.score_rows_f16(q, static_cast<const std::uint16_t*>(m.data), m.row_stride, rows, count, out);
  }
}

}  // namespace tatami::retriever::internal
