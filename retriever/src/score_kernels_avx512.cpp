// AVX-512 row scoring (this file is compiled with -mavx512f -mavx2 -mfma
// -mf16c; nothing here runs before CpuHasAvx512Kernels() said yes). Only
// score_rows differs from the AVX2 set (and prefetches the same way, see
// row_stream_prefetch.h): one 16-lane register holds two of the
// fixed order's 8-lane accumulators (a0|a1, a2|a3), so every lane sees the
// same fused multiply-adds in the same order and the values are identical,
// while an f16 row is converted 16 halves per instruction instead of 8.
// GCC 12's AVX-512 intrinsics start from an "undefined" register that its own
// -Wmaybe-uninitialized then reports (GCC bug 105593, fixed in 13).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include "row_stream_prefetch.h"
#include "score_kernels.h"

namespace tatami::retriever::internal {
namespace {

inline __m512 Load16(const float* row) { return _mm512_load_ps(row); }
inline __m512 Load16(const std::uint16_t* row) {
  return _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(row)));
}

inline __m256 Low(__m512 v) { return _mm512_castps512_ps256(v); }
inline __m256 High(__m512 v) { return _mm512_castps512_ps256(_mm512_shuffle_f32x4(v, v, 0xEE)); }

// The AVX2 kernels' reduction: (a0 + a1) + (a2 + a3), then the lanes.
inline float Reduce(__m512 a01, __m512 a23) {
  const __m256 s =
      _mm256_add_ps(_mm256_add_ps(Low(a01), High(a01)), _mm256_add_ps(Low(a23), High(a23)));
  const __m128 t = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  const __m128 u = _mm_add_ps(t, _mm_movehl_ps(t, t));
  return _mm_cvtss_f32(_mm_add_ss(u, _mm_shuffle_ps(u, u, 1)));
}

// kRows rows with independent accumulators (two registers per row): each
// row's two chains of dependent FMAs are as long as the row, so scoring four
// rows at once keeps eight chains in flight, enough to cover the FMA latency,
// where two rows would leave the FMA units half idle. `prefetch` is advanced
// by the lines read. n is a multiple of 16.
template <std::size_t kRows, typename T>
void DotRows(const float* q, const T* const* r, std::size_t n, RowStreamPrefetcher& prefetch,
             float* out) {
  constexpr std::size_t kLinesPerStep = kRows * 32 * sizeof(T) / 64;
  __m512 a01[kRows], a23[kRows];
#pragma GCC unroll 4
  for (std::size_t j = 0; j < kRows; ++j) a01[j] = a23[j] = _mm512_setzero_ps();
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    prefetch.Advance(kLinesPerStep);
    const __m512 x = _mm512_loadu_ps(q + i), y = _mm512_loadu_ps(q + i + 16);
#pragma GCC unroll 4
    for (std::size_t j = 0; j < kRows; ++j) {
      a01[j] = _mm512_fmadd_ps(x, Load16(r[j] + i), a01[j]);
      a23[j] = _mm512_fmadd_ps(y, Load16(r[j] + i + 16), a23[j]);
    }
  }
  if (i < n) {  // 16 left: chunks for accumulators 0 and 1
    prefetch.Advance(kRows * 16 * sizeof(T) / 64);
    const __m512 x = _mm512_loadu_ps(q + i);
#pragma GCC unroll 4
    for (std::size_t j = 0; j < kRows; ++j) a01[j] = _mm512_fmadd_ps(x, Load16(r[j] + i), a01[j]);
  }
#pragma GCC unroll 4
  for (std::size_t j = 0; j < kRows; ++j) out[j] = Reduce(a01[j], a23[j]);
}

template <typename T>
void ScoreRows(const float* q, const T* matrix, std::size_t n, const std::uint32_t* rows,
               std::size_t count, float* out,
               void (*fallback)(const float*, const T*, std::size_t, const std::uint32_t*,
                                std::size_t, float*)) {
  // Rows of the index are padded to 64 bytes, so n % 16 == 0 there; other
  // widths take the AVX2 path.
  if (n % 16 != 0 || count < 2) {
    fallback(q, matrix, n, rows, count, out);
    return;
  }
  RowStreamPrefetcher prefetch(matrix, n * sizeof(T), rows, count, /*rows_together=*/4);
  auto row = [&](std::size_t i) { return matrix + std::size_t{rows[i]} * n; };
  std::size_t i = 0;
  for (; i + 4 <= count; i += 4) {
    const T* r[4] = {row(i), row(i + 1), row(i + 2), row(i + 3)};
    DotRows<4>(q, r, n, prefetch, out + i);
  }
  for (; i + 2 <= count; i += 2) {
    const T* r[2] = {row(i), row(i + 1)};
    DotRows<2>(q, r, n, prefetch, out + i);
  }
  if (i < count) fallback(q, matrix, n, rows + i, 1, out + i);
}

void ScoreRowsF32(const float* q, const float* matrix, std::size_t n, const std::uint32_t* rows,
                  std::size_t count, float* out) {
  ScoreRows(q, matrix, n, rows, count, out, Avx2Kernels().score_rows_f32);
}
void ScoreRowsF16(const float* q, const std::uint16_t* matrix, std::size_t n,
                  const std::uint32_t* rows, std::size_t count, float* out) {
  ScoreRows(q, matrix, n, rows, count, out, Avx2Kernels().score_rows_f16);
}

}  // namespace

const DotKernels& Avx512Kernels() {
  static const DotKernels kernels = [] {
    DotKernels k = Avx2Kernels();
    k.name = "avx512";
    k.score_rows_f32 = ScoreRowsF32;
    k.score_rows_f16 = ScoreRowsF16;
    return k;
  }();
  return kernels;
}

}  // namespace tatami::retriever::internal
