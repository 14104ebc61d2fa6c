// A bounded selection of the k best (score, index) pairs: higher score first,
// then lower index. A min-heap on that order, so rejecting a candidate that
// cannot enter costs one comparison.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tatami/retriever/retrieval.h"

namespace tatami::retriever::internal {

struct Scored {
  float score;
  std::uint32_t index;
};

// True when a ranks before b.
inline bool Better(const Scored& a, const Scored& b) {
  return a.score > b.score || (a.score == b.score && a.index < b.index);
}

class TopK {
 public:
  explicit TopK(std::size_t k = 0) { Reset(k); }

  void Reset(std::size_t k) {
    k_ = k;
    heap_.clear();
    heap_.reserve(k);
  }

  std::size_t k() const { return k_; }
  bool full() const { return heap_.size() == k_; }
  // The worst kept entry; only meaningful when full().
  const Scored& worst() const { return heap_.front(); }

  void Push(float score, std::uint32_t index) {
    if (heap_.size() < k_) {
      heap_.push_back({score, index});
      std::push_heap(heap_.begin(), heap_.end(), Better);
      return;
    }
    if (k_ == 0 || score < heap_.front().score) return;
    const Scored s{score, index};
    if (!Better(s, heap_.front())) return;
    std::pop_heap(heap_.begin(), heap_.end(), Better);
    heap_.back() = s;
    std::push_heap(heap_.begin(), heap_.end(), Better);
  }

  // Pushes and reports the entry that fell out (or the rejected one), if any.
  // Returns false when nothing fell out.
  bool PushEvict(float score, std::uint32_t index, Scored* out) {
    if (heap_.size() < k_) {
      Push(score, index);
      return false;
    }
    const Scored s{score, index};
    if (k_ == 0 || !Better(s, heap_.front())) {
      *out = s;
      return true;
    }
    std::pop_heap(heap_.begin(), heap_.end(), Better);
    *out = heap_.back();
    heap_.back() = s;
    std::push_heap(heap_.begin(), heap_.end(), Better);
    return true;
  }

  const std::vector<Scored>& entries() const { return heap_; }

 private:
  std::size_t k_ = 0;
  std::vector<Scored> heap_;  // std heap ordered by Better: front is the worst
};

// Sorts best first and keeps at most k.
inline void SortAndTruncate(std::vector<Scored>& v, std::size_t k) {
  if (v.size() > k) {
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end(), Better);
    v.resize(k);
  }
  std::sort(v.begin(), v.end(), Better);
}

// The best min(k, v.size()) entries of v, best first, as hits (reorders v).
inline std::vector<Hit> ToHits(std::vector<Scored>& v, std::size_t k) {
  SortAndTruncate(v, k);
  std::vector<Hit> hits;
  hits.reserve(v.size());
  for (const Scored& s : v) hits.push_back({s.index, s.score});
  return hits;
}

}  // namespace tatami::retriever::internal
