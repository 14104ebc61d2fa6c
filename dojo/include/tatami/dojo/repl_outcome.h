// What one request to a REPL worker ends in: exactly one of these.
//
// These are value types; an expected failure (a timeout, a crash, bad output)
// is an outcome, not an exception.
#pragma once

#include <chrono>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

namespace tatami::dojo {

// A response's JSON value, parsed from the REPL's text only when someone
// reads it: the typed readers (outcome.h) parse the text straight into
// protocol values, and a caller that only passes the text on never pays for a
// JSON tree. Reads look like reads of a nlohmann::json (`r.json.at("env")`,
// `r.json["goals"]`, `const nlohmann::json& j = r.json;`).
//
// Thread-safety: a value type; copies share the text and the parsed tree,
// and const members may be called from several threads at once (the first
// parse happens once).
class ResponseJson {
 public:
  ResponseJson() = default;  // JSON null
  // A value already parsed (recordings, tests, responses rebuilt by callers).
  ResponseJson(nlohmann::json value);  // NOLINT(google-explicit-constructor): reads as a json
  // `text` must hold exactly one JSON value (ReplProcess checks every response
  // before it hands it out); it is parsed on first use. Throws
  // nlohmann::json::parse_error on first use if it does not.
  static ResponseJson FromText(std::string text);

  // The parsed value.
  const nlohmann::json& value() const;
  operator const nlohmann::json&() const { return value(); }  // NOLINT: reads as a json
  const nlohmann::json* operator->() const { return &value(); }
  // The text this value is parsed from, or nullptr when it was made from a
  // parsed value. Readers that want typed values parse this instead.
  const std::string* text() const;

  // The read-only part of nlohmann::json's interface that callers use.
  template <class Key>
  const nlohmann::json& operator[](const Key& key) const {
    return value()[key];
  }
  template <class Key>
  const nlohmann::json& at(const Key& key) const {
    return value().at(key);
  }
  template <class Key>
  bool contains(const Key& key) const {
    return value().contains(key);
  }
  template <class T>
  T get() const {
    return value().get<T>();
  }
  bool is_object() const { return value().is_object(); }
  std::string dump(int indent = -1) const { return value().dump(indent); }

  friend bool operator==(const ResponseJson& a, const ResponseJson& b) {
    return a.value() == b.value();
  }
  friend bool operator==(const ResponseJson& a, const nlohmann::json& b) { return a.value() == b; }
  friend std::ostream& operator<<(std::ostream& out, const ResponseJson& j);

 private:
  struct State;
  std::shared_ptr<const State> state_;
};

// The REPL answered with one JSON object (which may itself be the REPL's error
// object, {"message": ...}; interpreting it is the job of outcome.h).
struct ReplResponse {
  ResponseJson json;
  std::chrono::microseconds elapsed{0};  // request written -> response checked
  // The response exactly as the REPL printed it, without the blank line that
  // ends it. `json` sorts object keys; tools that pass responses through
  // unchanged (`tatami repl`) use this to keep the REPL's key order and layout.
  std::string text;
  // The largest proof-state id the response names (its "proofState", and
  // those of its "sorries" and "tactics"), -1 if none; set by ReplProcess,
  // which reads it while checking the response, so that the pool can count
  // proof states without building the JSON tree. Unset for responses made
  // elsewhere (MaxProofState() then reads `json`).
  std::optional<std::int64_t> max_proof_state;
};

// The largest proof-state id `response` names, -1 if none.
std::int64_t MaxProofState(const ReplResponse& response);

// The per-request deadline passed. The child was killed (its whole process
// group) and reaped; its Lean state is gone.
struct ReplTimeout {
  std::chrono::milliseconds deadline{0};
  std::string stderr_tail;  // last bytes the child wrote to stderr
};

// The child exited or was killed by a signal while the request was pending,
// or could not be started at all.
struct ReplCrash {
  std::optional<int> exit_code;         // set when the child exited normally
  std::optional<int> signal;            // set when a signal killed it
  bool memory_limit_suspected = false;  // died under a memory cap (SIGKILL/SIGSEGV/abort, or
                                        // "out of memory" in stderr)
  std::string stderr_tail;              // bounded tail of the child's stderr
  std::string reason;                   // human-readable summary ("exited with code 1", ...)
};

// The child wrote something that is not the JSON the protocol promises. The
// worker is killed, because its output stream can no longer be trusted.
struct ReplProtocolError {
  std::string reason;  // what was wrong ("not JSON: ...", "response exceeds 256 MiB", ...)
  std::string bytes;   // the offending output (bounded)
};

// The request was refused before reaching the child (not valid UTF-8, not an
// object, worker shut down...). The worker is unaffected.
struct ReplRejected {
  std::string reason;
};

using ReplOutcome =
    std::variant<ReplResponse, ReplTimeout, ReplCrash, ReplProtocolError, ReplRejected>;

// What an outcome means for the worker that ran the request. Two rules, for
// two owners, so that neither caller spells out its own set of alternatives:
//
// KilledWorker: the worker process is gone, and every environment and proof
// state it held with it. A timeout kills the child, a crash is its death, and
// after a protocol error it is killed because its output can no longer be
// trusted. Whoever owns the worker (the pool) must restart it; a rejection
// never reached the child, so the worker is unaffected.
bool KilledWorker(const ReplOutcome& outcome);

// RetryOnFreshWorker: the request got no answer from Lean, through no fault
// of the request, and the same request on a restarted worker may get one:
// the worker died under it (crash, protocol error) or the request never
// reached a live worker (rejected, e.g. a leased worker that was restarted or
// recycled). A timeout is a killed worker but not in this set: it is the
// request's own answer (Lean took longer than the deadline), and running it
// again would cost the whole deadline for the same answer.
bool RetryOnFreshWorker(const ReplOutcome& outcome);

// NeverRan: the worker died before the REPL started on this request (it was
// queued, or written behind the request the REPL was working on): Lean never
// saw it, so it says nothing about the request, and retrying it is free of
// the "a second crash is the tactic's fault" rule.
bool NeverRan(const ReplOutcome& outcome);

// One line describing `outcome`, for logs and CLI errors.
std::string Describe(const ReplOutcome& outcome);

}  // namespace tatami::dojo
