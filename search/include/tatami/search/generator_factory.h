// Making a tactic generator from a `--generator` spec:
//
//   scripted:FILE.json       ScriptedGenerator
//   fixed                    FixedGenerator with the default tactics
//   fixed:t1,t2,...          FixedGenerator with these tactics
//   torchscript:MODEL.pt     MakeTorchScriptGenerator (torchscript_generator.h),
//                            or the factory installed with
//                            RegisterTorchScriptGenerator (tests)
//   http:URL[,k=v...]        HttpGenerator (OpenAI-compatible completions) at
//                            URL; options model=, temperature=, max_tokens=,
//                            retries=, timeout_s=
//
// Thread-safety: MakeGenerator is thread-safe; register factories before
// using it from several threads.
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "tatami/search/tactic_generator.h"

namespace tatami::search {

// A spec that names no generator, a file that cannot be read, or a
// generator that is not part of this build.
class GeneratorSpecError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Builds a generator from what follows "torchscript:" (the model path).
using TorchScriptGeneratorFactory =
    std::function<std::shared_ptr<TacticGenerator>(const std::string& model_path)>;

// Installs the factory `torchscript:` specs use (replacing any earlier one).
void RegisterTorchScriptGenerator(TorchScriptGeneratorFactory factory);

// Throws GeneratorSpecError naming the spec and what is wrong.
std::shared_ptr<TacticGenerator> MakeGenerator(const std::string& spec);

}  // namespace tatami::search
