// The TacticGenerator that MakeTorchScriptGenerator returns, over a
// GeneratorBackend (torchscript/generator_plugin_abi.h), so that tests can
// drive it with a fake backend.
//
// Thread-safety: the generator is thread-safe (Generate is serialised).
#pragma once

#include <memory>
#include <string>

#include "tatami/search/torchscript_generator.h"
#include "torchscript/generator_plugin_abi.h"

namespace tatami::search::internal {

// Wraps `backend`, loaded from `source` (named in messages and Describe()).
// Throws TorchScriptGeneratorError when the model's attributes break the
// contract, std::invalid_argument for bad options.
std::unique_ptr<TacticGenerator> MakeTorchScriptGeneratorOver(
    std::unique_ptr<GeneratorBackend> backend, const std::string& source,
    const TorchScriptGeneratorOptions& options);

}  // namespace tatami::search::internal
