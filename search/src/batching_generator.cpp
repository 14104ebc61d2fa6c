#include "tatami/search/batching_generator.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>

namespace tatami::search {

namespace {
using Clock = std::chrono::steady_clock;

bool SameRequest(const GenerationRequest& a, const GenerationRequest& b) {
  return a.num_candidates == b.num_candidates && a.state == b.state && a.premises == b.premises;
}
}  // namespace

struct BatchingGenerator::Call {
  std::vector<GenerationRequest> owned;  // Get and Prefetch: the request, copied
  const std::vector<GenerationRequest>* requests = nullptr;
  ClientState* client = nullptr;  // nullptr: a Generate call; read only while queued
  bool speculative = false;       // a prefetch no Get has asked for yet
  bool sent = false;
  bool done = false;
  Clock::time_point queued;
  std::vector<std::vector<Candidate>> answer;
  std::exception_ptr error;
};

struct BatchingGenerator::ClientState {
  std::size_t queued = 0;  // calls of this client in the queue
  bool settled = false;    // asks nothing until its next Get
  // The latest prefetch, until a Get. Once it is answered the client will
  // soon ask for more (it is expanding a node and will take the next), so it
  // no longer counts as settled: a batch waits for it, up to max_wait, rather
  // than leave it to a batch of its own.
  std::shared_ptr<Call> prediction;
  std::shared_ptr<Call> unsent_prefetch;
  std::unordered_map<std::string, std::shared_ptr<Call>> ahead;  // prefetches by state
};

struct BatchingGenerator::State {
  std::mutex mu;
  // A call queued, a client settled or left, a batch ended: the batch may be ready.
  std::condition_variable changed;
  // A batch ended (callers wait on this while the dispatcher sends batches).
  std::condition_variable answered;
  std::deque<std::shared_ptr<Call>> queue;
  std::size_t queued_requests = 0;
  std::size_t anonymous = 0;  // queued Generate calls
  std::vector<ClientState*> clients;
  bool busy = false;  // a batch is with the generator behind
  // When the last batch came back: the next one may wait max_wait from here
  // for the searches that went back to Lean with its answers.
  Clock::time_point free_since{};
  BatchingStats stats;
  std::thread dispatcher;
  bool dispatching = false;
  bool stopping = false;

  void Dequeue(const std::shared_ptr<Call>& c) {
    queued_requests -= c->requests->size();
    if (c->client) {
      --c->client->queued;
      if (c->client->unsent_prefetch == c) c->client->unsent_prefetch.reset();
    } else {
      --anonymous;
    }
  }

  // Takes the client's prefetch that is still queued out of the queue.
  void Withdraw(ClientState& cs) {
    std::shared_ptr<Call> c = std::move(cs.unsent_prefetch);
    if (!c) return;
    auto at = std::find(queue.begin(), queue.end(), c);
    if (at != queue.end()) {
      queue.erase(at);
      cs.unsent_prefetch = c;  // so that Dequeue clears it
      Dequeue(c);
    }
    auto it = cs.ahead.find(c->owned.front().state);
    if (it != cs.ahead.end() && it->second == c) cs.ahead.erase(it);
  }
};

BatchingGenerator::BatchingGenerator(std::shared_ptr<TacticGenerator> inner,
                                     BatchingOptions options)
    : inner_(std::move(inner)), options_(options), state_(std::make_unique<State>()) {
  if (!inner_) throw std::invalid_argument("BatchingGenerator: no generator behind it");
  if (options_.max_batch == 0) throw std::invalid_argument("BatchingOptions::max_batch is 0");
}

BatchingGenerator::~BatchingGenerator() {
  {
    std::lock_guard lock(state_->mu);
    state_->stopping = true;
  }
  state_->changed.notify_all();
  if (state_->dispatcher.joinable()) state_->dispatcher.join();
}

std::string BatchingGenerator::Describe() const { return inner_->Describe(); }

bool BatchingGenerator::Deterministic() const { return inner_->Deterministic(); }
bool BatchingGenerator::AnswersAtOnce() const { return inner_->AnswersAtOnce(); }

BatchingStats BatchingGenerator::stats() const {
  std::lock_guard lock(state_->mu);
  return state_->stats;
}

BatchingGenerator::Client::Client(BatchingGenerator& g)
    : g_(g), state_(std::make_unique<ClientState>()) {
  std::lock_guard lock(g_.state_->mu);
  g_.state_->clients.push_back(state_.get());
}

BatchingGenerator::Client::~Client() {
  State& s = *g_.state_;
  {
    std::lock_guard lock(s.mu);
    s.Withdraw(*state_);
    s.clients.erase(std::find(s.clients.begin(), s.clients.end(), state_.get()));
  }
  // One client fewer can make the accounted ones "everyone".
  s.changed.notify_all();
}

std::vector<Candidate> BatchingGenerator::Client::Get(const GenerationRequest& request,
                                                      const GenerationRequest* next) {
  State& s = *g_.state_;
  ClientState& cs = *state_;
  std::unique_lock lock(s.mu);
  cs.settled = false;
  cs.prediction.reset();
  std::shared_ptr<Call> call;
  auto it = cs.ahead.find(request.state);
  if (it != cs.ahead.end() && SameRequest(it->second->owned.front(), request)) {
    call = std::move(it->second);
    cs.ahead.erase(it);
    ++s.stats.prefetch_hits;
    // Still queued: it is a demand now and goes before other prefetches.
    call->speculative = false;
    if (cs.unsent_prefetch == call) cs.unsent_prefetch.reset();
  } else {
    if (it != cs.ahead.end()) cs.ahead.erase(it);
    call = std::make_shared<Call>();
    call->owned = {request};
    call->requests = &call->owned;
    call->client = &cs;
    call->queued = Clock::now();
    s.queue.push_back(call);
    s.queued_requests += 1;
    ++cs.queued;
  }
  if (next) QueuePrefetch(*next);
  s.changed.notify_all();
  std::vector<std::vector<Candidate>> answer = g_.Wait(call, lock);
  return std::move(answer.front());
}

void BatchingGenerator::Client::Prefetch(const GenerationRequest& request) {
  State& s = *g_.state_;
  {
    std::lock_guard lock(s.mu);
    QueuePrefetch(request);
  }
  s.changed.notify_all();
}

void BatchingGenerator::Client::QueuePrefetch(const GenerationRequest& request) {
  State& s = *g_.state_;
  ClientState& cs = *state_;
  cs.settled = true;
  auto it = cs.ahead.find(request.state);
  if (it != cs.ahead.end() && SameRequest(it->second->owned.front(), request)) {
    cs.prediction = it->second;
    return;
  }
  s.Withdraw(cs);
  auto call = std::make_shared<Call>();
  call->owned = {request};
  call->requests = &call->owned;
  call->client = &cs;
  call->speculative = true;
  call->queued = Clock::now();
  s.queue.push_back(call);
  s.queued_requests += 1;
  ++cs.queued;
  cs.unsent_prefetch = call;
  cs.prediction = call;
  cs.ahead[request.state] = std::move(call);
  if (!s.dispatching) {
    s.dispatching = true;
    s.dispatcher = std::thread([g = &g_] { g->Dispatch(); });
  }
}

void BatchingGenerator::Client::Settle() {
  State& s = *g_.state_;
  {
    std::lock_guard lock(s.mu);
    if (state_->settled) return;
    state_->settled = true;
  }
  s.changed.notify_all();
}

void BatchingGenerator::Client::Forget() {
  State& s = *g_.state_;
  {
    std::lock_guard lock(s.mu);
    s.Withdraw(*state_);
    state_->ahead.clear();
    state_->prediction.reset();
    state_->settled = true;
  }
  s.changed.notify_all();
}

std::vector<std::vector<Candidate>> BatchingGenerator::Generate(
    const std::vector<GenerationRequest>& batch) {
  if (batch.empty()) return {};
  State& s = *state_;
  auto call = std::make_shared<Call>();
  call->requests = &batch;
  call->queued = Clock::now();
  std::unique_lock lock(s.mu);
  s.queue.push_back(call);
  s.queued_requests += batch.size();
  ++s.anonymous;
  s.changed.notify_all();
  return Wait(call, lock);
}

bool BatchingGenerator::Ready(Clock::time_point* deadline) const {
  const State& s = *state_;
  if (s.busy || s.queue.empty()) return false;
  *deadline = std::max(s.queue.front()->queued, s.free_since) + options_.max_wait;
  if (s.queued_requests >= options_.max_batch) return true;
  std::size_t accounted = s.anonymous;
  for (const ClientState* c : s.clients)
    accounted += c->queued > 0 || (c->settled && !(c->prediction && c->prediction->done));
  return accounted >= std::max<std::size_t>(s.clients.size(), 1) || Clock::now() >= *deadline;
}

// Without a dispatcher, a waiting caller whose batch is ready and finds the
// generator free sends the batch itself (saving two thread hand-offs per
// call when searches run one at a time), then keeps waiting for its own
// answer if its call was not in that batch.
std::vector<std::vector<Candidate>> BatchingGenerator::Wait(const std::shared_ptr<Call>& call,
                                                            std::unique_lock<std::mutex>& lock) {
  State& s = *state_;
  while (!call->done) {
    if (s.dispatching) {
      s.answered.wait(lock);
      continue;
    }
    ServeOnce(lock);
  }
  if (call->error) std::rethrow_exception(call->error);
  return std::move(call->answer);
}

void BatchingGenerator::Dispatch() {
  State& s = *state_;
  std::unique_lock lock(s.mu);
  while (!s.stopping) {
    ServeOnce(lock);
  }
}

void BatchingGenerator::ServeOnce(std::unique_lock<std::mutex>& lock) {
  State& s = *state_;
  Clock::time_point deadline;
  if (Ready(&deadline)) {
    RunBatch(lock);
  } else if (s.busy || s.queue.empty()) {
    s.changed.wait(lock);
  } else {
    s.changed.wait_until(lock, deadline);
  }
}

void BatchingGenerator::RunBatch(std::unique_lock<std::mutex>& lock) {
  State& s = *state_;
  s.busy = true;
  std::vector<std::shared_ptr<Call>> calls;
  std::vector<GenerationRequest> requests;
  // Demands in arrival order, then prefetches; a call that does not fit ends
  // the batch, so no later call overtakes it.
  bool full = false;
  for (const bool speculative : {false, true}) {
    for (auto it = s.queue.begin(); !full && it != s.queue.end();) {
      const std::shared_ptr<Call>& c = *it;
      if (c->speculative != speculative) {
        ++it;
        continue;
      }
      if (!calls.empty() && requests.size() + c->requests->size() > options_.max_batch) {
        full = true;
        break;
      }
      requests.insert(requests.end(), c->requests->begin(), c->requests->end());
      if (speculative) s.stats.prefetched += c->requests->size();
      c->sent = true;
      s.Dequeue(c);
      calls.push_back(c);
      it = s.queue.erase(it);
    }
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
  for (const std::shared_ptr<Call>& c : calls) {
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
  s.answered.notify_all();
}

}  // namespace tatami::search
