// Opening a premise index together with the encoder that must match it, for
// `retrieve` and `retrieve-eval`.
#pragma once

#include <memory>
#include <string>

#include <fmt/format.h>

#include "encoder_flags.h"
#include "tatami/dojo/config.h"
#include "tatami/retriever/encoder.h"
#include "tatami/retriever/premise_index.h"

namespace tatami::cli {

struct OpenedRetrieval {
  retriever::PremiseIndex index;
  std::unique_ptr<retriever::Encoder> encoder;
};

// How the resolved configuration (index.in_memory, TATAMI_INDEX_IN_MEMORY,
// --index-in-memory) opens a premise index.
inline retriever::IndexOpenOptions IndexOpenOptionsFor(const dojo::Config& config) {
  retriever::IndexOpenOptions o;
  o.load_into_memory = config.index_in_memory;
  return o;
}

// Opens the index first (cheap without load_into_memory, and its errors are
// the likelier ones), then loads the encoder and refuses the pair when the
// index was built by another encoder or for another width. Throws IndexError
// / EncoderError.
inline OpenedRetrieval OpenIndexAndEncoder(const std::string& index_path, const EncoderFlags& flags,
                                           const retriever::IndexOpenOptions& open_options = {}) {
  retriever::PremiseIndex index = retriever::PremiseIndex::Open(index_path, open_options);
  auto encoder = retriever::LoadTorchScriptEncoder(flags.model, flags.ToOptions());
  if (encoder->dim() != index.dim() || encoder->fingerprint() != index.encoder_fingerprint()) {
    throw retriever::IndexError(fmt::format(
        "{} was built with encoder {} (dim {}), but {} is encoder {} (dim {}); use the encoder "
        "the index was built with, or rebuild the index with `tatami index build`",
        index_path, index.encoder_fingerprint(), index.dim(), flags.model, encoder->fingerprint(),
        encoder->dim()));
  }
  return {std::move(index), std::move(encoder)};
}

}  // namespace tatami::cli
