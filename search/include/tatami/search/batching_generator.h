// BatchingGenerator: a front for a generator that gathers the requests of
// many concurrent searches into one Generate call of the generator behind it
// (one model batch), so a model runs full batches while Lean works on the
// other searches' tactics.
//
// A call to Generate queues its requests and waits. When the generator
// behind is free, the queued requests go as one batch (sent by one of the
// waiting callers) as soon as every registered client is waiting, or
// `max_batch` requests are queued, or `max_wait` has passed since the oldest
// was queued or since the last batch came back, whichever is later (so the
// searches that just got answers and went to Lean can make the next batch
// full). A caller's requests always go in one batch (a group larger than
// max_batch goes alone). With no client registered, each call is sent at
// once. Answers do not depend on how calls were grouped as long as
// the generator behind answers each request independently of the others
// (all of tatami's generators do, except sampling with a shared random
// stream).
//
// Thread-safety: thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tatami/search/tactic_generator.h"

namespace tatami::search {

struct BatchingOptions {
  // Most requests per call of the generator behind. Default: 16.
  std::size_t max_batch = 16;
  // Longest wait for a fuller batch, from the oldest request's arrival or
  // the last batch's return, whichever is later. Default: 5 ms.
  std::chrono::microseconds max_wait{5000};
};

// Counters since construction.
struct BatchingStats {
  std::size_t calls = 0;     // Generate calls of the generator behind
  std::size_t requests = 0;  // requests sent through them
};

class BatchingGenerator : public TacticGenerator {
 public:
  BatchingGenerator(std::shared_ptr<TacticGenerator> inner, BatchingOptions options = {});
  ~BatchingGenerator() override;
  BatchingGenerator(const BatchingGenerator&) = delete;
  BatchingGenerator& operator=(const BatchingGenerator&) = delete;

  // Throws what the generator behind threw for the batch holding the call.
  std::vector<std::vector<Candidate>> Generate(
      const std::vector<GenerationRequest>& batch) override;
  std::string Describe() const override;

  // A search that will call Generate registers for its lifetime, so the
  // batcher knows how many callers can be waiting at most.
  class Client {
   public:
    explicit Client(BatchingGenerator& g);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

   private:
    BatchingGenerator& g_;
  };

  BatchingStats stats() const;

 private:
  struct State;
  void RunBatch(std::unique_lock<std::mutex>& lock);
  std::shared_ptr<TacticGenerator> inner_;
  BatchingOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace tatami::search
