// WorkerPool: the public facade over WorkerPool::Core (worker_pool_core.h).
#include "tatami/dojo/worker_pool.h"

#include <stdexcept>

#include "worker_pool_core.h"

namespace tatami::dojo {

std::string Describe(const PoolError& error) { return error.message; }

std::string Describe(const PoolOutcome& outcome) {
  if (const auto* e = std::get_if<PoolError>(&outcome)) return Describe(*e);
  return Describe(std::get<ReplOutcome>(outcome));
}

WorkerPool::WorkerPool(WorkerPoolOptions options)
    : core_(std::make_shared<Core>(std::move(options))) {
  core_->Start(core_);
}

WorkerPool::~WorkerPool() { core_->Shutdown(); }

void WorkerPool::Await(const std::function<bool()>& ready,
                       const std::function<void()>& wait) const {
  if (core_->OnPoolThread())
    throw std::logic_error("WorkerPool::Await called from a WorkerPool callback (would deadlock)");
  core_->Await(ready, wait);
}

std::future<PoolOutcome> WorkerPool::Submit(const ImportHeader& header, nlohmann::json request,
                                            SubmitOptions options) {
  auto promise = std::make_shared<std::promise<PoolOutcome>>();
  auto future = promise->get_future();
  core_->Submit(
      header, std::move(request),
      [promise](PoolOutcome outcome) { promise->set_value(std::move(outcome)); }, options);
  return future;
}

void WorkerPool::SubmitAsync(const ImportHeader& header, nlohmann::json request, Callback done,
                             SubmitOptions options) {
  core_->Submit(header, std::move(request), std::move(done), options);
}

std::future<PoolOutcome> WorkerPool::SubmitSnippet(std::string_view snippet,
                                                   SubmitOptions options) {
  SplitSnippet split = SplitHeader(snippet);
  return Submit(split.header, {{"cmd", std::move(split.body)}}, options);
}

std::variant<Lease, PoolError> WorkerPool::Acquire(const ImportHeader& header,
                                                   std::optional<std::uint64_t> caller) {
  if (core_->OnPoolThread())
    throw std::logic_error(
        "WorkerPool::Acquire called from a WorkerPool callback (would deadlock)");
  using Result = std::variant<std::shared_ptr<Lease::State>, PoolError>;
  auto promise = std::make_shared<std::promise<Result>>();
  auto future = promise->get_future();
  core_->Acquire(header, caller.value_or(internal::CallerOfThisThread()),
                 [promise](Result result) { promise->set_value(std::move(result)); });
  core_->AwaitFuture(future);
  Result result = future.get();
  if (auto* error = std::get_if<PoolError>(&result)) return std::move(*error);
  Lease lease;
  lease.state_ = std::move(std::get<0>(result));
  return lease;
}

void WorkerPool::Prewarm(const ImportHeader& header, std::size_t count) {
  core_->Prewarm(header, count);
}

PoolStats WorkerPool::stats() const { return core_->stats(); }
const WorkerPoolOptions& WorkerPool::options() const { return core_->options(); }
std::size_t WorkerPool::size() const { return core_->size(); }

}  // namespace tatami::dojo
