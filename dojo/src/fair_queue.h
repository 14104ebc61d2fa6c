// FairQueue: the waiting room of the worker pool (private to dojo).
//
// Each caller (a fairness key) has its own FIFO; callers are served
// round-robin, so one caller's burst cannot starve another's single request.
// The bound on the number of waiting jobs is not kept here: admission happens
// on the callers' threads, before a job reaches the queue (see
// WorkerPool::Core).
//
// Thread-safety: not thread-safe; the pool uses it on its I/O thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <iterator>
#include <map>
#include <utility>

namespace tatami::dojo::internal {

template <typename Job>
class FairQueue {
 public:
  void Push(std::uint64_t caller, Job job) {
    auto& queue = queues_[caller];
    if (queue.empty()) rotation_.push_back(caller);
    queue.push_back(std::move(job));
  }

  // Offers the head job of each caller, in rotation order, to `place`, which
  // returns true if it took the job (moved from it). A caller that is served
  // moves to the back of the rotation; one whose head job cannot be placed
  // keeps its place, so it is first in line when a worker frees up. Returns
  // the number of jobs placed.
  template <typename Place>
  std::size_t Dispatch(Place&& place) {
    std::size_t placed = 0;
    std::size_t i = 0;
    while (i < rotation_.size()) {
      const std::uint64_t caller = rotation_[i];
      auto it = queues_.find(caller);
      if (it == queues_.end() || it->second.empty()) {
        if (it != queues_.end()) queues_.erase(it);
        rotation_.erase(rotation_.begin() + static_cast<std::ptrdiff_t>(i));
        continue;
      }
      if (!place(it->second.front())) {
        ++i;
        continue;
      }
      it->second.pop_front();
      ++placed;
      rotation_.erase(rotation_.begin() + static_cast<std::ptrdiff_t>(i));
      if (it->second.empty())
        queues_.erase(it);
      else
        rotation_.push_back(caller);
    }
    return placed;
  }

  // Removes every job for which `matches(job)` holds, after passing it to
  // `removed(job)`. Returns how many were removed.
  template <typename Matches, typename Removed>
  std::size_t RemoveIf(Matches&& matches, Removed&& removed) {
    std::size_t count = 0;
    for (auto it = queues_.begin(); it != queues_.end();) {
      auto& queue = it->second;
      for (auto job = queue.begin(); job != queue.end();) {
        if (matches(*job)) {
          removed(*job);
          job = queue.erase(job);
          ++count;
        } else {
          ++job;
        }
      }
      it = queue.empty() ? queues_.erase(it) : std::next(it);
    }
    // Callers left without jobs drop out of the rotation in the next Dispatch.
    return count;
  }

  // Passes every job to `removed` and empties the queue.
  template <typename Removed>
  void Clear(Removed&& removed) {
    for (auto& [caller, queue] : queues_)
      for (Job& job : queue) removed(job);
    queues_.clear();
    rotation_.clear();
  }

 private:
  std::map<std::uint64_t, std::deque<Job>> queues_;  // per caller, FIFO
  std::deque<std::uint64_t> rotation_;               // callers with waiting jobs
};

}  // namespace tatami::dojo::internal
