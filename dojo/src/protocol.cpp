#include "tatami/dojo/protocol.h"

#include "response_shape.h"
#include "tatami/dojo/framing.h"

#include <array>
#include <limits>

namespace tatami::dojo::protocol {

namespace {

// Propagates a ParseError out of the enclosing Parse* function.
#define TATAMI_TRY(expr)                                                     \
  do {                                                                       \
    if (std::optional<ParseError> tatami_err_ = (expr)) return *tatami_err_; \
  } while (0)

std::string Join(const std::string& path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return path + "." + std::string(key);
}

std::string Index(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string TypeName(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::object:
      return "object";
    case Json::value_t::array:
      return "array";
    case Json::value_t::string:
      return "string";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "integer";
    case Json::value_t::number_float:
      return "number";
    default:
      return "binary";
  }
}

ParseError WrongType(const std::string& path, std::string_view expected, const Json& got) {
  return ParseError{path, "expected " + std::string(expected) + ", got " + TypeName(got)};
}

// Reads the fields of one JSON object, remembering which keys were consumed
// so that the others can be kept as `extra`.
class Fields {
 public:
  Fields(const Json& object, std::string path) : object_(object), path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  std::string PathOf(std::string_view key) const { return Join(path_, key); }

  // Returns the field's value, or nullptr when absent; marks it as known.
  const Json* Find(std::string_view key) {
    known_.emplace_back(key);
    auto it = object_.find(std::string(key));
    return it == object_.end() ? nullptr : &*it;
  }

  std::optional<ParseError> Missing(std::string_view key) const {
    return ParseError{PathOf(key), "missing"};
  }

  // Every field that no Find() asked for; null (nothing allocated) when none.
  Json Extra() const {
    Json extra;
    for (auto it = object_.begin(); it != object_.end(); ++it) {
      bool is_known = false;
      for (const auto& k : known_) is_known = is_known || k == it.key();
      if (!is_known) extra[it.key()] = it.value();
    }
    return extra;
  }

 private:
  const Json& object_;
  std::string path_;
  std::vector<std::string> known_;
};

std::optional<ParseError> ExpectObject(const Json& j, const std::string& path) {
  if (!j.is_object()) return WrongType(path, "an object", j);
  return std::nullopt;
}

std::optional<ParseError> ReadString(const Json& j, const std::string& path, std::string* out) {
  if (!j.is_string()) return WrongType(path, "a string", j);
  *out = j.get<std::string>();
  return std::nullopt;
}

std::optional<ParseError> ReadBool(const Json& j, const std::string& path, bool* out) {
  if (!j.is_boolean()) return WrongType(path, "a boolean", j);
  *out = j.get<bool>();
  return std::nullopt;
}

// Lean's Nat: a non-negative integer (fits in int64 here).
std::optional<ParseError> ReadNat(const Json& j, const std::string& path, std::int64_t* out) {
  if (j.is_number_unsigned()) {
    auto v = j.get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return ParseError{path, "number too large"};
    *out = static_cast<std::int64_t>(v);
    return std::nullopt;
  }
  if (j.is_number_integer()) {
    auto v = j.get<std::int64_t>();
    if (v < 0) return ParseError{path, "expected a natural number, got " + std::to_string(v)};
    *out = v;
    return std::nullopt;
  }
  return WrongType(path, "a natural number", j);
}

std::optional<ParseError> ReadStrings(const Json& j, const std::string& path,
                                      std::vector<std::string>* out) {
  if (!j.is_array()) return WrongType(path, "an array of strings", j);
  out->clear();
  out->reserve(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) {
    std::string s;
    if (auto err = ReadString(j[i], Index(path, i), &s)) return err;
    out->push_back(std::move(s));
  }
  return std::nullopt;
}

template <class T, class Reader>
std::optional<ParseError> RequiredField(Fields& f, std::string_view key, T* out, Reader read) {
  const Json* v = f.Find(key);
  if (!v) return f.Missing(key);
  return read(*v, f.PathOf(key), out);
}

template <class T, class Reader>
std::optional<ParseError> OptionalField(Fields& f, std::string_view key, std::optional<T>* out,
                                        Reader read) {
  const Json* v = f.Find(key);
  if (!v) return std::nullopt;
  T value;
  if (auto err = read(*v, f.PathOf(key), &value)) return err;
  *out = std::move(value);
  return std::nullopt;
}

template <class T, class Reader>
std::optional<ParseError> NullableField(Fields& f, std::string_view key, Nullable<T>* out,
                                        Reader read) {
  const Json* v = f.Find(key);
  if (!v) return std::nullopt;
  if (v->is_null()) {
    *out = Nullable<T>::Null();
    return std::nullopt;
  }
  T value;
  if (auto err = read(*v, f.PathOf(key), &value)) return err;
  *out = Nullable<T>(std::move(value));
  return std::nullopt;
}

// Adapts a ParseResult-returning parser (taking a path) to the reader shape.
template <class T, class Parser>
auto Via(Parser parse) {
  return [parse](const Json& j, const std::string& path, T* out) -> std::optional<ParseError> {
    ParseResult<T> r = parse(j, path);
    if (!r.ok()) return r.error();
    *out = std::move(r).value();
    return std::nullopt;
  };
}

template <class T, class Parser>
auto ListOf(Parser parse) {
  return [parse](const Json& j, const std::string& path,
                 std::vector<T>* out) -> std::optional<ParseError> {
    if (!j.is_array()) return WrongType(path, "an array", j);
    out->clear();
    out->reserve(j.size());
    for (std::size_t i = 0; i < j.size(); ++i) {
      ParseResult<T> r = parse(j[i], Index(path, i));
      if (!r.ok()) return r.error();
      out->push_back(std::move(r).value());
    }
    return std::nullopt;
  };
}

ParseResult<Pos> PosAt(const Json& j, const std::string& path) {
  TATAMI_TRY(ExpectObject(j, path));
  Fields f(j, path);
  Pos pos;
  TATAMI_TRY(RequiredField(f, "line", &pos.line, ReadNat));
  TATAMI_TRY(RequiredField(f, "column", &pos.column, ReadNat));
  pos.extra = f.Extra();
  return pos;
}

ParseResult<Message> MessageAt(const Json& j, const std::string& path) {
  TATAMI_TRY(ExpectObject(j, path));
  Fields f(j, path);
  Message m;
  std::string severity;
  TATAMI_TRY(RequiredField(f, "severity", &severity, ReadString));
  m.severity = ParseSeverity(severity);
  if (m.severity == Severity::kOther || ToString(m.severity) != severity)
    m.severity_spelling = severity;
  TATAMI_TRY(RequiredField(f, "pos", &m.pos, Via<Pos>(PosAt)));
  TATAMI_TRY(NullableField(f, "endPos", &m.end_pos, Via<Pos>(PosAt)));
  TATAMI_TRY(RequiredField(f, "data", &m.data, ReadString));
  m.extra = f.Extra();
  return m;
}

ParseResult<Sorry> SorryAt(const Json& j, const std::string& path) {
  TATAMI_TRY(ExpectObject(j, path));
  Fields f(j, path);
  Sorry s;
  TATAMI_TRY(OptionalField(f, "pos", &s.pos, Via<Pos>(PosAt)));
  TATAMI_TRY(OptionalField(f, "endPos", &s.end_pos, Via<Pos>(PosAt)));
  TATAMI_TRY(RequiredField(f, "goal", &s.goal, ReadString));
  TATAMI_TRY(NullableField(f, "proofState", &s.proof_state, ReadNat));
  s.extra = f.Extra();
  return s;
}

ParseResult<Tactic> TacticAt(const Json& j, const std::string& path) {
  TATAMI_TRY(ExpectObject(j, path));
  Fields f(j, path);
  Tactic t;
  TATAMI_TRY(RequiredField(f, "pos", &t.pos, Via<Pos>(PosAt)));
  TATAMI_TRY(RequiredField(f, "endPos", &t.end_pos, Via<Pos>(PosAt)));
  TATAMI_TRY(RequiredField(f, "goals", &t.goals, ReadString));
  TATAMI_TRY(RequiredField(f, "tactic", &t.tactic, ReadString));
  TATAMI_TRY(NullableField(f, "proofState", &t.proof_state, ReadNat));
  TATAMI_TRY(OptionalField(f, "usedConstants", &t.used_constants, ReadStrings));
  t.extra = f.Extra();
  return t;
}

std::optional<ParseError> ReadOptions(Fields& f, CommandOptions* o) {
  TATAMI_TRY(NullableField(f, "allTactics", &o->all_tactics, ReadBool));
  TATAMI_TRY(NullableField(f, "rootGoals", &o->root_goals, ReadBool));
  TATAMI_TRY(NullableField(f, "infotree", &o->infotree, ReadString));
  return std::nullopt;
}

void PutOptions(const CommandOptions& o, Json* out);

template <class T>
void PutNullable(Json* out, const char* key, const Nullable<T>& v) {
  if (!v.present()) return;
  if (v.is_null()) {
    (*out)[key] = nullptr;
  } else {
    (*out)[key] = *v;
  }
}

void PutOptions(const CommandOptions& o, Json* out) {
  PutNullable(out, "allTactics", o.all_tactics);
  PutNullable(out, "rootGoals", o.root_goals);
  PutNullable(out, "infotree", o.infotree);
}

// Known fields win over `extra` entries of the same name.
Json WithExtra(Json out, const Json& extra) {
  if (extra.is_object()) {
    for (auto it = extra.begin(); it != extra.end(); ++it) {
      if (!out.contains(it.key())) out[it.key()] = it.value();
    }
  }
  return out;
}

template <class T>
Json ListToJson(const std::vector<T>& items) {
  Json arr = Json::array();
  for (const auto& item : items) arr.push_back(ToJson(item));
  return arr;
}

template <class T>
ParseResult<Request> AsRequest(ParseResult<T> r) {
  if (!r.ok()) return r.error();
  return Request(std::move(r).value());
}

template <class T>
ParseResult<Response> AsResponse(ParseResult<T> r) {
  if (!r.ok()) return r.error();
  return Response(std::move(r).value());
}

ParseResult<Response> Shaped(const Json& json, std::optional<RequestKind> answered) {
  TATAMI_TRY(ExpectObject(json, ""));
  switch (internal::ShapeOf(internal::KeysOf(json), answered)) {
    case internal::ResponseShape::kError:
      return AsResponse(ParseErrorResponse(json));
    case internal::ResponseShape::kProofStep:
      return AsResponse(ParseProofStepResponse(json));
    case internal::ResponseShape::kCommand:
      return AsResponse(ParseCommandResponse(json));
    case internal::ResponseShape::kUnknown:
      break;
  }
  return ParseError{"", "not a REPL response: none of the fields env, proofState, message"};
}

const std::vector<Message> kNoMessages;
const std::vector<Sorry> kNoSorries;
const std::vector<Tactic> kNoTactics;
const std::vector<std::string> kNoStrings;

}  // namespace

std::string ParseError::ToString() const {
  if (field.empty()) return problem;
  return field + ": " + problem;
}

Severity ParseSeverity(std::string_view text) {
  if (text == "error") return Severity::kError;
  if (text == "warning") return Severity::kWarning;
  if (text == "info" || text == "information") return Severity::kInfo;
  if (text == "trace") return Severity::kTrace;
  return Severity::kOther;
}

std::string_view ToString(Severity severity) {
  switch (severity) {
    case Severity::kTrace:
      return "trace";
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kError:
      return "error";
    case Severity::kOther:
      break;
  }
  return "other";
}

ParseResult<Pos> ParsePos(const Json& json) { return PosAt(json, ""); }
ParseResult<Message> ParseMessage(const Json& json) { return MessageAt(json, ""); }
ParseResult<Sorry> ParseSorry(const Json& json) { return SorryAt(json, ""); }
ParseResult<Tactic> ParseTactic(const Json& json) { return TacticAt(json, ""); }

ParseResult<CommandRequest> ParseCommandRequest(const Json& json) {
  TATAMI_TRY(ExpectObject(json, ""));
  Fields f(json, "");
  CommandRequest r;
  TATAMI_TRY(RequiredField(f, "cmd", &r.cmd, ReadString));
  TATAMI_TRY(NullableField(f, "env", &r.env, ReadNat));
  TATAMI_TRY(ReadOptions(f, &r.options));
  r.extra = f.Extra();
  return r;
}

ParseResult<FileRequest> ParseFileRequest(const Json& json) {
  TATAMI_TRY(ExpectObject(json, ""));
  Fields f(json, "");
  FileRequest r;
  TATAMI_TRY(RequiredField(f, "path", &r.path, ReadString));
  TATAMI_TRY(NullableField(f, "env", &r.env, ReadNat));
  TATAMI_TRY(ReadOptions(f, &r.options));
  r.extra = f.Extra();
  return r;
}

ParseResult<ProofStepRequest> ParseProofStepRequest(const Json& json) {
  TATAMI_TRY(ExpectObject(json, ""));
  Fields f(json, "");
  ProofStepRequest r;
  TATAMI_TRY(RequiredField(f, "proofState", &r.proof_state, ReadNat));
  TATAMI_TRY(RequiredField(f, "tactic", &r.tactic, ReadString));
  r.extra = f.Extra();
  return r;
}

ParseResult<PickleEnvironmentRequest> ParsePickleEnvironmentRequest(const Json& json) {
  TATAMI_TRY(ExpectObject(json, ""));
  Fields f(json, "");
  PickleEnvironmentRequest r;
  TATAMI_TRY(RequiredField(f, "env", &r.env, ReadNat));
  TATAMI_TRY(RequiredField(f, "pickleTo", &r.pickle_to, ReadString));
  r.extra = f.Extra();
  return r;
}

ParseResult<UnpickleEnvironmentRequest> ParseUnpickleEnvironmentRequest(const Json& json) {
  TATAMI_TRY(ExpectObject(json, ""));
  Fields f(json, "");
  UnpickleEnvironmentRequest r;
  TATAMI_TRY(RequiredField(f, "unpickleEnvFrom", &r.unpickle_env_from, ReadString));
  r.extra = f.Extra();
  return r;
}

ParseResult<PickleProofStateRequest> ParsePickleProofStateRequest(const Json& json) {
  TATAMI_TRY(ExpectObject(json, ""));
  Fields f(json, "");
  PickleProofStateRequest r;
  TATAMI_TRY(RequiredField(f, "proofState", &r.proof_state, ReadNat));
  TATAMI_TRY(RequiredField(f, "pickleTo", &r.pickle_to, ReadString));
  r.extra = f.Extra();
  return r;
}

ParseResult<UnpickleProofStateRequest> ParseUnpickleProofStateRequest(const Json& json) {
  TATAMI_TRY(ExpectObject(json, ""));
  Fields f(json, "");
  UnpickleProofStateRequest r;
  TATAMI_TRY(RequiredField(f, "unpickleProofStateFrom", &r.unpickle_proof_state_from, ReadString));
  TATAMI_TRY(NullableField(f, "env", &r.env, ReadNat));
  r.extra = f.Extra();
  return r;
}

ParseResult<Request> ParseRequest(const Json& json) {
  TATAMI_TRY(ExpectObject(json, ""));
  // The REPL's order of attempts; the first kind that parses wins.
  if (auto r = ParseProofStepRequest(json); r.ok()) return Request(std::move(r).value());
  if (auto r = ParsePickleEnvironmentRequest(json); r.ok()) return Request(std::move(r).value());
  if (auto r = ParseUnpickleEnvironmentRequest(json); r.ok()) return Request(std::move(r).value());
  if (auto r = ParsePickleProofStateRequest(json); r.ok()) return Request(std::move(r).value());
  if (auto r = ParseUnpickleProofStateRequest(json); r.ok()) return Request(std::move(r).value());
  if (auto r = ParseCommandRequest(json); r.ok()) return Request(std::move(r).value());
  if (auto r = ParseFileRequest(json); r.ok()) return Request(std::move(r).value());

  // Nothing fits: report against the kind the object was most likely meant as.
  if (json.contains("tactic")) return AsRequest(ParseProofStepRequest(json));
  if (json.contains("pickleTo")) {
    if (json.contains("proofState") && !json.contains("env"))
      return AsRequest(ParsePickleProofStateRequest(json));
    return AsRequest(ParsePickleEnvironmentRequest(json));
  }
  if (json.contains("unpickleEnvFrom")) return AsRequest(ParseUnpickleEnvironmentRequest(json));
  if (json.contains("unpickleProofStateFrom"))
    return AsRequest(ParseUnpickleProofStateRequest(json));
  if (json.contains("cmd")) return AsRequest(ParseCommandRequest(json));
  if (json.contains("path")) return AsRequest(ParseFileRequest(json));
  return ParseError{"",
                    "not a REPL request: none of the fields cmd, path, tactic, pickleTo, "
                    "unpickleEnvFrom, unpickleProofStateFrom"};
}

RequestKind KindOf(const Request& request) {
  static constexpr std::array<RequestKind, 7> kKinds = {RequestKind::kCommand,
                                                        RequestKind::kFile,
                                                        RequestKind::kProofStep,
                                                        RequestKind::kPickleEnvironment,
                                                        RequestKind::kUnpickleEnvironment,
                                                        RequestKind::kPickleProofState,
                                                        RequestKind::kUnpickleProofState};
  static_assert(std::variant_size_v<Request> == kKinds.size());
  return kKinds[request.index()];
}

std::string_view ToString(RequestKind kind) {
  switch (kind) {
    case RequestKind::kCommand:
      return "command";
    case RequestKind::kFile:
      return "file";
    case RequestKind::kProofStep:
      return "proof step";
    case RequestKind::kPickleEnvironment:
      return "pickle environment";
    case RequestKind::kUnpickleEnvironment:
      return "unpickle environment";
    case RequestKind::kPickleProofState:
      return "pickle proof state";
    case RequestKind::kUnpickleProofState:
      return "unpickle proof state";
  }
  return "unknown";
}

bool AnsweredByProofStepResponse(RequestKind kind) {
  return kind == RequestKind::kProofStep || kind == RequestKind::kPickleProofState ||
         kind == RequestKind::kUnpickleProofState;
}

const std::vector<Message>& CommandResponse::messages_or_empty() const {
  return messages ? *messages : kNoMessages;
}
const std::vector<Sorry>& CommandResponse::sorries_or_empty() const {
  return sorries ? *sorries : kNoSorries;
}
const std::vector<Tactic>& CommandResponse::tactics_or_empty() const {
  return tactics ? *tactics : kNoTactics;
}
const std::vector<Message>& ProofStepResponse::messages_or_empty() const {
  return messages ? *messages : kNoMessages;
}
const std::vector<Sorry>& ProofStepResponse::sorries_or_empty() const {
  return sorries ? *sorries : kNoSorries;
}
const std::vector<std::string>& ProofStepResponse::traces_or_empty() const {
  return traces ? *traces : kNoStrings;
}

ParseResult<CommandResponse> ParseCommandResponse(const Json& json) {
  TATAMI_TRY(ExpectObject(json, ""));
  Fields f(json, "");
  CommandResponse r;
  TATAMI_TRY(RequiredField(f, "env", &r.env, ReadNat));
  TATAMI_TRY(OptionalField(f, "messages", &r.messages, ListOf<Message>(MessageAt)));
  TATAMI_TRY(OptionalField(f, "sorries", &r.sorries, ListOf<Sorry>(SorryAt)));
  TATAMI_TRY(OptionalField(f, "tactics", &r.tactics, ListOf<Tactic>(TacticAt)));
  if (const Json* tree = f.Find("infotree")) r.infotree = *tree;
  r.extra = f.Extra();
  return r;
}

ParseResult<ProofStepResponse> ParseProofStepResponse(const Json& json) {
  TATAMI_TRY(ExpectObject(json, ""));
  Fields f(json, "");
  ProofStepResponse r;
  TATAMI_TRY(RequiredField(f, "proofState", &r.proof_state, ReadNat));
  TATAMI_TRY(RequiredField(f, "goals", &r.goals, ReadStrings));
  TATAMI_TRY(OptionalField(f, "messages", &r.messages, ListOf<Message>(MessageAt)));
  TATAMI_TRY(OptionalField(f, "sorries", &r.sorries, ListOf<Sorry>(SorryAt)));
  TATAMI_TRY(OptionalField(f, "traces", &r.traces, ReadStrings));
  TATAMI_TRY(OptionalField(f, "proofStatus", &r.proof_status, ReadString));
  r.extra = f.Extra();
  return r;
}

ParseResult<ErrorResponse> ParseErrorResponse(const Json& json) {
  TATAMI_TRY(ExpectObject(json, ""));
  Fields f(json, "");
  ErrorResponse r;
  TATAMI_TRY(RequiredField(f, "message", &r.message, ReadString));
  r.extra = f.Extra();
  return r;
}

ParseResult<Response> ParseResponse(RequestKind answered, const Json& json) {
  return Shaped(json, answered);
}

ParseResult<Response> ParseResponse(const Json& json) { return Shaped(json, std::nullopt); }

Json ToJson(const Pos& pos) {
  Json out = {{"line", pos.line}, {"column", pos.column}};
  return WithExtra(std::move(out), pos.extra);
}

Json ToJson(const Message& message) {
  Json out = Json::object();
  out["severity"] = message.severity_spelling.empty() ? std::string(ToString(message.severity))
                                                      : message.severity_spelling;
  out["pos"] = ToJson(message.pos);
  if (message.end_pos.present()) {
    out["endPos"] = message.end_pos.is_null() ? Json(nullptr) : ToJson(*message.end_pos);
  }
  out["data"] = message.data;
  return WithExtra(std::move(out), message.extra);
}

Json ToJson(const Sorry& sorry) {
  Json out = Json::object();
  if (sorry.pos) out["pos"] = ToJson(*sorry.pos);
  if (sorry.end_pos) out["endPos"] = ToJson(*sorry.end_pos);
  out["goal"] = sorry.goal;
  PutNullable(&out, "proofState", sorry.proof_state);
  return WithExtra(std::move(out), sorry.extra);
}

Json ToJson(const Tactic& tactic) {
  Json out = Json::object();
  out["pos"] = ToJson(tactic.pos);
  out["endPos"] = ToJson(tactic.end_pos);
  out["goals"] = tactic.goals;
  out["tactic"] = tactic.tactic;
  PutNullable(&out, "proofState", tactic.proof_state);
  if (tactic.used_constants) out["usedConstants"] = *tactic.used_constants;
  return WithExtra(std::move(out), tactic.extra);
}

Json ToJson(const CommandRequest& request) {
  Json out = Json::object();
  out["cmd"] = request.cmd;
  PutNullable(&out, "env", request.env);
  PutOptions(request.options, &out);
  return WithExtra(std::move(out), request.extra);
}

Json ToJson(const FileRequest& request) {
  Json out = Json::object();
  out["path"] = request.path;
  PutNullable(&out, "env", request.env);
  PutOptions(request.options, &out);
  return WithExtra(std::move(out), request.extra);
}

Json ToJson(const ProofStepRequest& request) {
  // Field by field: a search sends one of these per tactic, and from an
  // initializer list nlohmann copies each element through a temporary.
  Json out(Json::value_t::object);
  auto& fields = out.get_ref<Json::object_t&>();
  fields.emplace("proofState", request.proof_state);
  fields.emplace("tactic", request.tactic);
  return WithExtra(std::move(out), request.extra);
}

Json ToJson(const PickleEnvironmentRequest& request) {
  Json out = {{"env", request.env}, {"pickleTo", request.pickle_to}};
  return WithExtra(std::move(out), request.extra);
}

Json ToJson(const UnpickleEnvironmentRequest& request) {
  Json out = {{"unpickleEnvFrom", request.unpickle_env_from}};
  return WithExtra(std::move(out), request.extra);
}

Json ToJson(const PickleProofStateRequest& request) {
  Json out = {{"proofState", request.proof_state}, {"pickleTo", request.pickle_to}};
  return WithExtra(std::move(out), request.extra);
}

Json ToJson(const UnpickleProofStateRequest& request) {
  Json out = {{"unpickleProofStateFrom", request.unpickle_proof_state_from}};
  PutNullable(&out, "env", request.env);
  return WithExtra(std::move(out), request.extra);
}

Json ToJson(const Request& request) {
  return std::visit([](const auto& r) { return ToJson(r); }, request);
}

Json ToJson(const CommandResponse& response) {
  Json out = Json::object();
  out["env"] = response.env;
  if (response.messages) out["messages"] = ListToJson(*response.messages);
  if (response.sorries) out["sorries"] = ListToJson(*response.sorries);
  if (response.tactics) out["tactics"] = ListToJson(*response.tactics);
  if (response.infotree) out["infotree"] = *response.infotree;
  return WithExtra(std::move(out), response.extra);
}

Json ToJson(const ProofStepResponse& response) {
  Json out = Json::object();
  out["proofState"] = response.proof_state;
  out["goals"] = response.goals;
  if (response.messages) out["messages"] = ListToJson(*response.messages);
  if (response.sorries) out["sorries"] = ListToJson(*response.sorries);
  if (response.traces) out["traces"] = *response.traces;
  if (response.proof_status) out["proofStatus"] = *response.proof_status;
  return WithExtra(std::move(out), response.extra);
}

Json ToJson(const ErrorResponse& response) {
  Json out = {{"message", response.message}};
  return WithExtra(std::move(out), response.extra);
}

Json ToJson(const Response& response) {
  return std::visit([](const auto& r) { return ToJson(r); }, response);
}

bool IsCommentRequest(std::string_view text) {
  return text.substr(0, 1) == "#" || text.substr(0, 2) == "--";
}

std::vector<RequestText> SplitRequestStream(std::string_view input) {
  std::vector<RequestText> out;
  for (auto& block : BlankLineSplitter::Split(input, BlankLineSplitter::Join::kWithoutNewlines)) {
    RequestText r;
    r.first_line = block.first_line;
    r.text = std::move(block.text);
    r.comment = IsCommentRequest(r.text);
    out.push_back(std::move(r));
  }
  return out;
}

#undef TATAMI_TRY

}  // namespace tatami::dojo::protocol
