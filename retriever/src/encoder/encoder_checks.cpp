#include "encoder_checks.h"

#include <cmath>

#include <fmt/format.h>

#include "tatami/retriever/encoder.h"

namespace tatami::retriever::internal {

void CheckEmbeddings(const RawOutput& raw, std::size_t rows, std::size_t dim, double tolerance,
                     const std::vector<std::size_t>& text_index, const std::string& source) {
  if (raw.rows != rows || raw.cols != dim || raw.values.size() != rows * dim) {
    throw EncoderError(fmt::format("{}: output has shape [{}, {}], expected [{}, {}]", source,
                                   raw.rows, raw.cols, rows, dim));
  }
  for (std::size_t r = 0; r < rows; ++r) {
    const float* row = raw.values.data() + r * dim;
    const std::size_t text = r < text_index.size() ? text_index[r] : r;
    double sum = 0;
    for (std::size_t c = 0; c < dim; ++c) {
      if (!std::isfinite(row[c])) {
        throw EncoderError(fmt::format("{}: embedding of text {} has a non-finite value ({}) at {}",
                                       source, text, row[c], c));
      }
      sum += static_cast<double>(row[c]) * row[c];
    }
    const double norm = std::sqrt(sum);
    if (std::fabs(norm - 1.0) > tolerance) {
      throw EncoderError(
          fmt::format("{}: embedding of text {} has L2 norm {:.6g}; the encoder contract requires "
                      "L2-normalised embeddings (tolerance {:g})",
                      source, text, norm, tolerance));
    }
  }
}

}  // namespace tatami::retriever::internal
