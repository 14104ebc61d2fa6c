// BatchingGenerator: a front for a generator that gathers the requests of
// many concurrent searches into one Generate call of the generator behind it
// (one model batch), so a model runs full batches while Lean works on the
// other searches' tactics.
//
// A call to Generate queues its requests and waits. When the generator
// behind is free, the queued requests go as one batch as soon as every
// registered client is accounted for (it has a request queued, or it
// declared through its Client that it needs nothing more for now and is
// not about to ask: it does not hold just one prediction, answered), or
// `max_batch` requests are queued, or `max_wait` has passed since the oldest
// was queued or since the last batch came back, whichever is later (so the
// searches that just got answers and went to Lean can make the next batch
// full). A caller's requests always go in one batch (a group larger than
// max_batch goes alone). With no client registered, each call is sent at
// once. Answers do not depend on how calls were grouped as long as
// the generator behind answers each request independently of the others
// (all of tatami's generators do, except sampling with a shared random
// stream; a TorchScript model only up to floating-point differences between
// batch shapes, see TacticGenerator::Deterministic).
//
// Asking ahead of need: a Client can Predict the requests it expects to
// need soon, most likely first (the nodes its search will probably expand
// next). Predicted requests queue like the others but go into a batch after
// every waiting demand, every client's first prediction before any second
// one, and so on; a newer prediction list withdraws the requests of the
// older one it no longer holds that were not sent yet; and a later Get of
// the same request takes the predicted answer or waits for it. Predicting
// more than one request keeps a search's next answers coming while its
// current tactics take longer than one model call. From the first
// prediction on, a dispatcher thread sends every batch (callers only wait),
// so that predictions go to the generator while their searches run tactics
// in Lean; before that, a waiting caller sends the batch itself.
//
// Failures: the generator behind may fail a whole batch for one request
// (out of memory, say). A failed batch that held predictions is sent again
// at once without them (one call for its other requests together), so a
// prediction never makes a request it shared a batch with fail. A failed
// prediction keeps its error: it is not predicted again, and a Get that
// needs it asks anew, so the Get gets what it would have got without
// speculation (the generator's answer, or its error for that request). A
// batch without predictions fails for every request in it, as batching
// without speculation does.
//
// Thread-safety: thread-safe. A Client is used by one search (thread) at a
// time.
#pragma once

#include <chrono>
#include <cstddef>
#include <exception>
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
  std::size_t calls = 0;            // Generate calls of the generator behind
  std::size_t requests = 0;         // requests sent through them
  std::size_t prefetched = 0;       // of those, sent as prefetches (before a Get asked)
  std::size_t prefetch_hits = 0;    // Gets answered by (or waiting on) a prefetch
  std::size_t prefetch_unused = 0;  // sent as prefetches, dropped unasked by Forget
};

class BatchingGenerator : public TacticGenerator {
 public:
  BatchingGenerator(std::shared_ptr<TacticGenerator> inner, BatchingOptions options = {});
  ~BatchingGenerator() override;
  BatchingGenerator(const BatchingGenerator&) = delete;
  BatchingGenerator& operator=(const BatchingGenerator&) = delete;

  // Throws what the generator behind threw for the batch holding the call
  // (retried without predictions first, when it held some).
  std::vector<std::vector<Candidate>> Generate(
      const std::vector<GenerationRequest>& batch) override;
  std::string Describe() const override;
  bool Deterministic() const override;
  bool AnswersAtOnce() const override;

  struct ClientState;

  // A search that will call Generate registers for its lifetime, so the
  // batcher knows how many callers can be waiting at most.
  class Client {
   public:
    explicit Client(BatchingGenerator& g);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    BatchingGenerator& generator() const { return g_; }

    // The candidates for one request: the answer of an earlier prediction
    // of the same request when there is one (waiting for it if it is not
    // back yet, asking anew if it failed), otherwise generated now like
    // Generate({request}). Throws what the generator behind threw for the
    // batch that held the request (retried without predictions first, when
    // it held some; see "Failures" above).
    //
    // `next` replaces the client's predictions, as Predict(next) does,
    // before waiting, so that they are queued while this request is still
    // with the generator and can go in the batch that follows it at once;
    // with no `next`, the client has none.
    std::vector<Candidate> Get(const GenerationRequest& request,
                               const std::vector<GenerationRequest>& next = {});
    // Declares the requests this client expects to need next, most likely
    // first, and returns at once; the client then counts as accounted for
    // until its next Get, unless every prediction is answered already (it
    // will soon ask again). A request already predicted (queued, in flight,
    // answered or failed) is not asked again; a queued prediction the new
    // list no longer holds is withdrawn. Answers wait until a Get takes them
    // or Forget drops them.
    void Predict(const std::vector<GenerationRequest>& requests);
    // Declares that the client asks nothing until its next Get (its next
    // need is predicted already, or it has none).
    void Settle();
    // Drops every prediction of this client and their answers (a search
    // ended).
    void Forget();

   private:
    void PredictLocked(const std::vector<GenerationRequest>& requests);
    BatchingGenerator& g_;
    std::unique_ptr<ClientState> state_;
  };

  BatchingStats stats() const;

 private:
  struct State;
  struct Call;
  std::vector<std::vector<Candidate>> Wait(const std::shared_ptr<Call>& call,
                                           std::unique_lock<std::mutex>& lock);
  bool Ready(std::chrono::steady_clock::time_point* deadline) const;
  void RunBatch(std::unique_lock<std::mutex>& lock);
  // One call of the generator behind, with the lock released: its error,
  // if any (also for a wrong number of answers).
  std::exception_ptr CallInner(const std::vector<GenerationRequest>& requests,
                               std::unique_lock<std::mutex>& lock,
                               std::vector<std::vector<Candidate>>* answers);
  // Runs the due batch, or waits until one may be due; both the dispatcher
  // and a caller waiting for its own answer serve the queue this way.
  void ServeOnce(std::unique_lock<std::mutex>& lock);
  void Dispatch();
  std::shared_ptr<TacticGenerator> inner_;
  BatchingOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace tatami::search
