// Dot-product kernels. Every implementation computes the same value bit for
// bit: over n elements (n a multiple of 8, zero padding allowed), chunk c of
// 8 elements is fused-multiply-added into accumulator c % 4 lane by lane;
// the accumulators are then summed as (a0 + a1) + (a2 + a3), and the 8 lanes
// as ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)).
#pragma once

#include <cstddef>
#include <cstdint>

namespace tatami::retriever::internal {

struct DotKernels {
  const char* name;
  float (*dot_f32)(const float* q, const float* row, std::size_t n);
  float (*dot_f16)(const float* q, const std::uint16_t* row, std::size_t n);
  // Two queries against one row (the row is read once).
  void (*dot2_f32)(const float* q0, const float* q1, const float* row, std::size_t n, float* out);
  void (*dot2_f16)(const float* q0, const float* q1, const std::uint16_t* row, std::size_t n,
                   float* out);
  void (*half_to_float)(const std::uint16_t* in, float* out, std::size_t n);
};

const DotKernels& ScalarKernels();
// AVX2+FMA+F16C kernels; only call after CpuHasAvx2Kernels().
const DotKernels& Avx2Kernels();
bool CpuHasAvx2Kernels();

}  // namespace tatami::retriever::internal
