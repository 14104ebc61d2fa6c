// CheckedEncoder: the Encoder that LoadTorchScriptEncoder returns, around the
// plugin's EncoderBackend (encoder_plugin_abi.h), written against that
// interface so that tests can drive it with a fake backend.
// It validates UTF-8, sorts texts by length into batches, tokenises (when the
// module takes tokens), runs the backend and checks every output.
//
// Thread-safety: not thread-safe (like any Encoder).
#pragma once

#include <memory>
#include <string>

#include "encoder_plugin_abi.h"
#include "tatami/retriever/encoder.h"

namespace tatami::retriever::internal {

// Wraps `backend`, loaded from `source` (a path, for messages). Probes the
// module with one short text to learn and check the embedding width. Throws
// EncoderError when the probe fails or breaks the contract.
std::unique_ptr<Encoder> MakeCheckedEncoder(std::unique_ptr<EncoderBackend> backend,
                                            const std::string& source,
                                            const EncoderOptions& options);

}  // namespace tatami::retriever::internal
