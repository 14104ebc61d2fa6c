// Portable kernels, compiled with -ffp-contract=off so that the compiler
// neither fuses nor reorders: std::fma and the explicit sums below reproduce
// the AVX2 kernels exactly.
#include <cmath>

#include "half.h"
#include "score_kernels.h"

namespace tatami::retriever::internal {
namespace {

float Reduce(const float (&acc)[4][8]) {
  float s[8];
  for (int l = 0; l < 8; ++l) s[l] = (acc[0][l] + acc[1][l]) + (acc[2][l] + acc[3][l]);
  float t[4];
  for (int l = 0; l < 4; ++l) t[l] = s[l] + s[l + 4];
  const float u0 = t[0] + t[2];
  const float u1 = t[1] + t[3];
  return u0 + u1;
}

template <typename Load>
float Dot(const float* q, std::size_t n, Load load) {
  float acc[4][8] = {};
  for (std::size_t c = 0; c * 8 < n; ++c) {
    float* a = acc[c % 4];
    for (int l = 0; l < 8; ++l) a[l] = std::fma(q[c * 8 + l], load(c * 8 + l), a[l]);
  }
  return Reduce(acc);
}

float DotF32(const float* q, const float* row, std::size_t n) {
  return Dot(q, n, [row](std::size_t i) { return row[i]; });
}

float DotF16(const float* q, const std::uint16_t* row, std::size_t n) {
  return Dot(q, n, [row](std::size_t i) { return HalfToFloat(row[i]); });
}

void Dot2F32(const float* q0, const float* q1, const float* row, std::size_t n, float* out) {
  out[0] = DotF32(q0, row, n);
  out[1] = DotF32(q1, row, n);
}

void Dot2F16(const float* q0, const float* q1, const std::uint16_t* row, std::size_t n,
             float* out) {
  out[0] = DotF16(q0, row, n);
  out[1] = DotF16(q1, row, n);
}

template <typename T, typename DotFn>
void ScoreRows(const float* q, const T* matrix, std::size_t n, const std::uint32_t* rows,
               std::size_t count, float* out, DotFn dot) {
  for (std::size_t i = 0; i < count; ++i) out[i] = dot(q, matrix + rows[i] * n, n);
}

void ScoreRowsF32(const float* q, const float* matrix, std::size_t n, const std::uint32_t* rows,
                  std::size_t count, float* out) {
  ScoreRows(q, matrix, n, rows, count, out, DotF32);
}

void ScoreRowsF16(const float* q, const std::uint16_t* matrix, std::size_t n,
                  const std::uint32_t* rows, std::size_t count, float* out) {
  ScoreRows(q, matrix, n, rows, count, out, DotF16);
}

void HalfRow(const std::uint16_t* in, float* out, std::size_t n) { HalfToFloat(in, out, n); }

}  // namespace

const DotKernels& ScalarKernels() {
  static const DotKernels kernels{"scalar", DotF32,       DotF16,       Dot2F32,
                                  Dot2F16,  ScoreRowsF32, ScoreRowsF16, HalfRow};
  return kernels;
}

}  // namespace tatami::retriever::internal
