// AVX-512 row scoring (this file is compiled with -mavx512f -mavx2 -mfma
// -mf16c; nothing here runs before CpuHasAvx512Kernels() said yes). Only
// score_rows differs from the AVX2 set: one 16-lane register holds two of the
// fixed order's 8-lane accumulators (a0|a1, a2|a3), so every lane sees the
// same fused multiply-adds in the same order and the values are identical,
// while an f16 row is converted 16 halves per instruction instead of 8.
//
// Twelve listed rows are read side by side, so that twelve short sequential
// streams are open at once and their memory requests overlap. Each of the
// twelve "slots" is one stream: its row in this group of twelve, then its
// row in the next group, and lines are requested kPrefetchBytes ahead of the
// reads in that stream, so the next group's rows are already arriving when
// the group starts (a row's first lines would otherwise wait a full memory
// latency while the hardware prefetchers learn the new streams). Measured
// side by side on the benchmark's 60% scattered masks (AMD Zen 5, 2 threads,
// the same 4 KiB-page mapping), against four rows with every line prefetched
// 8 KB ahead along the list (row_stream_prefetch.h, still the AVX2 kernels'
// schedule): one f32 query about 1.35x and one f16 query about 1.3x faster.
// Twelve rows against eight, and the slot streams against prefetching only
// the heads of the next rows, each gave 5-20%; distances of 384 or 1024
// bytes, prefetching into L2 only (T1, T2) and slots walking contiguous
// stretches of the list instead of every twelfth row were slower.
//
// GCC 12's AVX-512 intrinsics start from an "undefined" register that its own
// -Wmaybe-uninitialized then reports (GCC bug 105593, fixed in 13).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <algorithm>

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

// Rows read side by side (see the top of this file). Their 24 accumulators
// and the two query registers fit the 32 vector registers.
constexpr std::size_t kRowsTogether = kRowsReadTogether;
static_assert(kRowsTogether == 12, "DotRows unrolls twelve rows");

// How far ahead of the reads lines are requested, in each of the
// kRowsTogether streams (see the top of this file).
constexpr std::size_t kPrefetchBytes = kStreamPrefetchBytes;

// kRows rows with independent accumulators (two registers per row), so that
// 2 * kRows chains of dependent FMAs are in flight and kRows rows are read at
// the same offsets at once. `next` (or null): the rows the next call reads,
// one per row of `r`, where the requests continue once they pass the end of
// `r`'s rows. n is a multiple of 16.
template <std::size_t kRows, typename T>
void DotRows(const float* q, const T* const* r, const T* const* next, std::size_t n, float* out) {
  const std::size_t row_bytes = n * sizeof(T);
  __m512 a01[kRows], a23[kRows];
#pragma GCC unroll 12
  for (std::size_t j = 0; j < kRows; ++j) a01[j] = a23[j] = _mm512_setzero_ps();
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    // A step reads 32 values of each row: one line of f16, two of f32.
    for (std::size_t line = 0; line < 32 * sizeof(T); line += 64) {
      const std::size_t ahead = i * sizeof(T) + line + kPrefetchBytes;
      if (ahead < row_bytes) {
#pragma GCC unroll 12
        for (std::size_t j = 0; j < kRows; ++j) {
          _mm_prefetch(reinterpret_cast<const char*>(r[j]) + ahead, _MM_HINT_T0);
        }
      } else if (next != nullptr && ahead - row_bytes < row_bytes) {
#pragma GCC unroll 12
        for (std::size_t j = 0; j < kRows; ++j) {
          _mm_prefetch(reinterpret_cast<const char*>(next[j]) + (ahead - row_bytes), _MM_HINT_T0);
        }
      }
    }
    const __m512 x = _mm512_loadu_ps(q + i), y = _mm512_loadu_ps(q + i + 16);
#pragma GCC unroll 12
    for (std::size_t j = 0; j < kRows; ++j) {
      a01[j] = _mm512_fmadd_ps(x, Load16(r[j] + i), a01[j]);
      a23[j] = _mm512_fmadd_ps(y, Load16(r[j] + i + 16), a23[j]);
    }
  }
  if (i < n) {  // 16 left: chunks for accumulators 0 and 1
    const __m512 x = _mm512_loadu_ps(q + i);
#pragma GCC unroll 12
    for (std::size_t j = 0; j < kRows; ++j) a01[j] = _mm512_fmadd_ps(x, Load16(r[j] + i), a01[j]);
  }
#pragma GCC unroll 12
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
  auto row = [&](std::size_t i) { return matrix + std::size_t{rows[i]} * n; };
  // The first kPrefetchBytes of rows [begin, end) of the list, for rows that
  // no stream runs into.
  auto prefetch_heads = [&](std::size_t begin, std::size_t end) {
    for (std::size_t j = begin; j < end; ++j) {
      const char* head = reinterpret_cast<const char*>(row(j));
      for (std::size_t b = 0; b < std::min(kPrefetchBytes, n * sizeof(T)); b += 64) {
        _mm_prefetch(head + b, _MM_HINT_T0);
      }
    }
  };
  prefetch_heads(0, std::min(count, kRowsTogether));
  std::size_t i = 0;
  for (; i + kRowsTogether <= count; i += kRowsTogether) {
    const T* r[kRowsTogether];
    const T* next[kRowsTogether];
    for (std::size_t j = 0; j < kRowsTogether; ++j) r[j] = row(i + j);
    const bool has_next = i + 2 * kRowsTogether <= count;
    if (has_next) {
      for (std::size_t j = 0; j < kRowsTogether; ++j) next[j] = row(i + kRowsTogether + j);
    } else {
      prefetch_heads(i + kRowsTogether, count);
    }
    DotRows<kRowsTogether, T>(q, r, has_next ? next : nullptr, n, out + i);
  }
  // The end of a chunk's list: at most eleven rows, in fewer streams.
  for (; i + 4 <= count; i += 4) {
    const T* r[4] = {row(i), row(i + 1), row(i + 2), row(i + 3)};
    DotRows<4, T>(q, r, nullptr, n, out + i);
  }
  if (i + 2 <= count) {
    const T* r[2] = {row(i), row(i + 1)};
    DotRows<2, T>(q, r, nullptr, n, out + i);
    i += 2;
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
