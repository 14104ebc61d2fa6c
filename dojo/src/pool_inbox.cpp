#include "pool_inbox.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include <boost/asio/buffer.hpp>

namespace tatami::dojo::internal {
namespace {

int MakeEventFd() {
  const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "PoolInbox: eventfd");
  return fd;
}

}  // namespace

PoolInbox::PoolInbox(boost::asio::io_context& io) : wake_(io, MakeEventFd()) {}

PoolInbox::~PoolInbox() = default;

void PoolInbox::Start() { Wait(); }

bool PoolInbox::PushTask(std::unique_ptr<Task> task, bool close) {
  bool wake;
  {
    std::lock_guard lock(mu_);
    if (closed_) return false;
    closed_ = close;
    tasks_.push_back(std::move(task));
    wake = !wake_pending_;
    wake_pending_ = true;
  }
  if (wake) {
    const std::uint64_t one = 1;
    // Cannot fail short of a bad descriptor: the counter would need 2^64 - 1
    // writes without a read to block.
    while (::write(wake_.native_handle(), &one, sizeof one) < 0 && errno == EINTR) {
    }
  }
  return true;
}

void PoolInbox::Wait() {
  // A read, not async_wait: Asio tries a read at once, so a write that came
  // before the wait was set up is not missed.
  wake_.async_read_some(boost::asio::buffer(&wake_count_, sizeof wake_count_),
                        [this](const boost::system::error_code& ec, std::size_t) {
                          if (ec)
                            return;  // aborted at shutdown (an eventfd read fails no other way)
                          std::vector<std::unique_ptr<Task>> batch;
                          {
                            std::lock_guard lock(mu_);
                            batch.swap(tasks_);
                            wake_pending_ = false;
                          }
                          Wait();
                          for (auto& task : batch) task->Run();
                        });
}

}  // namespace tatami::dojo::internal
