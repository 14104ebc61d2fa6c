// Value types for the Lean REPL's JSON protocol (the community `repl`):
// every request it accepts and every response it writes.
//
// Parsing never throws on bad input: each Parse* function returns a
// ParseResult holding either the value or a ParseError that names the field
// (as a path such as "messages[1].pos.line") and the problem. ToJson writes a
// value back; for any object that parsed, ToJson(parsed) equals the input as a
// JSON value:
//   * fields this code does not know are kept in each type's `extra` object
//     (null when there are none, so that the common case allocates nothing)
//     and written back, so output of a newer REPL survives a round trip;
//   * a field that was absent stays absent (no default is invented), and a
//     field the REPL wrote as `null` (Lean's `Option` none) is written back
//     as null - see Nullable.
//
// Field meanings and the differences between REPL versions are described in
// docs/protocol.md. Interpreting a response (did the tactic fail? is the
// proof complete?) is not done here but in outcome.h.
//
// Thread-safety: all types are plain values; all functions are pure and
// thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace tatami::dojo::protocol {

using Json = nlohmann::json;

// A field that may be absent, present as JSON null, or present with a value.
// The REPL serialises some Lean `Option` fields as null (e.g. a message's
// `endPos` in REPL <= v4.19) and omits others; both must round-trip.
template <class T>
class Nullable {
 public:
  Nullable() = default;        // absent
  Nullable(std::nullopt_t) {}  // absent
  // A present value; anything T can be made from (so `infotree = "full"` works).
  template <class U = T, std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                              !std::is_same_v<std::decay_t<U>, Nullable> &&
                                              !std::is_same_v<std::decay_t<U>, std::nullopt_t>,
                                          int> = 0>
  Nullable(U&& value) : present_(true), value_(std::forward<U>(value)) {}  // NOLINT: implicit
  static Nullable Null() {
    Nullable n;
    n.present_ = true;
    return n;
  }

  // Makes it present with a value built from `args` (in place, for readers
  // that fill the value field by field); returns the value.
  template <class... Args>
  T& emplace(Args&&... args) {
    present_ = true;
    return value_.emplace(std::forward<Args>(args)...);
  }

  bool present() const { return present_; }             // absent -> false
  bool is_null() const { return present_ && !value_; }  // present as null
  bool has_value() const { return value_.has_value(); }
  const T& value() const { return value_.value(); }
  const T& operator*() const { return *value_; }
  const T* operator->() const { return &*value_; }
  T value_or(T fallback) const { return value_.value_or(std::move(fallback)); }
  const std::optional<T>& optional() const { return value_; }

  friend bool operator==(const Nullable&, const Nullable&) = default;

 private:
  bool present_ = false;
  std::optional<T> value_;
};

// Why a JSON value is not the protocol object it should be.
struct ParseError {
  std::string field;    // path of the offending field ("" = the object itself)
  std::string problem;  // "missing", "expected a string, got number", ...

  // "field: problem" (or just the problem when field is empty).
  std::string ToString() const;
  friend bool operator==(const ParseError&, const ParseError&) = default;
};

// Either a parsed value or the ParseError saying why there is none.
template <class T>
class ParseResult {
 public:
  ParseResult(T value) : v_(std::move(value)) {}           // NOLINT: implicit by design
  ParseResult(ParseError error) : v_(std::move(error)) {}  // NOLINT: implicit by design
  // A value built in place from `args` (for readers that fill it field by
  // field, so that it is never moved).
  template <class... Args>
  explicit ParseResult(std::in_place_t, Args&&... args)
      : v_(std::in_place_index<0>, std::forward<Args>(args)...) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // Throws std::logic_error when !ok() (asking for a value that is not there
  // is misuse, not bad input).
  const T& value() const& {
    if (!ok()) throw std::logic_error("ParseResult::value() on error: " + error().ToString());
    return std::get<0>(v_);
  }
  T& value() & {
    if (!ok()) throw std::logic_error("ParseResult::value() on error: " + error().ToString());
    return std::get<0>(v_);
  }
  T&& value() && {
    if (!ok()) throw std::logic_error("ParseResult::value() on error: " + error().ToString());
    return std::get<0>(std::move(v_));
  }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }
  // Throws std::logic_error when ok().
  const ParseError& error() const {
    if (ok()) throw std::logic_error("ParseResult::error() on a value");
    return std::get<1>(v_);
  }

 private:
  std::variant<T, ParseError> v_;
};

// ---------------------------------------------------------------------------
// Shared pieces of responses.

// A position in the source: line is 1-based, column 0-based (Lean's
// convention). Line 0 means "no position" (messages of a proof step).
struct Pos {
  std::int64_t line = 0;
  std::int64_t column = 0;
  Json extra;  // unknown fields (an object), null when there are none
  friend bool operator==(const Pos&, const Pos&) = default;
};

// Message severity. The REPL writes "info", "warning", "error" (and its type
// also has "trace"). Lean's own spelling "information" is accepted as kInfo;
// any other string parses as kOther and keeps its spelling.
enum class Severity { kTrace, kInfo, kWarning, kError, kOther };

// A message Lean logged (an error, a warning, `#check` output, ...).
struct Message {
  Severity severity = Severity::kInfo;
  // The exact spelling the REPL used, when it is not the canonical one for
  // `severity` ("information", or an unknown severity); empty otherwise.
  std::string severity_spelling;
  Pos pos;
  Nullable<Pos> end_pos;  // null when Lean had no end position
  std::string data;       // the message text
  Json extra;             // unknown fields (an object), null when there are none

  bool is_error() const { return severity == Severity::kError; }
  friend bool operator==(const Message&, const Message&) = default;
};

// A `sorry` (or, with `rootGoals`, a root goal) found in the elaborated code.
// Proof-step responses list the sorries a tactic introduced, without
// positions.
struct Sorry {
  std::optional<Pos> pos;              // absent when unknown (line 0)
  std::optional<Pos> end_pos;          // absent when unknown (line 0)
  std::string goal;                    // pretty-printed goal(s) at the sorry
  Nullable<std::int64_t> proof_state;  // a proof state to continue from (null if none)
  Json extra;                          // unknown fields (an object), null when there are none
  friend bool operator==(const Sorry&, const Sorry&) = default;
};

// A tactic invocation found in the elaborated code (`allTactics`).
struct Tactic {
  Pos pos;
  Pos end_pos;
  std::string goals;   // pretty-printed goals before the tactic ("no goals" if none)
  std::string tactic;  // the tactic's source text as pretty-printed by Lean
  Nullable<std::int64_t> proof_state;  // the proof state before the tactic
  // Constants the tactic's proof term uses (REPL >= v4.19; absent before).
  std::optional<std::vector<std::string>> used_constants;
  Json extra;  // unknown fields (an object), null when there are none
  friend bool operator==(const Tactic&, const Tactic&) = default;
};

// ---------------------------------------------------------------------------
// Requests.

// Options shared by command and file requests. All are absent by default,
// which the REPL reads as false / no infotree.
struct CommandOptions {
  Nullable<bool> all_tactics;  // "allTactics": list every tactic with its proof state
  Nullable<bool> root_goals;   // "rootGoals": list root goals as sorries with proof states
  // "infotree": "full", "tactics", "original" or "substantive"; anything else
  // is ignored by the REPL (no infotree in the response).
  Nullable<std::string> infotree;
  friend bool operator==(const CommandOptions&, const CommandOptions&) = default;
};

// {"cmd": ..., "env"?: n, options...}: elaborate Lean source, in environment
// `env` or (when absent) in a fresh one where `import` is allowed.
struct CommandRequest {
  std::string cmd;
  Nullable<std::int64_t> env;
  CommandOptions options;
  Json extra;  // unknown fields (an object), null when there are none
  friend bool operator==(const CommandRequest&, const CommandRequest&) = default;
};

// {"path": ..., "env"?: n, options...}: elaborate a file read by the REPL
// (relative to the REPL's working directory). `env` exists only in REPLs
// after v4.19; v4.9 and v4.19 ignore it and use a fresh environment.
struct FileRequest {
  std::string path;
  Nullable<std::int64_t> env;
  CommandOptions options;
  Json extra;  // unknown fields (an object), null when there are none
  friend bool operator==(const FileRequest&, const FileRequest&) = default;
};

// {"tactic": ..., "proofState": n}: run a tactic in a recorded proof state.
struct ProofStepRequest {
  std::int64_t proof_state = 0;
  std::string tactic;
  Json extra;  // unknown fields (an object), null when there are none
  friend bool operator==(const ProofStepRequest&, const ProofStepRequest&) = default;
};

// {"pickleTo": file, "env": n}: write environment n to an .olean file.
struct PickleEnvironmentRequest {
  std::int64_t env = 0;
  std::string pickle_to;
  Json extra;  // unknown fields (an object), null when there are none
  friend bool operator==(const PickleEnvironmentRequest&,
                         const PickleEnvironmentRequest&) = default;
};

// {"unpickleEnvFrom": file}: load a pickled environment as a new env.
struct UnpickleEnvironmentRequest {
  std::string unpickle_env_from;
  Json extra;  // unknown fields (an object), null when there are none
  friend bool operator==(const UnpickleEnvironmentRequest&,
                         const UnpickleEnvironmentRequest&) = default;
};

// {"pickleTo": file, "proofState": n}: write proof state n to a file.
struct PickleProofStateRequest {
  std::int64_t proof_state = 0;
  std::string pickle_to;
  Json extra;  // unknown fields (an object), null when there are none
  friend bool operator==(const PickleProofStateRequest&, const PickleProofStateRequest&) = default;
};

// {"unpickleProofStateFrom": file, "env"?: n}: load a pickled proof state as
// a new proof state, optionally on top of environment n.
struct UnpickleProofStateRequest {
  std::string unpickle_proof_state_from;
  Nullable<std::int64_t> env;
  Json extra;  // unknown fields (an object), null when there are none
  friend bool operator==(const UnpickleProofStateRequest&,
                         const UnpickleProofStateRequest&) = default;
};

using Request =
    std::variant<CommandRequest, FileRequest, ProofStepRequest, PickleEnvironmentRequest,
                 UnpickleEnvironmentRequest, PickleProofStateRequest, UnpickleProofStateRequest>;

// Which request a value is; also says which response shape answers it.
enum class RequestKind {
  kCommand,
  kFile,
  kProofStep,
  kPickleEnvironment,
  kUnpickleEnvironment,
  kPickleProofState,
  kUnpickleProofState,
};

RequestKind KindOf(const Request& request);
std::string_view ToString(RequestKind kind);  // "command", "proof step", ...

// True for the kinds answered by a ProofStepResponse (proof step, pickle and
// unpickle of proof states); the others are answered by a CommandResponse.
// Any request may instead be answered by an ErrorResponse.
bool AnsweredByProofStepResponse(RequestKind kind);

// ---------------------------------------------------------------------------
// Responses.

// Answer to command, file, pickle- and unpickle-environment requests.
// `messages`, `sorries` and `tactics` are omitted by the REPL when empty;
// a pickle response is just {"env": n} with the pickled env's own number.
struct CommandResponse {
  std::int64_t env = 0;  // the environment this command produced
  std::optional<std::vector<Message>> messages;
  std::optional<std::vector<Sorry>> sorries;
  std::optional<std::vector<Tactic>> tactics;
  std::optional<Json> infotree;  // Lean's info trees, kept as JSON
  Json extra;                    // unknown fields (an object), null when there are none

  // The lists, empty when absent.
  const std::vector<Message>& messages_or_empty() const;
  const std::vector<Sorry>& sorries_or_empty() const;
  const std::vector<Tactic>& tactics_or_empty() const;
  friend bool operator==(const CommandResponse&, const CommandResponse&) = default;
};

// Answer to proof-step, pickle- and unpickle-proof-state requests.
struct ProofStepResponse {
  std::int64_t proof_state = 0;                    // the new proof state
  std::vector<std::string> goals;                  // remaining goals, pretty-printed
  std::optional<std::vector<Message>> messages;    // omitted when empty
  std::optional<std::vector<Sorry>> sorries;       // sorries the tactic introduced
  std::optional<std::vector<std::string>> traces;  // trace output; omitted when empty
  // The REPL's verdict on the proof so far (REPL >= v4.19; absent before):
  // "Completed", "Incomplete: open goals remain", "Incomplete: contains
  // sorry", "Incomplete: contains metavariable(s)", "Error: ...",
  // "Not verified: more than one initial goal". See outcome.h.
  std::optional<std::string> proof_status;
  Json extra;  // unknown fields (an object), null when there are none

  const std::vector<Message>& messages_or_empty() const;
  const std::vector<Sorry>& sorries_or_empty() const;
  const std::vector<std::string>& traces_or_empty() const;
  friend bool operator==(const ProofStepResponse&, const ProofStepResponse&) = default;
};

// {"message": ...}: the REPL refused or could not run the request
// ("Unknown environment.", "Unknown proof state.", "Lean error:\n...", a file
// that could not be read, ...).
struct ErrorResponse {
  std::string message;
  Json extra;  // unknown fields (an object), null when there are none
  friend bool operator==(const ErrorResponse&, const ErrorResponse&) = default;
};

using Response = std::variant<CommandResponse, ProofStepResponse, ErrorResponse>;

// ---------------------------------------------------------------------------
// Parsing. `json` must be the whole object; field paths in errors are relative
// to it.

ParseResult<Pos> ParsePos(const Json& json);
ParseResult<Message> ParseMessage(const Json& json);
ParseResult<Sorry> ParseSorry(const Json& json);
ParseResult<Tactic> ParseTactic(const Json& json);
Severity ParseSeverity(std::string_view text);  // kOther for unknown text
std::string_view ToString(Severity severity);   // canonical spelling ("other" for kOther)

ParseResult<CommandRequest> ParseCommandRequest(const Json& json);
ParseResult<FileRequest> ParseFileRequest(const Json& json);
ParseResult<ProofStepRequest> ParseProofStepRequest(const Json& json);
ParseResult<PickleEnvironmentRequest> ParsePickleEnvironmentRequest(const Json& json);
ParseResult<UnpickleEnvironmentRequest> ParseUnpickleEnvironmentRequest(const Json& json);
ParseResult<PickleProofStateRequest> ParsePickleProofStateRequest(const Json& json);
ParseResult<UnpickleProofStateRequest> ParseUnpickleProofStateRequest(const Json& json);

// Decides the request kind the way the REPL does: the first of proof step,
// pickle environment, unpickle environment, pickle proof state, unpickle
// proof state, command, file whose required fields are present and well
// typed (other fields are ignored by the REPL, and kept in `extra` here).
// When none fits, the error describes the kind the object most resembles.
ParseResult<Request> ParseRequest(const Json& json);

ParseResult<CommandResponse> ParseCommandResponse(const Json& json);
ParseResult<ProofStepResponse> ParseProofStepResponse(const Json& json);
ParseResult<ErrorResponse> ParseErrorResponse(const Json& json);

// Decides the response type from the request that was answered: an object
// with "message" and neither "env" nor "proofState" is an ErrorResponse,
// otherwise it must be the kind's response type. This is the only place that
// tells an error object from a response; what either means is outcome.h's.
ParseResult<Response> ParseResponse(RequestKind answered, const Json& json);
// Decides from the shape alone (for tools without the request): error
// object as above; "proofState" -> ProofStepResponse; "env" ->
// CommandResponse.
ParseResult<Response> ParseResponse(const Json& json);

// ---------------------------------------------------------------------------
// Parsing from text: the same values and rules as the functions above applied
// to the parsed text, without building an nlohmann tree (simdjson's DOM parser; only
// `extra` fields and info trees become nlohmann::json). This is what reads
// responses on the hot path (outcome.h) and what multi-megabyte responses
// should go through. Text that is not JSON gives a ParseError whose problem
// starts with "not JSON". No copy is made when
// text.capacity() >= text.size() + 64 (frames from framing.h's FrameSplitter
// have that spare capacity). Thread-safe (one parser per thread).

ParseResult<CommandResponse> ParseCommandResponseText(const std::string& text);
ParseResult<ProofStepResponse> ParseProofStepResponseText(const std::string& text);
ParseResult<ErrorResponse> ParseErrorResponseText(const std::string& text);
ParseResult<Response> ParseResponseText(RequestKind answered, const std::string& text);
ParseResult<Response> ParseResponseText(const std::string& text);

// ---------------------------------------------------------------------------
// Serialisation.

Json ToJson(const Pos& pos);
Json ToJson(const Message& message);
Json ToJson(const Sorry& sorry);
Json ToJson(const Tactic& tactic);
Json ToJson(const CommandRequest& request);
Json ToJson(const FileRequest& request);
Json ToJson(const ProofStepRequest& request);
Json ToJson(const PickleEnvironmentRequest& request);
Json ToJson(const UnpickleEnvironmentRequest& request);
Json ToJson(const PickleProofStateRequest& request);
Json ToJson(const UnpickleProofStateRequest& request);
Json ToJson(const Request& request);
Json ToJson(const CommandResponse& response);
Json ToJson(const ProofStepResponse& response);
Json ToJson(const ErrorResponse& response);
Json ToJson(const Response& response);

// ---------------------------------------------------------------------------
// The REPL's input stream.

// One request as the REPL reads it from its stdin.
struct RequestText {
  std::size_t first_line = 0;  // 1-based line where the request starts
  std::string text;            // what the REPL parses
  bool comment = false;        // starts with '#' or "--": skipped, no response
};

// Splits a stream of requests the way the REPL (v4.33) reads it: a request
// is the lines up to the next blank line, each line stripped of trailing
// ASCII whitespace and joined WITHOUT newlines (so a raw newline inside a
// JSON string is lost; send compact JSON, see framing.h). Blank lines between
// requests are skipped.
std::vector<RequestText> SplitRequestStream(std::string_view input);

// True if the REPL skips the request `text` (its lines joined) without an
// answer: it starts with '#' or "--". The one rule for SplitRequestStream and
// the REPL test double.
bool IsCommentRequest(std::string_view text);

}  // namespace tatami::dojo::protocol
