// Parsing REPL responses from their text straight into the protocol's value
// types (protocol.h, "Parsing from text"), with simdjson's DOM parser (its
// SIMD kernels are chosen at run time for the CPU). Not On-Demand: simdjson
// 3.0 compiles it into the caller for the build's baseline instruction set
// (its scalar fallback on x86-64); compiled per kernel under a target
// attribute instead, its functions cannot be forced inline (GCC will not
// force kernel code into the baseline std::pair under its `field`), and so
// built it read the recorded responses about 25% slower than this reader.
// No nlohmann tree is built: strings are copied once into the values, and
// only fields this code does not know (kept in `extra`) and the info trees
// become nlohmann::json. The rules are those of the tree-based Parse*
// functions in protocol.cpp; the conformance tests check that both agree on
// every recorded response.
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "response_shape.h"
#include "tatami/dojo/protocol.h"

namespace tatami::dojo::protocol {

namespace {

namespace dom = simdjson::dom;
using Err = std::optional<ParseError>;

#define TATAMI_TRY(expr)                               \
  do {                                                 \
    if (Err tatami_err_ = (expr)) return *tatami_err_; \
  } while (0)

// Where a value is, built into a string only when an error names it.
struct Path {
  const Path* parent = nullptr;
  std::string_view key;   // set for a field
  std::size_t index = 0;  // used when key is empty and parent is set
  std::string ToString() const {
    if (!parent) return "";
    std::string base = parent->ToString();
    if (!key.empty()) return base.empty() ? std::string(key) : base + "." + std::string(key);
    return base + "[" + std::to_string(index) + "]";
  }
};

// An equality test the compiler inlines as a few loads (a string_view
// comparison calls out to compare()).
template <std::size_t N>
bool KeyIs(std::string_view key, const char (&name)[N]) {
  return key.size() == N - 1 && std::memcmp(key.data(), name, N - 1) == 0;
}

Path Field(const Path& parent, std::string_view key) { return Path{&parent, key, 0}; }
Path Element(const Path& parent, std::size_t i) { return Path{&parent, {}, i}; }

ParseError NotJson(simdjson::error_code error) {
  return ParseError{"", std::string("not JSON: ") + simdjson::error_message(error)};
}

std::string_view TypeName(dom::element v) {
  switch (v.type()) {
    case dom::element_type::ARRAY:
      return "array";
    case dom::element_type::OBJECT:
      return "object";
    case dom::element_type::STRING:
      return "string";
    case dom::element_type::BOOL:
      return "boolean";
    case dom::element_type::NULL_VALUE:
      return "null";
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
      return "integer";
    case dom::element_type::DOUBLE:
      return "number";
  }
  return "number";
}

// The error paths are kept out of line, so that the readers of the common
// case stay small enough to be inlined where they are called.
[[gnu::cold, gnu::noinline]] Err WrongType(const Path& path, std::string_view expected,
                                           dom::element got) {
  return ParseError{path.ToString(),
                    "expected " + std::string(expected) + ", got " + std::string(TypeName(got))};
}

Err ReadString(dom::element v, const Path& path, std::string* out) {
  std::string_view s;
  if (v.get_string().get(s)) [[unlikely]]
    return WrongType(path, "a string", v);
  out->assign(s);
  return std::nullopt;
}

[[gnu::cold, gnu::noinline]] Err NotANat(dom::element v, const Path& path) {
  std::int64_t value;
  if (v.get_int64().get(value)) {  // a DOUBLE, a UINT64, not a number
    if (v.type() == dom::element_type::UINT64)
      return ParseError{path.ToString(), "number too large"};
    return WrongType(path, "a natural number", v);
  }
  return ParseError{path.ToString(), "expected a natural number, got " + std::to_string(value)};
}

// Lean's Nat: a non-negative integer (fits in int64 here). simdjson reads an
// integer as UINT64 only when it does not fit in int64.
Err ReadNat(dom::element v, const Path& path, std::int64_t* out) {
  std::int64_t value;
  if (v.get_int64().get(value) || value < 0) [[unlikely]]
    return NotANat(v, path);
  *out = value;
  return std::nullopt;
}

Json ToNlohmann(dom::element v);

// object[key] = value, the last of repeated keys winning (as with
// nlohmann's own parser), without first making a null value to assign to.
void SetField(Json::object_t* object, std::string_view key, Json value) {
  object->insert_or_assign(std::string(key), std::move(value));
}

// The value as nlohmann::json, with the number types nlohmann's own parser
// gives (non-negative integers unsigned), so that extras compare and print
// the same whichever parser read them.
Json ToNlohmann(dom::element v) {
  switch (v.type()) {
    case dom::element_type::ARRAY: {
      const dom::array items(v);
      Json out(Json::value_t::array);
      auto& array = out.get_ref<Json::array_t&>();
      array.reserve(items.size());
      for (dom::element item : items) array.push_back(ToNlohmann(item));
      return out;
    }
    case dom::element_type::OBJECT: {
      Json out(Json::value_t::object);
      auto& object = out.get_ref<Json::object_t&>();
      for (dom::key_value_pair field : dom::object(v))
        SetField(&object, field.key, ToNlohmann(field.value));
      return out;
    }
    case dom::element_type::STRING:
      return Json(std::string_view(v));
    case dom::element_type::BOOL:
      return Json(bool(v));
    case dom::element_type::NULL_VALUE:
      return Json(nullptr);
    case dom::element_type::INT64: {
      const std::int64_t i = std::int64_t(v);
      if (i >= 0) return Json(static_cast<std::uint64_t>(i));
      return Json(i);
    }
    case dom::element_type::UINT64:
      return Json(std::uint64_t(v));
    case dom::element_type::DOUBLE:
      return Json(double(v));
  }
  return Json();
}

Err ReadJson(dom::element v, const Path&, Json* out) {
  *out = ToNlohmann(v);
  return std::nullopt;
}

Err KeepExtra(dom::element v, std::string_view key, Json* extra) {
  if (!extra->is_object()) *extra = Json(Json::value_t::object);  // null until the first
  SetField(&extra->get_ref<Json::object_t&>(), key, ToNlohmann(v));
  return std::nullopt;
}

template <class T, class Read>
Err ReadList(dom::element v, const Path& path, std::string_view expected, std::vector<T>* out,
             Read read) {
  dom::array array;
  if (v.get_array().get(array)) return WrongType(path, expected, v);
  out->clear();
  out->reserve(array.size());
  std::size_t i = 0;
  // Read in place: a moved-from element would still cost its destructor.
  for (dom::element item : array) TATAMI_TRY(read(item, Element(path, i++), &out->emplace_back()));
  return std::nullopt;
}

Err ReadStrings(dom::element v, const Path& path, std::vector<std::string>* out) {
  return ReadList(v, path, "an array of strings", out, ReadString);
}

// Reads in place (on an error the value is discarded with the whole result).
template <class T, class Read>
Err ReadNullable(dom::element v, const Path& path, Nullable<T>* out, Read read) {
  if (v.is_null()) {
    *out = Nullable<T>::Null();
    return std::nullopt;
  }
  return read(v, path, &out->emplace());
}

// Reads in place (on an error the value is discarded with the whole result).
template <class T, class Read>
Err ReadOptional(dom::element v, const Path& path, std::optional<T>* out, Read read) {
  return read(v, path, &out->emplace());
}

// Calls on_field(key, value, path) for every field of the object `v`; the
// callback returns an error or nullopt.
template <class OnField>
Err ForEachField(dom::element v, const Path& path, OnField on_field) {
  dom::object object;
  if (v.get_object().get(object)) return WrongType(path, "an object", v);
  for (dom::key_value_pair field : object) {
    TATAMI_TRY(on_field(field.key, field.value, Field(path, field.key)));
  }
  return std::nullopt;
}

[[gnu::cold, gnu::noinline]] Err Missing(const Path& path, std::string_view key) {
  return ParseError{Field(path, key).ToString(), "missing"};
}

Err ReadPos(dom::element v, const Path& path, Pos* pos) {
  bool line = false, column = false;
  TATAMI_TRY(
      ForEachField(v, path, [&](std::string_view key, dom::element value, const Path& at) -> Err {
        if (KeyIs(key, "line")) {
          line = true;
          return ReadNat(value, at, &pos->line);
        }
        if (KeyIs(key, "column")) {
          column = true;
          return ReadNat(value, at, &pos->column);
        }
        return KeepExtra(value, key, &pos->extra);
      }));
  if (!line) return Missing(path, "line");
  if (!column) return Missing(path, "column");
  return std::nullopt;
}

// ParseSeverity, and the spelling kept when it is not ToString's.
void ReadSeverity(std::string_view text, Message* m) {
  m->severity = ParseSeverity(text);
  if (m->severity != Severity::kOther && ToString(m->severity) == text)
    m->severity_spelling.clear();
  else
    m->severity_spelling.assign(text);
}

Err ReadMessage(dom::element v, const Path& path, Message* m) {
  bool severity = false, pos = false, data = false;
  TATAMI_TRY(
      ForEachField(v, path, [&](std::string_view key, dom::element value, const Path& at) -> Err {
        if (KeyIs(key, "severity")) {
          severity = true;
          std::string_view text;
          if (value.get_string().get(text)) return WrongType(at, "a string", value);
          ReadSeverity(text, m);
          return Err();
        }
        if (KeyIs(key, "pos")) {
          pos = true;
          return ReadPos(value, at, &m->pos);
        }
        if (KeyIs(key, "endPos")) return ReadNullable(value, at, &m->end_pos, ReadPos);
        if (KeyIs(key, "data")) {
          data = true;
          return ReadString(value, at, &m->data);
        }
        return KeepExtra(value, key, &m->extra);
      }));
  if (!severity) return Missing(path, "severity");
  if (!pos) return Missing(path, "pos");
  if (!data) return Missing(path, "data");
  return std::nullopt;
}

Err ReadSorry(dom::element v, const Path& path, Sorry* s) {
  bool goal = false;
  TATAMI_TRY(
      ForEachField(v, path, [&](std::string_view key, dom::element value, const Path& at) -> Err {
        if (KeyIs(key, "pos")) return ReadOptional(value, at, &s->pos, ReadPos);
        if (KeyIs(key, "endPos")) return ReadOptional(value, at, &s->end_pos, ReadPos);
        if (KeyIs(key, "goal")) {
          goal = true;
          return ReadString(value, at, &s->goal);
        }
        if (KeyIs(key, "proofState")) return ReadNullable(value, at, &s->proof_state, ReadNat);
        return KeepExtra(value, key, &s->extra);
      }));
  if (!goal) return Missing(path, "goal");
  return std::nullopt;
}

Err ReadTactic(dom::element v, const Path& path, Tactic* t) {
  bool pos = false, end_pos = false, goals = false, tactic = false;
  TATAMI_TRY(
      ForEachField(v, path, [&](std::string_view key, dom::element value, const Path& at) -> Err {
        if (KeyIs(key, "pos")) {
          pos = true;
          return ReadPos(value, at, &t->pos);
        }
        if (KeyIs(key, "endPos")) {
          end_pos = true;
          return ReadPos(value, at, &t->end_pos);
        }
        if (KeyIs(key, "goals")) {
          goals = true;
          return ReadString(value, at, &t->goals);
        }
        if (KeyIs(key, "tactic")) {
          tactic = true;
          return ReadString(value, at, &t->tactic);
        }
        if (KeyIs(key, "proofState")) return ReadNullable(value, at, &t->proof_state, ReadNat);
        if (KeyIs(key, "usedConstants"))
          return ReadOptional(value, at, &t->used_constants, ReadStrings);
        return KeepExtra(value, key, &t->extra);
      }));
  if (!pos) return Missing(path, "pos");
  if (!end_pos) return Missing(path, "endPos");
  if (!goals) return Missing(path, "goals");
  if (!tactic) return Missing(path, "tactic");
  return std::nullopt;
}

template <class T, class Read>
auto ListReader(Read read) {
  return [read](dom::element v, const Path& path, std::vector<T>* out) {
    return ReadList(v, path, "an array", out, read);
  };
}

Err ReadCommandResponse(dom::element v, const Path& path, CommandResponse* r) {
  bool env = false;
  TATAMI_TRY(
      ForEachField(v, path, [&](std::string_view key, dom::element value, const Path& at) -> Err {
        if (KeyIs(key, "env")) {
          env = true;
          return ReadNat(value, at, &r->env);
        }
        if (KeyIs(key, "messages"))
          return ReadOptional(value, at, &r->messages, ListReader<Message>(ReadMessage));
        if (KeyIs(key, "sorries"))
          return ReadOptional(value, at, &r->sorries, ListReader<Sorry>(ReadSorry));
        if (KeyIs(key, "tactics"))
          return ReadOptional(value, at, &r->tactics, ListReader<Tactic>(ReadTactic));
        if (KeyIs(key, "infotree")) return ReadOptional(value, at, &r->infotree, ReadJson);
        return KeepExtra(value, key, &r->extra);
      }));
  if (!env) return Missing(path, "env");
  return std::nullopt;
}

Err ReadProofStepResponse(dom::element v, const Path& path, ProofStepResponse* r) {
  bool proof_state = false, goals = false;
  TATAMI_TRY(
      ForEachField(v, path, [&](std::string_view key, dom::element value, const Path& at) -> Err {
        if (KeyIs(key, "proofState")) {
          proof_state = true;
          return ReadNat(value, at, &r->proof_state);
        }
        if (KeyIs(key, "goals")) {
          goals = true;
          return ReadStrings(value, at, &r->goals);
        }
        if (KeyIs(key, "messages"))
          return ReadOptional(value, at, &r->messages, ListReader<Message>(ReadMessage));
        if (KeyIs(key, "sorries"))
          return ReadOptional(value, at, &r->sorries, ListReader<Sorry>(ReadSorry));
        if (KeyIs(key, "traces")) return ReadOptional(value, at, &r->traces, ReadStrings);
        if (KeyIs(key, "proofStatus")) return ReadOptional(value, at, &r->proof_status, ReadString);
        return KeepExtra(value, key, &r->extra);
      }));
  if (!proof_state) return Missing(path, "proofState");
  if (!goals) return Missing(path, "goals");
  return std::nullopt;
}

Err ReadErrorResponse(dom::element v, const Path& path, ErrorResponse* r) {
  bool message = false;
  TATAMI_TRY(
      ForEachField(v, path, [&](std::string_view key, dom::element value, const Path& at) -> Err {
        if (KeyIs(key, "message")) {
          message = true;
          return ReadString(value, at, &r->message);
        }
        return KeepExtra(value, key, &r->extra);
      }));
  if (!message) return Missing(path, "message");
  return std::nullopt;
}

// One parser per thread: it keeps its buffers between documents, and the
// Parse*Text functions stay thread-safe.
constexpr std::size_t kKeptParserBytes = 16 << 20;

// Parses `text` (in place when it has the spare capacity simdjson reads
// past the end, else from a padded copy simdjson makes).
simdjson::simdjson_result<dom::element> ParseDocument(const std::string& text) {
  thread_local dom::parser parser;
  if (parser.capacity() > kKeptParserBytes) parser = dom::parser();
  const bool padded = text.capacity() >= text.size() + simdjson::SIMDJSON_PADDING;
  return parser.parse(text.data(), text.size(), /*realloc_if_needed=*/!padded);
}

template <class T, class Read>
ParseResult<T> ParseText(const std::string& text, Read read) {
  dom::element root;
  if (auto e = ParseDocument(text).get(root)) return NotJson(e);
  ParseResult<T> result(std::in_place);  // read in place, as ReadAs below
  if (Err err = read(root, Path{}, &result.value())) result = std::move(*err);
  return result;
}

// Reads into the result in place: a CommandResponse moved costs its
// members' moves and the moved-from destructors.
template <class T, class Read>
ParseResult<Response> ReadAs(dom::element root, Read read) {
  ParseResult<Response> result(std::in_place, std::in_place_type<T>);
  if (Err err = read(root, Path{}, &std::get<T>(result.value()))) result = std::move(*err);
  return result;
}

ParseResult<Response> ParseShaped(const std::string& text, std::optional<RequestKind> answered) {
  dom::element root;
  if (auto e = ParseDocument(text).get(root)) return NotJson(e);
  dom::object object;
  if (root.get_object().get(object)) return *WrongType(Path{}, "an object", root);
  internal::ResponseKeys keys;
  for (dom::key_value_pair field : object) {
    keys.message = keys.message || KeyIs(field.key, "message");
    keys.env = keys.env || KeyIs(field.key, "env");
    keys.proof_state = keys.proof_state || KeyIs(field.key, "proofState");
    keys.goals = keys.goals || KeyIs(field.key, "goals");
  }
  switch (internal::ShapeOf(keys, answered)) {
    case internal::ResponseShape::kError:
      return ReadAs<ErrorResponse>(root, ReadErrorResponse);
    case internal::ResponseShape::kProofStep:
      return ReadAs<ProofStepResponse>(root, ReadProofStepResponse);
    case internal::ResponseShape::kCommand:
      return ReadAs<CommandResponse>(root, ReadCommandResponse);
    case internal::ResponseShape::kUnknown:
      break;
  }
  return ParseError{"", "not a REPL response: none of the fields env, proofState, message"};
}

}  // namespace

ParseResult<CommandResponse> ParseCommandResponseText(const std::string& text) {
  return ParseText<CommandResponse>(text, ReadCommandResponse);
}

ParseResult<ProofStepResponse> ParseProofStepResponseText(const std::string& text) {
  return ParseText<ProofStepResponse>(text, ReadProofStepResponse);
}

ParseResult<ErrorResponse> ParseErrorResponseText(const std::string& text) {
  return ParseText<ErrorResponse>(text, ReadErrorResponse);
}

ParseResult<Response> ParseResponseText(RequestKind answered, const std::string& text) {
  return ParseShaped(text, answered);
}

ParseResult<Response> ParseResponseText(const std::string& text) {
  return ParseShaped(text, std::nullopt);
}

#undef TATAMI_TRY

}  // namespace tatami::dojo::protocol
