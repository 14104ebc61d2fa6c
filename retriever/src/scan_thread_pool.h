// ScanThreadPool: the retriever's small persistent thread pool. Run(fn)
// calls fn(0..size()-1) concurrently, fn(0) on the calling thread, and
// returns when all are done. Threads are created once, so a query pays a
// wake-up, not a thread start. (Not to be confused with tatami::dojo's
// WorkerPool of Lean processes.)
//
// Thread-safety: thread-safe; concurrent Run calls execute one after another.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tatami::retriever::internal {

class ScanThreadPool {
 public:
  explicit ScanThreadPool(unsigned size);
  ~ScanThreadPool();
  ScanThreadPool(const ScanThreadPool&) = delete;
  ScanThreadPool& operator=(const ScanThreadPool&) = delete;

  unsigned size() const { return size_; }

  // The first exception thrown by any fn(i) is rethrown here.
  void Run(const std::function<void(unsigned)>& fn);

 private:
  void Loop(unsigned id);

  unsigned size_;
  std::mutex run_mutex_;  // one Run at a time
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(unsigned)>* job_ = nullptr;
  std::uint64_t generation_ = 0;
  unsigned pending_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
  std::vector<std::thread> threads_;
};

}  // namespace tatami::retriever::internal
