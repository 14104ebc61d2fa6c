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
  return a.num_candidates == b.num_candidates && a.state == b.state &&
         a.premise_scope == b.premise_scope && a.premises == b.premises;
}
}  // namespace

struct BatchingGenerator::Call {
  std::vector<GenerationRequest> owned;  // Get and Predict: the request, copied
  const std::vector<GenerationRequest>* requests = nullptr;
  ClientState* client = nullptr;  // nullptr: a Generate call; read only while queued
  bool speculative = false;       // a prediction no Get has asked for yet
  // Order in a batch: 0 for demands, k for a client's k-th prediction.
  std::size_t rank = 0;
  bool sent = false;
  bool done = false;
  Clock::time_point queued;
  std::vector<std::vector<Candidate>> answer;
  std::exception_ptr error;
};

struct BatchingGenerator::ClientState {
  std::size_t queued = 0;  // calls of this client in the queue
  bool settled = false;    // asks nothing until its next Get
  // The latest predictions, most likely first, until a Get.
  std::vector<std::shared_ptr<Call>> predictions;
  std::unordered_map<std::string, std::shared_ptr<Call>> ahead;  // predictions by state

  // A settled client whose only prediction is answered will soon ask for
  // more (it is expanding a node and will take the next) with nothing in
  // hand, so a batch waits for it, up to max_wait, rather than leave its
  // next request to a batch of its own. With two answers in hand it has a
  // whole expansion to spare, and the batch goes without it.
  bool AboutToAsk() const { return predictions.size() == 1 && predictions.front()->done; }
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
    } else {
      --anonymous;
    }
  }

  // Queues one request of client `cs`: a demand, or a prediction.
  std::shared_ptr<Call> QueueRequest(ClientState& cs, const GenerationRequest& request,
                                     bool speculative) {
    auto call = std::make_shared<Call>();
    call->owned = {request};
    call->requests = &call->owned;
    call->client = &cs;
    call->speculative = speculative;
    call->queued = Clock::now();
    queue.push_back(call);
    queued_requests += 1;
    ++cs.queued;
    return call;
  }

  // Takes a prediction that is still queued out of the queue and forgets it.
  void Withdraw(ClientState& cs, const std::shared_ptr<Call>& c) {
    if (c->sent || !c->speculative) return;
    auto at = std::find(queue.begin(), queue.end(), c);
    if (at != queue.end()) {
      queue.erase(at);
      Dequeue(c);
    }
    auto it = cs.ahead.find(c->owned.front().state);
    if (it != cs.ahead.end() && it->second == c) cs.ahead.erase(it);
  }

  void WithdrawAll(ClientState& cs) {
    for (const auto& p : cs.predictions) Withdraw(cs, p);
    cs.predictions.clear();
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
    s.WithdrawAll(*state_);
    s.clients.erase(std::find(s.clients.begin(), s.clients.end(), state_.get()));
  }
  // One client fewer can make the accounted ones "everyone".
  s.changed.notify_all();
}

std::vector<Candidate> BatchingGenerator::Client::Get(const GenerationRequest& request,
                                                      const std::vector<GenerationRequest>& next) {
  State& s = *g_.state_;
  ClientState& cs = *state_;
  std::unique_lock lock(s.mu);
  cs.settled = false;
  std::shared_ptr<Call> call;
  auto it = cs.ahead.find(request.state);
  // A prediction that failed (its batch did, RunBatch) is asked anew: the
  // failure may have been another prediction's, and a request of its own
  // gets what it would have got without speculation.
  if (it != cs.ahead.end() && SameRequest(it->second->owned.front(), request) &&
      !it->second->error) {
    call = std::move(it->second);
    cs.ahead.erase(it);
    ++s.stats.prefetch_hits;
    // Still queued: it is a demand now and goes before every prediction.
    call->speculative = false;
    call->rank = 0;
  } else {
    if (it != cs.ahead.end()) cs.ahead.erase(it);
    call = s.QueueRequest(cs, request, /*speculative=*/false);
  }
  std::erase(cs.predictions, call);
  PredictLocked(next);
  cs.settled = !next.empty();
  s.changed.notify_all();
  std::vector<std::vector<Candidate>> answer = g_.Wait(call, lock);
  return std::move(answer.front());
}

void BatchingGenerator::Client::Predict(const std::vector<GenerationRequest>& requests) {
  State& s = *g_.state_;
  {
    std::lock_guard lock(s.mu);
    PredictLocked(requests);
    state_->settled = true;
  }
  s.changed.notify_all();
}

void BatchingGenerator::Client::PredictLocked(const std::vector<GenerationRequest>& requests) {
  State& s = *g_.state_;
  ClientState& cs = *state_;
  std::vector<std::shared_ptr<Call>> now;
  now.reserve(requests.size());
  for (const GenerationRequest& request : requests) {
    std::shared_ptr<Call> known;
    if (auto it = cs.ahead.find(request.state); it != cs.ahead.end()) {
      known = it->second;
      if (!SameRequest(known->owned.front(), request)) {
        s.Withdraw(cs, known);  // a different request for the state: not its answer
        cs.ahead.erase(request.state);
        known.reset();
      }
    }
    if (!known) {
      known = s.QueueRequest(cs, request, /*speculative=*/true);
      cs.ahead[request.state] = known;
    }
    if (std::find(now.begin(), now.end(), known) != now.end()) continue;  // listed twice
    if (!known->sent) known->rank = now.size() + 1;
    now.push_back(known);
  }
  for (const std::shared_ptr<Call>& old : cs.predictions)
    if (std::find(now.begin(), now.end(), old) == now.end()) s.Withdraw(cs, old);
  cs.predictions = std::move(now);
  if (!cs.predictions.empty() && !s.dispatching) {
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
    s.WithdrawAll(*state_);
    for (const auto& [state, call] : state_->ahead) s.stats.prefetch_unused += call->sent;
    state_->ahead.clear();
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
    accounted += c->queued > 0 || (c->settled && !c->AboutToAsk());
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

std::exception_ptr BatchingGenerator::CallInner(const std::vector<GenerationRequest>& requests,
                                                std::unique_lock<std::mutex>& lock,
                                                std::vector<std::vector<Candidate>>* answers) {
  State& s = *state_;
  ++s.stats.calls;
  s.stats.requests += requests.size();
  lock.unlock();
  std::exception_ptr error;
  try {
    *answers = inner_->Generate(requests);
    if (answers->size() != requests.size())
      throw std::runtime_error("tactic generator " + inner_->Describe() + " returned " +
                               std::to_string(answers->size()) + " lists for " +
                               std::to_string(requests.size()) + " requests");
  } catch (...) {
    error = std::current_exception();
  }
  lock.lock();
  return error;
}

void BatchingGenerator::RunBatch(std::unique_lock<std::mutex>& lock) {
  State& s = *state_;
  s.busy = true;
  std::vector<std::shared_ptr<Call>> calls;
  std::vector<GenerationRequest> requests;
  // Demands in arrival order, then every client's first prediction, then
  // the second ones, and so on; a call that does not fit ends the batch, so
  // no later call overtakes it.
  std::vector<std::shared_ptr<Call>> order(s.queue.begin(), s.queue.end());
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a->rank < b->rank; });
  bool with_predictions = false;
  for (const std::shared_ptr<Call>& c : order) {
    if (!calls.empty() && requests.size() + c->requests->size() > options_.max_batch) break;
    requests.insert(requests.end(), c->requests->begin(), c->requests->end());
    if (c->speculative) {
      s.stats.prefetched += c->requests->size();
      with_predictions = true;
    }
    c->sent = true;
    s.Dequeue(c);
    calls.push_back(c);
  }
  std::erase_if(s.queue, [](const std::shared_ptr<Call>& c) { return c->sent; });
  std::vector<std::vector<Candidate>> answers;
  std::exception_ptr error = CallInner(requests, lock, &answers);
  if (error && with_predictions) {
    // A model fails a whole batch for one bad input (out of memory, say),
    // and that input may be a prediction the search never needs: without
    // speculation the requests that are needed now would have succeeded.
    // So they are asked again together, without the predictions. Each
    // failed prediction keeps the error; a Get that later asks for it asks
    // anew (Client::Get), as it would have without speculation. A
    // prediction a Get took while it was with the generator is needed now,
    // and is asked again with the others.
    std::vector<std::shared_ptr<Call>> needed;
    for (const std::shared_ptr<Call>& c : calls) {
      if (c->speculative) {
        c->error = error;
        c->done = true;
      } else {
        needed.push_back(c);
      }
    }
    calls = std::move(needed);
    requests.clear();
    for (const std::shared_ptr<Call>& c : calls)
      requests.insert(requests.end(), c->requests->begin(), c->requests->end());
    answers.clear();
    error = requests.empty() ? nullptr : CallInner(requests, lock, &answers);
  }
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
