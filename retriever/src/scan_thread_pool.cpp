#include "scan_thread_pool.h"

namespace tatami::retriever::internal {

ScanThreadPool::ScanThreadPool(unsigned size) : size_(size == 0 ? 1 : size) {
  threads_.reserve(size_ - 1);
  for (unsigned i = 1; i < size_; ++i) threads_.emplace_back([this, i] { Loop(i); });
}

ScanThreadPool::~ScanThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

void ScanThreadPool::Run(const std::function<void(unsigned)>& fn) {
  std::lock_guard run_lock(run_mutex_);
  if (size_ == 1) {
    fn(0);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    job_ = &fn;
    pending_ = size_ - 1;
    error_ = nullptr;
    ++generation_;
  }
  wake_.notify_all();
  std::exception_ptr mine;
  try {
    fn(0);
  } catch (...) {
    mine = std::current_exception();
  }
  std::unique_lock lock(mutex_);
  done_.wait(lock, [this] { return pending_ == 0; });
  job_ = nullptr;
  if (mine) std::rethrow_exception(mine);
  if (error_) std::rethrow_exception(error_);
}

void ScanThreadPool::Loop(unsigned id) {
  std::uint64_t seen = 0;
  for (;;) {
    const std::function<void(unsigned)>* job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      job = job_;
    }
    std::exception_ptr err;
    try {
      (*job)(id);
    } catch (...) {
      err = std::current_exception();
    }
    {
      std::lock_guard lock(mutex_);
      if (err && !error_) error_ = err;
      if (--pending_ == 0) done_.notify_one();
    }
  }
}

}  // namespace tatami::retriever::internal
