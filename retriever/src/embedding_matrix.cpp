#include "tatami/retriever/embedding_matrix.h"

namespace tatami::retriever {

std::string_view ToString(EmbeddingType type) {
  switch (type) {
    case EmbeddingType::kF32:
      return "f32";
    case EmbeddingType::kF16:
      return "f16";
  }
  return "unknown";
}

std::size_t PaddedRowElements(std::size_t dim, EmbeddingType type) {
  const std::size_t per_line = type == EmbeddingType::kF32 ? 16 : 32;  // elements per 64 bytes
  return (dim + per_line - 1) / per_line * per_line;
}

}  // namespace tatami::retriever
