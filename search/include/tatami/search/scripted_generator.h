// ScriptedGenerator: candidates read from a JSON file, for tests, benchmarks
// and reproducing runs (`--generator scripted:FILE.json`).
//
//   {"STATE": [{"tactic": "simp", "logprob": -0.5}, ...], ...}
//
// keyed by the pretty-printed state. A request gets the first
// num_candidates entries of its state's list, in file order; a state not in
// the file gets none. Premises in a request are ignored.
//
// Thread-safety: thread-safe (immutable after construction).
#pragma once

#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include "tatami/search/tactic_generator.h"

namespace tatami::search {

class ScriptedGenerator : public TacticGenerator {
 public:
  // Throws std::runtime_error naming the file (and the state) when it cannot
  // be read or is not in the format above.
  static ScriptedGenerator FromFile(const std::filesystem::path& path);
  // `json_text` as in a file; `source` names it in errors.
  static ScriptedGenerator FromJson(const std::string& json_text, const std::string& source);

  std::vector<std::vector<Candidate>> Generate(
      const std::vector<GenerationRequest>& batch) override;
  std::string Describe() const override { return "scripted:" + source_; }
  bool Deterministic() const override { return true; }
  bool AnswersAtOnce() const override { return true; }  // a lookup in memory
  std::size_t size() const { return table_.size(); }

 private:
  std::string source_;
  std::unordered_map<std::string, std::vector<Candidate>> table_;
};

}  // namespace tatami::search
