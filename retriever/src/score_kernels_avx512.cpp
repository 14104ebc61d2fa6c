// AVX-512 row scoring (this file is compiled with -mavx512f -mavx2 -mfma
// -mf16c; nothing here runs before CpuHasAvx512Kernels() said yes). Only
// score_rows differs from the AVX2 set: one 16-lane register holds two of the
// fixed order's 8-lane accumulators (a0|a1, a2|a3), so every lane sees the
// same fused multiply-adds in the same order and the values are identical,
// while an f16 row is converted 16 halves per instruction instead of 8.
// GCC 12's AVX-512 intrinsics start from an "undefined" register that its own
// -Wmaybe-uninitialized then reports (GCC bug 105593, fixed in 13).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

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

// Two rows, the next two prefetched at the same offset (see the AVX2
// DotRowPair). n is a multiple of 16.
template <typename T>
void DotRowPair(const float* q, const T* r0, const T* r1, const T* next0, const T* next1,
                std::size_t n, float* out) {
  constexpr std::size_t kPerLine = 64 / sizeof(T);
  __m512 a01 = _mm512_setzero_ps(), a23 = a01, b01 = a01, b23 = a01;
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (std::size_t l = 0; l < 32; l += kPerLine) {
      _mm_prefetch(reinterpret_cast<const char*>(next0 + i + l), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(next1 + i + l), _MM_HINT_T0);
    }
    const __m512 x = _mm512_loadu_ps(q + i), y = _mm512_loadu_ps(q + i + 16);
    a01 = _mm512_fmadd_ps(x, Load16(r0 + i), a01);
    b01 = _mm512_fmadd_ps(x, Load16(r1 + i), b01);
    a23 = _mm512_fmadd_ps(y, Load16(r0 + i + 16), a23);
    b23 = _mm512_fmadd_ps(y, Load16(r1 + i + 16), b23);
  }
  if (i < n) {  // 16 left: chunks for accumulators 0 and 1
    const __m512 x = _mm512_loadu_ps(q + i);
    a01 = _mm512_fmadd_ps(x, Load16(r0 + i), a01);
    b01 = _mm512_fmadd_ps(x, Load16(r1 + i), b01);
  }
  out[0] = Reduce(a01, a23);
  out[1] = Reduce(b01, b23);
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
  auto row = [&](std::size_t i) { return matrix + rows[i < count ? i : count - 1] * n; };
  std::size_t i = 0;
  for (; i + 2 <= count; i += 2) {
    DotRowPair(q, row(i), row(i + 1), row(i + 2), row(i + 3), n, out + i);
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
