// HttpGenerator: tactics from an OpenAI-compatible completions server (how
// vLLM and SGLang serve today's LLM provers): one POST to URL per request
// ({"model", "prompt", "n", "temperature", "max_tokens", "logprobs": 1}),
// the requests of a batch sent concurrently so the server can batch them.
// A candidate is a choice's text, trimmed, scored by the sum of its
// `logprobs.token_logprobs` (0 when the server sends none); empty texts are
// dropped. Connection failures, timeouts and 5xx answers are retried;
// other answers, and failures after the last retry, throw.
//
// Thread-safety: thread-safe (each request uses its own connection).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "tatami/search/tactic_generator.h"

namespace tatami::search {

struct HttpGeneratorOptions {
  // http://HOST[:PORT]/PATH of the completions endpoint (no https). Required.
  std::string url;
  // The "model" field. Default: "default".
  std::string model = "default";
  // The prompt: "{state}" becomes the pretty-printed state, "{premises}" the
  // request's premises joined by blank lines. Default: "[GOAL]\n{state}\n[PROOFSTEP]\n"
  // (the format of llmstep-style step provers).
  std::string prompt_template = "[GOAL]\n{state}\n[PROOFSTEP]\n";
  // Sampling temperature. Default: 1.0.
  double temperature = 1.0;
  // Longest tactic, in tokens. Default: 256.
  int max_tokens = 256;
  // Deadline of one HTTP exchange (connect, send, receive). Default: 60 s.
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  // Extra attempts after a connection failure, timeout or 5xx. Default: 2.
  int retries = 2;
};

class HttpGenerator : public TacticGenerator {
 public:
  // Throws std::invalid_argument when the URL is not http://HOST[:PORT]/PATH.
  explicit HttpGenerator(HttpGeneratorOptions options);

  std::vector<std::vector<Candidate>> Generate(
      const std::vector<GenerationRequest>& batch) override;
  std::string Describe() const override { return "http:" + options_.url; }

  // The prompt for one request, from the template.
  std::string Prompt(const GenerationRequest& request) const;

 private:
  std::vector<Candidate> GenerateOne(const GenerationRequest& request) const;
  HttpGeneratorOptions options_;
  std::string host_, port_, target_;
};

}  // namespace tatami::search
