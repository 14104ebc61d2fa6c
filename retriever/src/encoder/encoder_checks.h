// Contract checks on an encoder's output values: finite, and every row of
// unit L2 norm (within a tolerance). Kept apart from the plugin so that they
// are tested without libtorch.
//
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "encoder_plugin_abi.h"

namespace tatami::retriever::internal {

// Throws EncoderError if `raw` does not have `rows` rows of width `dim`, holds
// a NaN or infinity, or has a row whose L2 norm differs from 1 by more than
// `tolerance`. `text_index[r]` is the caller's index of the text of row r,
// used in messages; `source` names the encoder.
void CheckEmbeddings(const RawOutput& raw, std::size_t rows, std::size_t dim, double tolerance,
                     const std::vector<std::size_t>& text_index, const std::string& source);

}  // namespace tatami::retriever::internal
