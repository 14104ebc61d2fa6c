// IEEE binary16 <-> binary32 conversion in portable code (the SIMD kernels
// use F16C instructions; results are identical).
#pragma once

#include <cstddef>
#include <cstdint>

namespace tatami::retriever::internal {

// Exact (every half is a float).
float HalfToFloat(std::uint16_t h);
// Round to nearest, ties to even; overflow gives infinity, NaN stays NaN.
std::uint16_t FloatToHalf(float f);

void HalfToFloat(const std::uint16_t* in, float* out, std::size_t n);
void FloatToHalf(const float* in, std::uint16_t* out, std::size_t n);

}  // namespace tatami::retriever::internal
