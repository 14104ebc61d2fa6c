#include "tatami/search/batching_generator.h"

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <stdexcept>

namespace tatami::search {

namespace {
using Clock = std::chrono::steady_clock;

struct Call {
  const std::vector<GenerationRequest>* requests = nullptr;
  Clock::time_point queued;
  std::vector<std::vector<Candidate>> answer;
  std::exception_ptr error;
  bool done = false;
};
}  // namespace

struct BatchingGenerator::State {
  std::mutex mu;
  std::condition_variable changed;  // a call queued or answered, a client left, a batch ended
  std::deque<Call*> queue;
  std::size_t queued_requests = 0;
  std::size_t clients = 0;
  bool busy = false;  // a batch is with the generator behind
  // When the last batch came back: the next one may wait max_wait from here
  // for the searches that went back to Lean with its answers.
  Clock::time_point free_since{};
  BatchingStats stats;
};

BatchingGenerator::BatchingGenerator(std::shared_ptr<TacticGenerator> inner,
                                     BatchingOptions options)
    : inner_(std::move(inner)), options_(options), state_(std::make_unique<State>()) {
  if (!inner_) throw std::invalid_argument("BatchingGenerator: no generator behind it");
  if (options_.max_batch == 0) throw std::invalid_argument("BatchingOptions::max_batch is 0");
}

BatchingGenerator::~BatchingGenerator() = default;

std::string BatchingGenerator::Describe() const { return inner_->Describe(); }

BatchingStats BatchingGenerator::stats() const {
  std::lock_guard lock(state_->mu);
  return state_->stats;
}

BatchingGenerator::Client::Client(BatchingGenerator& g) : g_(g) {
  std::lock_guard lock(g_.state_->mu);
  ++g_.state_->clients;
}

BatchingGenerator::Client::~Client() {
  {
    std::lock_guard lock(g_.state_->mu);
    --g_.state_->clients;
  }
  // One caller fewer can make the waiting ones "everyone".
  g_.state_->changed.notify_all();
}

// There is no dispatcher thread: a waiting caller whose batch is ready and
// finds the generator free sends the batch itself (saving two thread hand-offs
// per call when searches run one at a time), then keeps waiting for its own
// answer if its call was not in that batch.
std::vector<std::vector<Candidate>> BatchingGenerator::Generate(
    const std::vector<GenerationRequest>& batch) {
  if (batch.empty()) return {};
  State& s = *state_;
  Call call;
  call.requests = &batch;
  call.queued = Clock::now();
  std::unique_lock lock(s.mu);
  s.queue.push_back(&call);
  s.queued_requests += batch.size();
  s.changed.notify_all();
  while (!call.done) {
    if (s.busy) {
      s.changed.wait(lock);
      continue;
    }
    const auto deadline = std::max(s.queue.front()->queued, s.free_since) + options_.max_wait;
    const bool ready = s.queued_requests >= options_.max_batch ||
                       s.queue.size() >= std::max<std::size_t>(s.clients, 1) ||
                       Clock::now() >= deadline;
    if (!ready) {
      s.changed.wait_until(lock, deadline);
      continue;
    }
    RunBatch(lock);
  }
  if (call.error) std::rethrow_exception(call.error);
  return std::move(call.answer);
}

void BatchingGenerator::RunBatch(std::unique_lock<std::mutex>& lock) {
  State& s = *state_;
  s.busy = true;
  std::vector<Call*> calls;
  std::vector<GenerationRequest> requests;
  while (!s.queue.empty()) {
    Call* c = s.queue.front();
    if (!calls.empty() && requests.size() + c->requests->size() > options_.max_batch) break;
    s.queue.pop_front();
    s.queued_requests -= c->requests->size();
    requests.insert(requests.end(), c->requests->begin(), c->requests->end());
    calls.push_back(c);
  }
  ++s.stats.calls;
  s.stats.requests += requests.size();
  lock.unlock();
  std::vector<std::vector<Candidate>> answers;
  std::exception_ptr error;
  try {
    answers = inner_->Generate(requests);
    if (answers.size() != requests.size())
      throw std::runtime_error("tactic generator " + inner_->Describe() + " returned " +
                               std::to_string(answers.size()) + " lists for " +
                               std::to_string(requests.size()) + " requests");
  } catch (...) {
    error = std::current_exception();
  }
  lock.lock();
  std::size_t at = 0;
  for (Call* c : calls) {
    if (error) {
      c->error = error;
    } else {
      for (std::size_t i = 0; i < c->requests->size(); ++i)
        c->answer.push_back(std::move(answers[at + i]));
    }
    at += c->requests->size();
    c->done = true;
  }
  s.busy = false;
  s.free_since = Clock::now();
  s.changed.notify_all();
}

}  // namespace tatami::search
