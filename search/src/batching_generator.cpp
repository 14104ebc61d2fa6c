#include "tatami/search/batching_generator.h"

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <thread>

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
  std::condition_variable arrived;   // dispatcher waits here
  std::condition_variable answered;  // callers wait here
  std::deque<Call*> queue;
  std::size_t queued_requests = 0;
  std::size_t clients = 0;
  bool stopping = false;
  BatchingStats stats;
  std::thread dispatcher;
};

BatchingGenerator::BatchingGenerator(std::shared_ptr<TacticGenerator> inner,
                                     BatchingOptions options)
    : inner_(std::move(inner)), options_(options), state_(std::make_unique<State>()) {
  if (!inner_) throw std::invalid_argument("BatchingGenerator: no generator behind it");
  if (options_.max_batch == 0) throw std::invalid_argument("BatchingOptions::max_batch is 0");
  state_->dispatcher = std::thread([this] { Dispatch(); });
}

BatchingGenerator::~BatchingGenerator() {
  {
    std::lock_guard lock(state_->mu);
    state_->stopping = true;
  }
  state_->arrived.notify_all();
  state_->dispatcher.join();
}

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
  g_.state_->arrived.notify_all();
}

std::vector<std::vector<Candidate>> BatchingGenerator::Generate(
    const std::vector<GenerationRequest>& batch) {
  if (batch.empty()) return {};
  Call call;
  call.requests = &batch;
  call.queued = Clock::now();
  std::unique_lock lock(state_->mu);
  if (state_->stopping) throw std::logic_error("BatchingGenerator: used while being destroyed");
  state_->queue.push_back(&call);
  state_->queued_requests += batch.size();
  state_->arrived.notify_all();
  state_->answered.wait(lock, [&] { return call.done; });
  if (call.error) std::rethrow_exception(call.error);
  return std::move(call.answer);
}

void BatchingGenerator::Dispatch() {
  State& s = *state_;
  std::unique_lock lock(s.mu);
  for (;;) {
    s.arrived.wait(lock, [&] { return s.stopping || !s.queue.empty(); });
    if (s.queue.empty()) return;  // stopping, nothing left
    // Wait for a full batch, for every client, or for the oldest's deadline.
    const auto deadline = s.queue.front()->queued + options_.max_wait;
    s.arrived.wait_until(lock, deadline, [&] {
      return s.stopping || s.queued_requests >= options_.max_batch ||
             s.queue.size() >= std::max<std::size_t>(s.clients, 1);
    });
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
    s.answered.notify_all();
  }
}

}  // namespace tatami::search
