#include "tatami/search/generator_factory.h"

#include <mutex>

#include "tatami/search/fixed_generator.h"
#include "tatami/search/http_generator.h"
#include "tatami/search/scripted_generator.h"
#include "tatami/search/torchscript_generator.h"

namespace tatami::search {
namespace {

std::mutex g_mu;
TorchScriptGeneratorFactory& TorchFactory() {
  static TorchScriptGeneratorFactory factory;
  return factory;
}

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = s.find(',', start);
    out.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

void RegisterTorchScriptGenerator(TorchScriptGeneratorFactory factory) {
  std::lock_guard lock(g_mu);
  TorchFactory() = std::move(factory);
}

std::shared_ptr<TacticGenerator> MakeGenerator(const std::string& spec) {
  const std::size_t colon = spec.find(':');
  const std::string kind = spec.substr(0, colon);
  const std::string arg = colon == std::string::npos ? "" : spec.substr(colon + 1);
  const std::string known =
      "expected scripted:FILE.json, fixed[:t1,t2,...], torchscript:MODEL.pt or http:URL";
  try {
    if (kind == "scripted") {
      if (arg.empty()) throw GeneratorSpecError("scripted: needs a file (scripted:FILE.json)");
      return std::make_shared<ScriptedGenerator>(ScriptedGenerator::FromFile(arg));
    }
    if (kind == "fixed") {
      if (colon == std::string::npos) return std::make_shared<FixedGenerator>();
      return std::make_shared<FixedGenerator>(SplitCommas(arg));
    }
    if (kind == "torchscript") {
      if (arg.empty())
        throw GeneratorSpecError("torchscript: needs a model (torchscript:MODEL.pt)");
      TorchScriptGeneratorFactory factory;
      {
        std::lock_guard lock(g_mu);
        factory = TorchFactory();
      }
      // No override registered: the TorchScript generator of this build
      // (its libtorch plugin is loaded on first use).
      if (!factory) {
        try {
          return MakeTorchScriptGenerator(arg);
        } catch (const TorchScriptGeneratorError& e) {
          // A model that is missing or does not load is bad input.
          throw GeneratorSpecError(e.what());
        }
      }
      return factory(arg);
    }
    if (kind == "http") {
      const std::vector<std::string> parts = SplitCommas(arg);
      HttpGeneratorOptions o;
      o.url = parts[0];
      for (std::size_t i = 1; i < parts.size(); ++i) {
        const std::size_t eq = parts[i].find('=');
        const std::string key = parts[i].substr(0, eq);
        const std::string value = eq == std::string::npos ? "" : parts[i].substr(eq + 1);
        try {
          if (key == "model")
            o.model = value;
          else if (key == "temperature")
            o.temperature = std::stod(value);
          else if (key == "max_tokens")
            o.max_tokens = std::stoi(value);
          else if (key == "retries")
            o.retries = std::stoi(value);
          else if (key == "timeout_s")
            o.timeout = std::chrono::milliseconds(static_cast<long long>(std::stod(value) * 1000));
          else
            throw GeneratorSpecError("unknown http option \"" + key +
                                     "\" (model, temperature, max_tokens, retries, timeout_s)");
        } catch (const std::logic_error&) {
          throw GeneratorSpecError("http option " + key + ": bad value \"" + value + "\"");
        }
      }
      return std::make_shared<HttpGenerator>(std::move(o));
    }
  } catch (const GeneratorSpecError& e) {
    throw GeneratorSpecError("--generator " + spec + ": " + e.what());
  } catch (const std::exception& e) {
    throw GeneratorSpecError("--generator " + spec + ": " + e.what());
  }
  throw GeneratorSpecError("--generator " + spec + ": unknown generator; " + known);
}

}  // namespace tatami::search
