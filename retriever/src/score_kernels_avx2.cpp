// AVX2 + FMA + F16C kernels (this file is compiled with -mavx2 -mfma -mf16c;
// nothing here runs before CpuHasAvx2Kernels() said yes).
#include <immintrin.h>

#include "row_stream_prefetch.h"
#include "score_kernels.h"

namespace tatami::retriever::internal {
namespace {

inline float Reduce(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
  const __m256 s = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
  const __m128 t = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  const __m128 u = _mm_add_ps(t, _mm_movehl_ps(t, t));
  return _mm_cvtss_f32(_mm_add_ss(u, _mm_shuffle_ps(u, u, 1)));
}

inline __m256 LoadRow(const float* row) { return _mm256_load_ps(row); }
inline __m256 LoadRow(const std::uint16_t* row) {
  return _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(row)));
}

template <typename T>
float Dot(const float* q, const T* row, std::size_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), LoadRow(row + i), a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), LoadRow(row + i + 8), a1);
    a2 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 16), LoadRow(row + i + 16), a2);
    a3 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 24), LoadRow(row + i + 24), a3);
  }
  if (i < n) {
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), LoadRow(row + i), a0);
    i += 8;
  }
  if (i < n) {
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), LoadRow(row + i), a1);
    i += 8;
  }
  if (i < n) {
    a2 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), LoadRow(row + i), a2);
  }
  return Reduce(a0, a1, a2, a3);
}

template <typename T>
void Dot2(const float* q0, const float* q1, const T* row, std::size_t n, float* out) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  __m256 b0 = a0, b1 = a0, b2 = a0, b3 = a0;
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m256 r = LoadRow(row + i);
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q0 + i), r, a0);
    b0 = _mm256_fmadd_ps(_mm256_loadu_ps(q1 + i), r, b0);
    r = LoadRow(row + i + 8);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q0 + i + 8), r, a1);
    b1 = _mm256_fmadd_ps(_mm256_loadu_ps(q1 + i + 8), r, b1);
    r = LoadRow(row + i + 16);
    a2 = _mm256_fmadd_ps(_mm256_loadu_ps(q0 + i + 16), r, a2);
    b2 = _mm256_fmadd_ps(_mm256_loadu_ps(q1 + i + 16), r, b2);
    r = LoadRow(row + i + 24);
    a3 = _mm256_fmadd_ps(_mm256_loadu_ps(q0 + i + 24), r, a3);
    b3 = _mm256_fmadd_ps(_mm256_loadu_ps(q1 + i + 24), r, b3);
  }
  if (i < n) {
    const __m256 r = LoadRow(row + i);
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q0 + i), r, a0);
    b0 = _mm256_fmadd_ps(_mm256_loadu_ps(q1 + i), r, b0);
    i += 8;
  }
  if (i < n) {
    const __m256 r = LoadRow(row + i);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q0 + i), r, a1);
    b1 = _mm256_fmadd_ps(_mm256_loadu_ps(q1 + i), r, b1);
    i += 8;
  }
  if (i < n) {
    const __m256 r = LoadRow(row + i);
    a2 = _mm256_fmadd_ps(_mm256_loadu_ps(q0 + i), r, a2);
    b2 = _mm256_fmadd_ps(_mm256_loadu_ps(q1 + i), r, b2);
  }
  out[0] = Reduce(a0, a1, a2, a3);
  out[1] = Reduce(b0, b1, b2, b3);
}

// Two rows against one query: the accumulators of the two rows are independent,
// so twice as many loads and FMAs are in flight as in Dot. `prefetch` is
// advanced by the lines read, keeping the listed rows that follow in flight
// across the gaps that masked-out rows leave (row_stream_prefetch.h). Each
// row's value is computed in exactly Dot's order.
template <typename T>
void DotRowPair(const float* q, const T* r0, const T* r1, std::size_t n,
                RowStreamPrefetcher& prefetch, float* out) {
  constexpr std::size_t kLinesPerStep = 2 * 32 * sizeof(T) / 64;
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  __m256 b0 = a0, b1 = a0, b2 = a0, b3 = a0;
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    prefetch.Advance(kLinesPerStep);
    __m256 x = _mm256_loadu_ps(q + i);
    a0 = _mm256_fmadd_ps(x, LoadRow(r0 + i), a0);
    b0 = _mm256_fmadd_ps(x, LoadRow(r1 + i), b0);
    x = _mm256_loadu_ps(q + i + 8);
    a1 = _mm256_fmadd_ps(x, LoadRow(r0 + i + 8), a1);
    b1 = _mm256_fmadd_ps(x, LoadRow(r1 + i + 8), b1);
    x = _mm256_loadu_ps(q + i + 16);
    a2 = _mm256_fmadd_ps(x, LoadRow(r0 + i + 16), a2);
    b2 = _mm256_fmadd_ps(x, LoadRow(r1 + i + 16), b2);
    x = _mm256_loadu_ps(q + i + 24);
    a3 = _mm256_fmadd_ps(x, LoadRow(r0 + i + 24), a3);
    b3 = _mm256_fmadd_ps(x, LoadRow(r1 + i + 24), b3);
  }
  // Up to 24 elements left: the lines they span, rounded down.
  prefetch.Advance(2 * (n - i) * sizeof(T) / 64);
  if (i < n) {
    const __m256 x = _mm256_loadu_ps(q + i);
    a0 = _mm256_fmadd_ps(x, LoadRow(r0 + i), a0);
    b0 = _mm256_fmadd_ps(x, LoadRow(r1 + i), b0);
    i += 8;
  }
  if (i < n) {
    const __m256 x = _mm256_loadu_ps(q + i);
    a1 = _mm256_fmadd_ps(x, LoadRow(r0 + i), a1);
    b1 = _mm256_fmadd_ps(x, LoadRow(r1 + i), b1);
    i += 8;
  }
  if (i < n) {
    const __m256 x = _mm256_loadu_ps(q + i);
    a2 = _mm256_fmadd_ps(x, LoadRow(r0 + i), a2);
    b2 = _mm256_fmadd_ps(x, LoadRow(r1 + i), b2);
  }
  out[0] = Reduce(a0, a1, a2, a3);
  out[1] = Reduce(b0, b1, b2, b3);
}

template <typename T>
void ScoreRows(const float* q, const T* matrix, std::size_t n, const std::uint32_t* rows,
               std::size_t count, float* out) {
  if (count == 0) return;
  auto row = [&](std::size_t i) { return matrix + std::size_t{rows[i]} * n; };
  std::size_t i = 0;
  if (count >= 2) {
    RowStreamPrefetcher prefetch(matrix, n * sizeof(T), rows, count, /*rows_together=*/2);
    for (; i + 2 <= count; i += 2) DotRowPair(q, row(i), row(i + 1), n, prefetch, out + i);
  }
  if (i < count) out[i] = Dot(q, row(i), n);
}

float DotF32(const float* q, const float* row, std::size_t n) { return Dot(q, row, n); }
float DotF16(const float* q, const std::uint16_t* row, std::size_t n) { return Dot(q, row, n); }
void Dot2F32(const float* q0, const float* q1, const float* row, std::size_t n, float* out) {
  Dot2(q0, q1, row, n, out);
}
void Dot2F16(const float* q0, const float* q1, const std::uint16_t* row, std::size_t n,
             float* out) {
  Dot2(q0, q1, row, n, out);
}

void ScoreRowsF32(const float* q, const float* matrix, std::size_t n, const std::uint32_t* rows,
                  std::size_t count, float* out) {
  ScoreRows(q, matrix, n, rows, count, out);
}
void ScoreRowsF16(const float* q, const std::uint16_t* matrix, std::size_t n,
                  const std::uint32_t* rows, std::size_t count, float* out) {
  ScoreRows(q, matrix, n, rows, count, out);
}

void HalfRow(const std::uint16_t* in, float* out, std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(out + i,
                     _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i))));
  }
  for (; i < n; ++i) out[i] = _cvtsh_ss(in[i]);
}

}  // namespace

const DotKernels& Avx2Kernels() {
  static const DotKernels kernels{"avx2",  DotF32,       DotF16,       Dot2F32,
                                  Dot2F16, ScoreRowsF32, ScoreRowsF16, HalfRow};
  return kernels;
}

}  // namespace tatami::retriever::internal
