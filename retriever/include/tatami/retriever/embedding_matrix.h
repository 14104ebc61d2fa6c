// EmbeddingMatrix: a read-only view of premise embeddings, one row per
// premise, stored as IEEE float32 or float16 with rows padded to a 64-byte
// multiple (padding is zero). Does not own its memory.
//
// Thread-safety: a view; safe to share while the memory it points to lives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tatami::retriever {

enum class EmbeddingType : std::uint32_t {
  kF32 = 0,  // IEEE binary32
  kF16 = 1,  // IEEE binary16 (half), converted to f32 exactly before use
};

std::string_view ToString(EmbeddingType type);  // "f32" / "f16"

// Elements per row for `dim` values of `type` so that a row is a multiple of
// 64 bytes (16 floats or 32 halves).
std::size_t PaddedRowElements(std::size_t dim, EmbeddingType type);

struct EmbeddingMatrix {
  const void* data = nullptr;  // 64-byte aligned; rows * row_stride elements
  EmbeddingType type = EmbeddingType::kF32;
  std::size_t rows = 0;
  std::size_t dim = 0;         // values per row that matter
  std::size_t row_stride = 0;  // elements between rows = PaddedRowElements(dim, type)
  // Largest Euclidean norm of any row (an upper bound is fine). The GEMM path
  // uses it to bound its rounding error so that its answers stay exact.
  float max_row_norm = 0;
};

}  // namespace tatami::retriever
