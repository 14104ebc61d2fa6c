#include <utility>  // before Asio: g++ 12 coroutine support needs it

#include "tatami/dojo/repl_process.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <simdjson.h>

#include "child_process.h"
#include "tatami/dojo/framing.h"
#include "tatami/dojo/outcome.h"

namespace tatami::dojo {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kStderrChunk = 4096;
// Reads of stdout one handler may do in a row (ReplProcess::Impl::ReadInline)
// before it lets the event loop serve others.
constexpr int kMaxInlineReads = 16;
// The longest spacing, in reads through the event loop, of inline attempts
// after attempts that found nothing.
constexpr int kMaxInlineBackoff = 64;
// Offending output quoted in a ReplProtocolError.
constexpr std::size_t kMaxQuotedBytes = 4096;
// How long a child that closed its stdout may take to exit before it is killed.
constexpr milliseconds kExitGrace{2000};
constexpr milliseconds kMaxExitPoll{50};
// Buffers of the response validator kept between responses.
constexpr std::size_t kKeptValidatorBytes = 16 << 20;
static_assert(kFramePadding >= simdjson::SIMDJSON_PADDING);

const char* TypeName(simdjson::dom::element_type type) {
  switch (type) {
    case simdjson::dom::element_type::ARRAY:
      return "array";
    case simdjson::dom::element_type::OBJECT:
      return "object";
    case simdjson::dom::element_type::STRING:
      return "string";
    case simdjson::dom::element_type::BOOL:
      return "boolean";
    case simdjson::dom::element_type::NULL_VALUE:
      return "null";
    default:
      return "number";
  }
}

// The largest "proofState" of a response object and of its "sorries" and
// "tactics" entries, -1 if none (ReplResponse::max_proof_state; the same rule
// as MaxProofState in repl_outcome.cpp, for responses made elsewhere).
std::int64_t MaxProofState(simdjson::dom::element object) {
  std::int64_t max_id = -1;
  auto note = [&](simdjson::dom::element item) {
    std::int64_t id;
    if (!item["proofState"].get_int64().get(id)) max_id = std::max(max_id, id);
  };
  note(object);
  for (const char* list : {"sorries", "tactics"}) {
    simdjson::dom::array items;
    if (!object[list].get_array().get(items))
      for (simdjson::dom::element item : items) note(item);
  }
  return max_id;
}

void IgnoreSigpipeOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction old {};
    if (::sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL &&
        !(old.sa_flags & SA_SIGINFO)) {
      ::signal(SIGPIPE, SIG_IGN);
    }
  });
}

std::string Quote(std::string_view bytes) {
  if (bytes.size() <= kMaxQuotedBytes) return std::string(bytes);
  std::string out(bytes.substr(0, kMaxQuotedBytes));
  out += "... (" + std::to_string(bytes.size() - kMaxQuotedBytes) + " more bytes)";
  return out;
}

std::string Brief(const std::string& encoded) {
  std::string s = encoded.substr(0, encoded.find("\n\n"));
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

// The last non-empty line of `text`, bounded.
std::string LastLine(const std::string& text) {
  std::size_t end = text.find_last_not_of("\r\n \t");
  if (end == std::string::npos) return {};
  std::size_t start = text.find_last_of('\n', end);
  start = start == std::string::npos ? 0 : start + 1;
  std::string line = text.substr(start, end + 1 - start);
  if (line.size() > 300) line = line.substr(0, 297) + "...";
  return line;
}

bool MentionsOutOfMemory(const std::string& text) {
  static const char* const kPhrases[] = {"out of memory",          "Out of memory",
                                         "OUT OF MEMORY",          "bad_alloc",
                                         "Cannot allocate memory", "cannot allocate memory"};
  for (const char* p : kPhrases) {
    if (text.find(p) != std::string::npos) return true;
  }
  return false;
}

struct Pending {
  std::string bytes;  // the encoded request
  ReplProcess::Callback done;
  milliseconds timeout{0};
  int startup_index = -1;  // >= 0 for the start-up request with this index
  std::uint64_t end = 0;   // where its bytes end in the stream to the child
};

}  // namespace

class ReplProcess::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::io_context& io, ReplProcessOptions options)
      : io_(io),
        options_(std::move(options)),
        command_text_(internal::FormatCommand(options_.command)),
        stdin_(io),
        stdout_(io),
        stderr_(io),
        read_buf_(new char[kReadChunk]),
        deadline_timer_(io),
        exit_timer_(io) {
    IgnoreSigpipeOnce();
  }

  ~Impl() { CloseDescriptors(); }

  void AsyncStart(StartCallback done) {
    if (state_ == State::kStarting || state_ == State::kReady || state_ == State::kBusy) {
      throw std::logic_error(
          "ReplProcess::AsyncStart: a child is already running (use "
          "AsyncRestart)");
    }
    Launch(std::move(done));
  }

  void AsyncRestart(StartCallback done) {
    if (child_alive_) Die(Kind::kKilled, "restarted", {}, /*post=*/true);
    Launch(std::move(done));
  }

  void AsyncRequest(const nlohmann::json& request, Callback done,
                    std::optional<milliseconds> timeout) {
    std::string bytes;
    try {
      bytes = EncodeRequest(request);
    } catch (const std::invalid_argument& e) {
      Post(std::move(done), ReplRejected{e.what()});
      return;
    }
    Enqueue(std::move(bytes), std::move(done), timeout);
  }

  void AsyncRequests(const std::vector<nlohmann::json>& requests, std::vector<Callback> done,
                     std::optional<milliseconds> timeout) {
    if (done.size() != requests.size())
      throw std::invalid_argument("ReplProcess::AsyncRequests: " + std::to_string(done.size()) +
                                  " callbacks for " + std::to_string(requests.size()) +
                                  " requests");
    holding_ = true;
    for (std::size_t i = 0; i < requests.size(); ++i)
      AsyncRequest(requests[i], std::move(done[i]), timeout);
    holding_ = false;
    Flush();
  }

  void Enqueue(std::string bytes, Callback done, std::optional<milliseconds> timeout) {
    switch (state_) {
      case State::kStopped:
        Post(std::move(done), ReplRejected{"the worker was not started (call AsyncStart first)"});
        return;
      case State::kDead: {
        ReplCrash crash = death_.value_or(ReplCrash{});
        crash.reason = "the worker is dead (restart it): " + crash.reason;
        Post(std::move(done), std::move(crash));
        return;
      }
      default:
        break;
    }
    queue_.push_back(
        Pending{std::move(bytes), std::move(done), timeout.value_or(options_.request_timeout)});
    Flush();
  }

  void Kill() {
    if (!child_alive_) return;
    Die(Kind::kKilled, "Kill() was called", {}, /*post=*/true);
  }

  void Shutdown() {
    if (child_alive_) Die(Kind::kKilled, "the worker was destroyed", {}, /*post=*/true);
    CloseDescriptors();
  }

  State state() const { return state_; }
  int pid() const { return child_alive_ ? pid_ : -1; }
  std::uint64_t generation() const { return generation_; }
  const std::vector<nlohmann::json>& startup_responses() const { return startup_responses_; }
  std::uint64_t ResidentBytes() const {
    return child_alive_ ? internal::ResidentBytesOfTree(pid_) : 0;
  }
  const ReplProcessOptions& options() const { return options_; }

 private:
  enum class Kind {
    kTimeout,   // the deadline of the request in flight passed
    kExited,    // the child ended on its own
    kProtocol,  // the child wrote something that is not a response
    kStartup,   // a start-up request got an error response
    kKilled,    // Kill(), AsyncRestart() or destruction
  };

  // --- start -----------------------------------------------------------------

  void Launch(StartCallback done) {
    ++generation_;
    splitter_.Clear();
    stderr_tail_.clear();
    startup_responses_.clear();
    death_.reset();

    std::vector<std::string> startup;
    try {
      for (const auto& r : options_.startup_requests) startup.push_back(EncodeRequest(r));
    } catch (const std::invalid_argument& e) {
      FailLaunch(std::move(done), "start-up request " + std::to_string(startup.size() + 1) +
                                      " is invalid: " + e.what());
      return;
    }
    internal::SpawnedChild child;
    try {
      internal::SpawnSpec spec;
      spec.argv = options_.command;
      spec.working_directory = options_.working_directory;
      spec.environment = options_.environment;
      spec.memory_limit_bytes = options_.memory_limit_bytes;
      child = internal::SpawnChild(spec);
    } catch (const std::exception& e) {
      FailLaunch(std::move(done), e.what());
      return;
    }
    pid_ = child.pid;
    child_alive_ = true;
    stdout_closed_ = false;
    inline_backoff_ = inline_skip_ = 0;  // a new child: no history of its speed
    stdin_.assign(child.stdin_fd);
    stdout_.assign(child.stdout_fd);
    stderr_.assign(child.stderr_fd);
    stdin_.non_blocking(true);
    stdout_.non_blocking(true);
    stderr_.non_blocking(true);
    ReadStdout();
    ReadStderr();

    if (startup.empty()) {
      state_ = State::kReady;
      Post([done = std::move(done)] { done(StartResult{true, std::nullopt, {}}); });
      Flush();
      return;
    }
    state_ = State::kStarting;
    start_done_ = std::move(done);
    // Start-up requests go before anything queued meanwhile.
    for (int i = static_cast<int>(startup.size()) - 1; i >= 0; --i) {
      queue_.push_front(Pending{std::move(startup[static_cast<std::size_t>(i)]), nullptr,
                                options_.startup_timeout, i});
    }
    Flush();
  }

  void FailLaunch(StartCallback done, const std::string& error) {
    state_ = State::kDead;
    ReplCrash crash;
    crash.reason = error;
    death_ = crash;
    Post([done = std::move(done), crash, error]() mutable {
      done(StartResult{false, ReplOutcome(std::move(crash)), error});
    });
  }

  // --- sending ---------------------------------------------------------------

  // Writes queued requests ahead of the answers, up to
  // options_.max_pipelined_requests unanswered: the REPL reads its input in
  // order, so a request written early waits in the pipe. Requests queued
  // together (AsyncRequests) go out in one write() and cost the child one
  // wake-up. Start-up requests are not overtaken: nothing is written behind
  // one until it is answered (a failed import must not see the requests
  // meant for its env).
  void Flush() {
    if (holding_ || dispatching_ || !child_alive_ || stdout_closed_) return;
    const std::size_t window = std::max<std::size_t>(1, options_.max_pipelined_requests);
    while (!queue_.empty() && in_flight_.size() < window) {
      if (!in_flight_.empty() &&
          (in_flight_.back().startup_index >= 0 || queue_.front().startup_index >= 0))
        break;
      in_flight_.push_back(std::move(queue_.front()));
      queue_.pop_front();
      out_ += in_flight_.back().bytes;
      bytes_queued_ += in_flight_.back().bytes.size();
      in_flight_.back().end = bytes_queued_;
      if (state_ == State::kReady) state_ = State::kBusy;
      if (in_flight_.size() == 1) StartHead();
    }
    WriteSome();
  }

  // The REPL now works on in_flight_.front(): its deadline and its elapsed
  // time start here, not when it was written.
  void StartHead() {
    const Pending& head = in_flight_.front();
    head_started_ = Clock::now();
    if (head.timeout.count() > 0) {
      deadline_ = head_started_ + head.timeout;
      ArmTimer(deadline_);
    } else {
      deadline_ = Clock::time_point::max();
    }
  }

  // Writes out_ directly while the pipe accepts data, and waits for
  // writability only when it is full: a batch normally goes out in one
  // write() with no handler at all.
  void WriteSome() {
    if (write_blocked_) return;
    const int fd = stdin_.native_handle();
    while (out_written_ < out_.size()) {
      ssize_t n = ::write(fd, out_.data() + out_written_, out_.size() - out_written_);
      if (n > 0) {
        out_written_ += static_cast<std::size_t>(n);
        bytes_written_ += static_cast<std::uint64_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      write_blocked_ = true;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        stdin_.async_wait(
            asio::posix::stream_descriptor::wait_write,
            [self = shared_from_this(), gen = generation_](const boost::system::error_code& ec) {
              if (ec || !self->Current(gen) || !self->write_blocked_) return;
              self->write_blocked_ = false;
              self->WriteSome();
            });
        return;
      }
      // EPIPE: the child no longer reads its input. Unless it is exiting
      // anyway (its stdout will end), it is useless: give it the exit grace.
      // Nothing more is written (write_blocked_ stays set until it dies).
      BeginExitWatch();
      return;
    }
    out_.clear();
    out_written_ = 0;
  }

  // --- deadline ----------------------------------------------------------------

  // One timer serves all requests: it stays armed at the earliest deadline
  // and, when it fires early (the request it was armed for is done), re-arms
  // for the current one. With a fixed timeout, deadlines only grow, so a round
  // trip normally costs no timer operation at all.
  void ArmTimer(Clock::time_point deadline) {
    if (timer_armed_ && timer_expiry_ <= deadline) return;
    timer_armed_ = true;
    timer_expiry_ = deadline;
    ++arm_id_;
    deadline_timer_.expires_at(deadline);
    deadline_timer_.async_wait([self = shared_from_this(), id = arm_id_](
                                   const boost::system::error_code& ec) { self->OnTimer(id, ec); });
  }

  void OnTimer(std::uint64_t id, const boost::system::error_code& ec) {
    if (id != arm_id_) return;
    timer_armed_ = false;
    if (ec || !child_alive_ || in_flight_.empty()) return;
    if (Clock::now() >= deadline_) {
      Die(Kind::kTimeout, {}, {}, /*post=*/false);
    } else if (deadline_ != Clock::time_point::max()) {
      ArmTimer(deadline_);
    }
  }

  // --- receiving ---------------------------------------------------------------

  bool Current(std::uint64_t gen) const { return gen == generation_ && child_alive_; }

  void ReadStdout() {
    stdout_.async_read_some(
        asio::buffer(read_buf_.get(), kReadChunk),
        [self = shared_from_this(), gen = generation_](
            const boost::system::error_code& ec, std::size_t n) { self->OnStdout(gen, ec, n); });
  }

  // Handles what one read of stdout gave (n bytes, or the error ec), then
  // reads on: inline while the child has its next answer ready already (see
  // ReadInline), else through the event loop.
  void OnStdout(std::uint64_t gen, boost::system::error_code ec, std::size_t n) {
    for (int reads = 1;; ++reads) {
      if (!Current(gen)) return;
      if (ec) {
        stdout_closed_ = true;  // EOF (or a read error, which is as final)
        if (exit_watch_) {
          PollExit(gen);  // the exit may be known already, waiting for this
        } else {
          BeginExitWatch();
        }
        return;
      }
      splitter_.Append(std::string_view(read_buf_.get(), n));
      // Requests issued by callbacks wait until every complete frame in the
      // buffer is handled: a frame left over would otherwise be taken as the
      // response to a request that the child has not even read.
      dispatching_ = true;
      while (auto frame = splitter_.Next()) {
        if (!HandleFrame(std::move(*frame)) || !Current(gen)) break;
      }
      dispatching_ = false;
      if (Current(gen) && splitter_.pending_size() > options_.max_response_bytes) {
        ProtocolFailure("response exceeds the limit of " +
                            std::to_string(options_.max_response_bytes) + " bytes",
                        splitter_.pending());
      }
      Flush();  // also serves a child launched by a callback meanwhile
      if (!Current(gen)) return;
      if (reads >= kMaxInlineReads || !ReadInline(&ec, &n)) {
        ReadStdout();
        return;
      }
    }
  }

  // Reads stdout now, if a request is unanswered, and returns true with what
  // the read gave; false if it found nothing yet (or did not try). A child
  // that answers within the time its previous answer takes to handle (a fast
  // request; a child sharing our core, which runs as soon as we write) has
  // its answer waiting here, and reading it now saves a handler posted behind
  // a poll of every descriptor: one system call in three per round trip. A
  // slower child makes the attempt a wasted read (and Asio's read that
  // follows, which it makes before waiting, a second one), so after one that
  // finds nothing the next attempts are spaced out (1, 2, 4, ... up to
  // kMaxInlineBackoff reads through the event loop in between) until one
  // succeeds again.
  bool ReadInline(boost::system::error_code* ec, std::size_t* n) {
    if (in_flight_.empty()) return false;
    if (inline_skip_ > 0) {
      --inline_skip_;
      return false;
    }
    ssize_t r;
    do {
      r = ::read(stdout_.native_handle(), read_buf_.get(), kReadChunk);
    } while (r < 0 && errno == EINTR);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      inline_backoff_ = std::min(std::max(1, 2 * inline_backoff_), kMaxInlineBackoff);
      inline_skip_ = inline_backoff_;
      return false;
    }
    inline_backoff_ = 0;
    if (r > 0) {
      *ec = {};
      *n = static_cast<std::size_t>(r);
    } else {
      *ec = r == 0 ? boost::system::error_code(asio::error::eof)
                   : boost::system::error_code(errno, boost::system::system_category());
      *n = 0;
    }
    return true;
  }

  // Returns false if the worker died.
  bool HandleFrame(std::string frame) {
    if (in_flight_.empty()) {
      ProtocolFailure("output while no request was pending", frame);
      return false;
    }
    if (frame.size() > options_.max_response_bytes) {
      ProtocolFailure("response of " + std::to_string(frame.size()) +
                          " bytes exceeds the limit of " +
                          std::to_string(options_.max_response_bytes) + " bytes",
                      frame);
      return false;
    }
    // Only a well-formed object is handed out. Checking costs a fraction of
    // building a tree (simdjson validates syntax and UTF-8 in one pass over the
    // frame, in place: frames carry kFramePadding); the tree is built only if
    // a caller reads ReplResponse::json, and typed readers parse the text.
    simdjson::dom::element root;
    if (auto error =
            validator_.parse(frame.data(), frame.size(), /*realloc_if_needed=*/false).get(root)) {
      ProtocolFailure(std::string("not JSON: ") + simdjson::error_message(error), frame);
      return false;
    }
    if (root.type() != simdjson::dom::element_type::OBJECT) {
      ProtocolFailure(
          std::string("response is a JSON ") + TypeName(root.type()) + ", not an object", frame);
      return false;
    }
    // One huge response must not pin its buffers for the worker's lifetime.
    if (validator_.capacity() > kKeptValidatorBytes) validator_ = simdjson::dom::parser();
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - head_started_);
    Pending done = std::move(in_flight_.front());
    in_flight_.pop_front();
    if (!in_flight_.empty()) StartHead();
    if (done.startup_index >= 0) {
      return OnStartupResponse(done, std::move(frame), elapsed);
    }
    if (state_ == State::kBusy && in_flight_.empty() && queue_.empty()) state_ = State::kReady;
    ReplResponse response{ResponseJson(), elapsed, frame, MaxProofState(root)};
    response.json = ResponseJson::FromText(std::move(frame));
    done.done(std::move(response));
    return true;
  }

  bool OnStartupResponse(const Pending& request, std::string text,
                         std::chrono::microseconds elapsed) {
    ReplResponse response{ResponseJson(), elapsed, text, std::nullopt};
    response.json = ResponseJson::FromText(std::move(text));
    if (auto error = StartupFailure(response)) {
      failed_startup_ = std::move(response);
      Die(Kind::kStartup,
          "start-up request " + std::to_string(request.startup_index + 1) + " (" +
              Brief(request.bytes) + ") failed: " + *error,
          {}, /*post=*/false);
      return false;
    }
    startup_responses_.push_back(response.json.value());
    if (startup_responses_.size() == options_.startup_requests.size()) {
      state_ = State::kReady;
      StartCallback done = std::move(start_done_);
      start_done_ = nullptr;
      if (done) done(StartResult{true, std::nullopt, {}});
    }
    return true;
  }

  void ProtocolFailure(const std::string& reason, std::string_view bytes) {
    Die(Kind::kProtocol, reason, Quote(bytes), /*post=*/false);
  }

  void ReadStderr() {
    stderr_.async_read_some(asio::buffer(err_buf_, kStderrChunk),
                            [self = shared_from_this(), gen = generation_](
                                const boost::system::error_code& ec, std::size_t n) {
                              if (!self->Current(gen) || ec)
                                return;  // EOF: the child closed stderr
                              self->KeepStderr(std::string_view(self->err_buf_, n));
                              self->ReadStderr();
                            });
  }

  void KeepStderr(std::string_view bytes) {
    const std::size_t cap = options_.stderr_tail_bytes;
    if (cap == 0) return;
    if (bytes.size() >= cap) {
      stderr_tail_.assign(bytes.substr(bytes.size() - cap));
      return;
    }
    stderr_tail_.append(bytes);
    if (stderr_tail_.size() > 2 * cap) stderr_tail_.erase(0, stderr_tail_.size() - cap);
  }

  // What the child wrote to stderr but we have not read yet. Called once the
  // whole group is dead, so the pipe holds all there will ever be.
  void DrainStderr() {
    if (!stderr_.is_open()) return;
    const int fd = stderr_.native_handle();
    // Bounded: a writer outside the killed group could keep the pipe busy.
    for (std::size_t total = 0; total < (std::size_t{1} << 20);) {
      ssize_t n = ::read(fd, err_buf_, kStderrChunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      total += static_cast<std::size_t>(n);
      KeepStderr(std::string_view(err_buf_, static_cast<std::size_t>(n)));
    }
  }

  std::string StderrTail() const {
    const std::size_t cap = options_.stderr_tail_bytes;
    std::string_view tail(stderr_tail_);
    if (tail.size() > cap) tail.remove_prefix(tail.size() - cap);
    // Do not start inside a UTF-8 sequence.
    std::size_t skip = 0;
    while (skip < tail.size() && skip < 3 &&
           (static_cast<unsigned char>(tail[skip]) & 0xC0) == 0x80) {
      ++skip;
    }
    if (skip > 0 && tail.size() == cap) tail.remove_prefix(skip);
    return std::string(tail);
  }

  // --- exit and death -----------------------------------------------------------

  // The child closed its stdout (or stopped reading stdin): it is exiting, or
  // useless. Poll for its exit with a short back-off; kill it after a grace.
  void BeginExitWatch() {
    if (exit_watch_) return;
    exit_watch_ = true;
    exit_watch_start_ = Clock::now();
    exit_poll_ = milliseconds(1);
    // Posted: a failed write inside AsyncRequest or AsyncStart must not
    // complete their callbacks before the call returns (a worker pool would
    // re-enter its dispatch while it is placing the very job).
    Post([self = shared_from_this(), gen = generation_] { self->PollExit(gen); });
  }

  void PollExit(std::uint64_t gen) {
    if (!Current(gen)) return;
    const bool exited = internal::PeekExited(pid_).has_value();
    const bool grace_over = Clock::now() - exit_watch_start_ >= kExitGrace;
    // The child's last answers may be in a read asio has already made, whose
    // handler still waits in the queue: its exit counts once the read path
    // has met the end of its output (or the grace is over), so that they are
    // handed out first.
    if (exited && (stdout_closed_ || grace_over)) {
      OnChildExited();
      return;
    }
    if (grace_over) {
      Die(Kind::kExited,
          stdout_closed_ ? "closed its output but did not exit; killed"
                         : "stopped reading its input; killed",
          {}, /*post=*/false);
      return;
    }
    exit_timer_.expires_after(exit_poll_);
    exit_poll_ = std::min(exit_poll_ * 2, kMaxExitPoll);
    exit_timer_.async_wait([self = shared_from_this(), gen](const boost::system::error_code& ec) {
      if (!ec) self->PollExit(gen);
    });
  }

  void OnChildExited() {
    std::optional<internal::ExitStatus> status = internal::PeekExited(pid_);
    const bool clean = status && status->exit_code && *status->exit_code == 0;
    if (!in_flight_.empty() && splitter_.pending_size() > 0 && clean) {
      const std::string partial(splitter_.pending());
      Die(Kind::kProtocol,
          "response truncated: the REPL exited after writing " + std::to_string(partial.size()) +
              " bytes without the blank line that ends a response",
          Quote(partial), /*post=*/false);
      return;
    }
    std::string detail;
    if (splitter_.pending_size() > 0) {
      detail = "after writing " + std::to_string(splitter_.pending_size()) + " bytes of a response";
    }
    Die(Kind::kExited, detail, {}, /*post=*/false);
  }

  // What one death means to each party: the record kept as the worker's
  // death (and given to queued requests), the outcome of the request in
  // flight, and why a start that was under way failed.
  struct Obituary {
    ReplCrash death;
    std::optional<ReplOutcome> in_flight;  // when it is not `death` itself
    std::string start_failure;
  };

  // The one place that words a death, kind by kind.
  Obituary Explain(Kind kind, const std::string& detail, std::string bytes,
                   const internal::ExitStatus& status, const std::string& tail) const {
    Obituary o;
    o.death.stderr_tail = tail;
    o.death.signal = status.signal;
    const std::string who = command_text_ + " (pid " + std::to_string(pid_) + ")";
    const Pending* head = in_flight_.empty() ? nullptr : &in_flight_.front();
    const milliseconds timeout = head ? head->timeout : milliseconds(0);
    const std::string startup_request = "start-up request " +
                                        std::to_string((head ? head->startup_index : -1) + 1) +
                                        " (" + (head ? Brief(head->bytes) : std::string()) + ")";
    switch (kind) {
      case Kind::kTimeout:
        o.death.reason = who + " did not answer within " + std::to_string(timeout.count()) +
                         " ms and was killed";
        o.in_flight = ReplTimeout{timeout, tail};
        o.start_failure = startup_request + " got no answer within " +
                          std::to_string(timeout.count()) + " ms; the child was killed";
        break;
      case Kind::kExited: {
        o.death.exit_code = status.exit_code;
        o.death.reason = who + " " + internal::DescribeExit(status);
        if (!detail.empty()) o.death.reason += " " + detail;
        if (in_flight_.empty() && queue_.empty()) o.death.reason += " while idle";
        const bool fatal_signal =
            status.signal && (*status.signal == SIGKILL || *status.signal == SIGSEGV ||
                              *status.signal == SIGABRT || *status.signal == SIGBUS);
        o.death.memory_limit_suspected =
            (options_.memory_limit_bytes > 0 && fatal_signal) || MentionsOutOfMemory(tail);
        o.start_failure = "the child " + internal::DescribeExit(status) + " during start-up";
        break;
      }
      case Kind::kProtocol:
        o.death.reason = who + " wrote invalid output (" + detail + ") and was killed";
        o.in_flight = ReplProtocolError{detail, std::move(bytes)};
        o.start_failure = "the child wrote invalid output during start-up (" + detail + ")";
        break;
      case Kind::kStartup:
        o.death.reason = who + ": " + detail;
        o.start_failure = detail;  // already says which request and why
        break;
      case Kind::kKilled:
        o.death.reason = who + " was killed: " + detail;
        o.start_failure = "killed during start-up: " + detail;
        break;
    }
    if (kind != Kind::kStartup) {
      if (std::string line = LastLine(tail); !line.empty())
        o.start_failure += "; its stderr ends: " + line;
    }
    return o;
  }

  // Kills and reaps the child (if alive), closes its pipes and completes
  // everything pending. Callbacks run after the state is consistent, so they
  // may call back into this object (e.g. AsyncRestart); with `post` they are
  // posted instead (for Kill() and destruction, where the caller is not ready
  // to be re-entered).
  void Die(Kind kind, const std::string& detail, std::string bytes, bool post) {
    // The REPL starts on a request at its blank line: one the child did not
    // receive whole (it died while it was written, or before) never ran.
    const bool head_unsent = (kind == Kind::kExited || kind == Kind::kKilled) &&
                             !in_flight_.empty() && in_flight_.front().end > bytes_written_;
    internal::ExitStatus status;
    if (child_alive_) {
      status = internal::KillGroupAndReap(pid_);
      child_alive_ = false;
    }
    DrainStderr();
    CloseDescriptors();
    Obituary obituary = Explain(kind, detail, std::move(bytes), status, StderrTail());
    const ReplCrash& death = obituary.death;

    std::vector<std::pair<Callback, ReplOutcome>> completions;
    std::optional<ReplOutcome> startup_failure;
    if (!in_flight_.empty()) {
      Pending& head = in_flight_.front();
      ReplOutcome outcome = obituary.in_flight ? std::move(*obituary.in_flight) : death;
      if (head_unsent) {
        ReplCrash not_run = death;
        not_run.reason = "not run: " + death.reason;
        outcome = std::move(not_run);
      }
      if (head.startup_index >= 0) {
        startup_failure = std::move(outcome);
      } else {
        completions.emplace_back(std::move(head.done), std::move(outcome));
      }
      // Written behind the head: the REPL, which answers in order, never
      // started on them.
      for (std::size_t i = 1; i < in_flight_.size(); ++i) {
        if (in_flight_[i].startup_index >= 0) continue;
        ReplCrash not_run = death;
        not_run.reason = "not run: " + death.reason;
        completions.emplace_back(std::move(in_flight_[i].done), std::move(not_run));
      }
      in_flight_.clear();
    }
    if (kind == Kind::kStartup && failed_startup_) {
      startup_failure = std::move(*failed_startup_);
      failed_startup_.reset();
    }
    for (auto& p : queue_) {
      if (p.startup_index >= 0) continue;
      ReplCrash not_sent = death;
      not_sent.reason = "not sent: " + death.reason;
      completions.emplace_back(std::move(p.done), std::move(not_sent));
    }
    queue_.clear();

    StartCallback start_done;
    StartResult start_result;
    if (state_ == State::kStarting) {
      start_done = std::move(start_done_);
      start_done_ = nullptr;
      start_result.ok = false;
      start_result.failure = startup_failure ? std::move(*startup_failure) : ReplOutcome(death);
      start_result.error = "cannot start " + command_text_ + ": " + obituary.start_failure;
    }
    state_ = State::kDead;
    death_ = death;

    if (post) {
      for (auto& [cb, outcome] : completions) Post(std::move(cb), std::move(outcome));
      if (start_done) {
        Post([cb = std::move(start_done), r = std::move(start_result)]() mutable {
          cb(std::move(r));
        });
      }
    } else {
      if (start_done) start_done(std::move(start_result));
      for (auto& [cb, outcome] : completions) cb(std::move(outcome));
    }
  }

  void CloseDescriptors() {
    boost::system::error_code ignored;
    stdin_.close(ignored);
    stdout_.close(ignored);
    stderr_.close(ignored);
    deadline_timer_.cancel();
    exit_timer_.cancel();
    timer_armed_ = false;
    ++arm_id_;
    exit_watch_ = false;
    dispatching_ = false;
    write_blocked_ = false;
    out_.clear();
    out_written_ = 0;
    bytes_written_ = bytes_queued_;
  }

  void Post(Callback cb, ReplOutcome outcome) {
    asio::post(io_, [cb = std::move(cb), outcome = std::move(outcome)]() mutable {
      cb(std::move(outcome));
    });
  }
  template <class F>
  void Post(F&& f) {
    asio::post(io_, std::forward<F>(f));
  }

  asio::io_context& io_;
  const ReplProcessOptions options_;
  const std::string command_text_;

  State state_ = State::kStopped;
  int pid_ = -1;
  bool child_alive_ = false;  // pid_ is running or an unreaped zombie
  bool stdout_closed_ = false;
  std::uint64_t generation_ = 0;

  asio::posix::stream_descriptor stdin_;
  asio::posix::stream_descriptor stdout_;
  asio::posix::stream_descriptor stderr_;
  std::unique_ptr<char[]> read_buf_;
  char err_buf_[kStderrChunk];
  int inline_backoff_ = 0;  // see ReadInline
  int inline_skip_ = 0;
  FrameSplitter splitter_;
  simdjson::dom::parser validator_;
  std::string stderr_tail_;

  std::deque<Pending> queue_;
  // Written (the newest perhaps partly), not answered; the REPL works on the
  // front one.
  std::deque<Pending> in_flight_;
  std::string out_;              // bytes of in_flight_ requests not yet written...
  std::size_t out_written_ = 0;  // ...from this offset on
  // Bytes ever queued for and written to the child: a request whose bytes
  // were not all written when the child died never ran.
  std::uint64_t bytes_queued_ = 0, bytes_written_ = 0;
  bool write_blocked_ = false;  // waiting for the pipe to take more (or it broke)
  bool holding_ = false;        // AsyncRequests is queueing: write once it is done
  Clock::time_point head_started_;
  Clock::time_point deadline_;
  bool dispatching_ = false;

  asio::steady_timer deadline_timer_;
  bool timer_armed_ = false;
  Clock::time_point timer_expiry_;
  std::uint64_t arm_id_ = 0;

  asio::steady_timer exit_timer_;
  bool exit_watch_ = false;
  Clock::time_point exit_watch_start_;
  milliseconds exit_poll_{1};

  StartCallback start_done_;
  std::vector<nlohmann::json> startup_responses_;
  std::optional<ReplResponse> failed_startup_;
  std::optional<ReplCrash> death_;
};

// --- ReplProcess -----------------------------------------------------------------

ReplProcess::ReplProcess(asio::io_context& io, ReplProcessOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {}

ReplProcess::~ReplProcess() { impl_->Shutdown(); }

void ReplProcess::AsyncStart(StartCallback done) { impl_->AsyncStart(std::move(done)); }

void ReplProcess::AsyncRestart(StartCallback done) { impl_->AsyncRestart(std::move(done)); }

void ReplProcess::AsyncRequest(nlohmann::json request, Callback done,
                               std::optional<std::chrono::milliseconds> timeout) {
  impl_->AsyncRequest(request, std::move(done), timeout);
}

void ReplProcess::AsyncRequests(std::vector<nlohmann::json> requests, std::vector<Callback> done,
                                std::optional<std::chrono::milliseconds> timeout) {
  impl_->AsyncRequests(requests, std::move(done), timeout);
}

void ReplProcess::Kill() { impl_->Kill(); }

ReplProcess::State ReplProcess::state() const { return impl_->state(); }

int ReplProcess::pid() const { return impl_->pid(); }

std::uint64_t ReplProcess::generation() const { return impl_->generation(); }

const std::vector<nlohmann::json>& ReplProcess::startup_responses() const {
  return impl_->startup_responses();
}

std::uint64_t ReplProcess::ResidentBytes() const { return impl_->ResidentBytes(); }

const ReplProcessOptions& ReplProcess::options() const { return impl_->options(); }

// --- ReplClient ------------------------------------------------------------------

struct ReplClient::Impl {
  asio::io_context io;
  std::unique_ptr<ReplProcess> process;

  template <class Done>
  void RunUntil(const Done& done) {
    while (!done()) {
      if (io.stopped()) io.restart();
      if (io.run_one() == 0 && !done()) {
        if (!io.stopped()) throw std::logic_error("ReplClient: nothing left to wait for");
        io.restart();
        if (io.run_one() == 0 && !done()) {
          throw std::logic_error("ReplClient: the operation can never complete");
        }
      }
    }
  }
};

ReplClient::ReplClient(ReplProcessOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->process = std::make_unique<ReplProcess>(impl_->io, std::move(options));
}

ReplClient::~ReplClient() {
  impl_->process.reset();  // kills and reaps; posted callbacks die with `io`
}

StartResult ReplClient::Start() {
  std::optional<StartResult> result;
  impl_->process->AsyncStart([&result](StartResult r) { result = std::move(r); });
  impl_->RunUntil([&result] { return result.has_value(); });
  return std::move(*result);
}

StartResult ReplClient::Restart() {
  std::optional<StartResult> result;
  impl_->process->AsyncRestart([&result](StartResult r) { result = std::move(r); });
  impl_->RunUntil([&result] { return result.has_value(); });
  return std::move(*result);
}

ReplOutcome ReplClient::Send(const nlohmann::json& request,
                             std::optional<std::chrono::milliseconds> timeout) {
  std::string bytes;
  try {
    bytes = EncodeRequest(request);
  } catch (const std::invalid_argument& e) {
    return ReplRejected{e.what()};
  }
  std::optional<ReplOutcome> result;
  impl_->process->impl_->Enqueue(
      std::move(bytes), [&result](ReplOutcome o) { result = std::move(o); }, timeout);
  impl_->RunUntil([&result] { return result.has_value(); });
  return std::move(*result);
}

ReplProcess& ReplClient::process() { return *impl_->process; }

void KillAllReplChildren() { internal::KillAllChildren(); }

}  // namespace tatami::dojo
