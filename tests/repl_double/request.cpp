#include "request.h"

#include <charconv>

#include <nlohmann/json.hpp>

namespace tatami::repl_double {

namespace {

using json = nlohmann::json;

enum class Field {
  kNone,
  kCmd,
  kTactic,
  kPath,
  kPickleTo,
  kUnpickleEnv,
  kUnpickleProof,
  kEnv,
  kProofState,
  kOther
};

Field FieldOf(std::string_view key) {
  if (key == "cmd") return Field::kCmd;
  if (key == "tactic") return Field::kTactic;
  if (key == "path") return Field::kPath;
  if (key == "pickleTo") return Field::kPickleTo;
  if (key == "unpickleEnvFrom") return Field::kUnpickleEnv;
  if (key == "unpickleProofStateFrom") return Field::kUnpickleProof;
  if (key == "env") return Field::kEnv;
  if (key == "proofState") return Field::kProofState;
  return Field::kOther;
}

// Records a top-level string or natural-number field, if it is one the
// protocol knows; shared by both parsers below so that they agree.
void SetString(Field f, std::string_view s, Request* r) {
  switch (f) {
    case Field::kCmd:
      r->cmd.assign(s);
      r->has_cmd = true;
      break;
    case Field::kTactic:
      r->tactic.assign(s);
      r->has_tactic = true;
      break;
    case Field::kPath:
      r->path.assign(s);
      r->has_path = true;
      break;
    case Field::kPickleTo:
      r->pickle_to.assign(s);
      r->has_pickle_to = true;
      break;
    case Field::kUnpickleEnv:
      r->unpickle_from.assign(s);
      r->has_unpickle_env = true;
      break;
    case Field::kUnpickleProof:
      r->unpickle_from.assign(s);
      r->has_unpickle_proof = true;
      break;
    default:
      break;
  }
}

void SetNat(Field f, std::uint64_t v, Request* r) {
  if (f == Field::kEnv) {
    r->env = v;
    r->has_env = true;
  } else if (f == Field::kProofState) {
    r->proof_state = v;
    r->has_proof_state = true;
  }
}

// Records top-level fields; anything nested is only validated.
class Sax : public nlohmann::json_sax<json> {
 public:
  explicit Sax(Request* r) : r_(r) {}

  bool top_is_object = false;

  bool null() override { return Done(); }
  bool boolean(bool) override { return Done(); }
  bool number_integer(number_integer_t v) override {
    if (AtTopValue() && v >= 0) Nat(static_cast<std::uint64_t>(v));
    return Done();
  }
  bool number_unsigned(number_unsigned_t v) override {
    if (AtTopValue()) Nat(v);
    return Done();
  }
  bool number_float(number_float_t, const string_t&) override { return Done(); }
  bool string(string_t& s) override {
    if (AtTopValue()) SetString(current_, s, r_);
    return Done();
  }
  bool binary(binary_t&) override { return Done(); }
  bool start_object(std::size_t) override {
    if (depth_ == 0) top_is_object = true;
    ++depth_;
    return true;
  }
  bool key(string_t& k) override {
    if (depth_ == 1) current_ = FieldOf(k);
    return true;
  }
  bool end_object() override {
    --depth_;
    return Done();
  }
  bool start_array(std::size_t) override {
    ++depth_;
    return true;
  }
  bool end_array() override {
    --depth_;
    return Done();
  }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    r_->error = ex.what();
    return false;
  }

 private:
  bool AtTopValue() const { return depth_ == 1; }
  bool Done() {
    if (depth_ == 1) current_ = Field::kNone;
    return true;
  }
  void Nat(std::uint64_t v) { SetNat(current_, v, r_); }

  Request* r_;
  int depth_ = 0;
  Field current_ = Field::kNone;
};

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Reads the requests a search sends, flat objects of plain strings and
// naturals such as {"proofState": 3, "tactic": "simp"}, without nlohmann's
// parser, whose set-up per call (lexer, buffers, localeconv) cost more than
// the rest of answering a tactic. Whatever it does not handle (escapes,
// non-ASCII text, other value types, nesting, anything malformed) makes Scan
// return false, and the full parser reads the request again.
class FlatObjectScanner {
 public:
  explicit FlatObjectScanner(std::string_view text) : s_(text) {}

  // Records the fields as the Sax below would; false, with `r` partly
  // written, when the text is not such an object.
  bool Scan(Request* r) {
    SkipSpace();
    if (!Eat('{')) return false;
    SkipSpace();
    if (Eat('}')) return AtEnd();
    for (;;) {
      std::string_view key;
      if (!String(&key)) return false;
      SkipSpace();
      if (!Eat(':')) return false;
      SkipSpace();
      const Field field = FieldOf(key);
      if (pos_ < s_.size() && s_[pos_] == '"') {
        std::string_view value;
        if (!String(&value)) return false;
        SetString(field, value, r);
      } else {
        std::uint64_t value = 0;
        if (!Natural(&value)) return false;
        SetNat(field, value, r);
      }
      SkipSpace();
      if (Eat('}')) return AtEnd();
      if (!Eat(',')) return false;
      SkipSpace();
    }
  }

 private:
  void SkipSpace() {
    while (pos_ < s_.size() && IsJsonSpace(s_[pos_])) ++pos_;
  }
  bool Eat(char c) {
    if (pos_ >= s_.size() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  bool AtEnd() {
    SkipSpace();
    return pos_ == s_.size();
  }
  // Printable ASCII only: no escapes to decode, no UTF-8 to validate.
  bool String(std::string_view* out) {
    if (!Eat('"')) return false;
    for (std::size_t begin = pos_; pos_ < s_.size(); ++pos_) {
      const auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        *out = s_.substr(begin, pos_ - begin);
        ++pos_;
        return true;
      }
      if (c < 0x20 || c >= 0x80 || c == '\\') return false;
    }
    return false;
  }
  // JSON's integer syntax without sign, fraction or exponent, up to 19 digits
  // (so that it fits in 64 bits, as nlohmann's number_unsigned).
  bool Natural(std::uint64_t* v) {
    const std::size_t begin = pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    const std::size_t digits = pos_ - begin;
    if (digits == 0 || digits > 19 || (digits > 1 && s_[begin] == '0')) return false;
    if (pos_ < s_.size() && !IsJsonSpace(s_[pos_]) && s_[pos_] != ',' && s_[pos_] != '}') {
      return false;
    }
    std::from_chars(s_.data() + begin, s_.data() + pos_, *v);
    return true;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

void ClearFields(Request* r) {
  r->error.clear();
  r->has_cmd = r->has_tactic = r->has_path = r->has_pickle_to = false;
  r->has_unpickle_env = r->has_unpickle_proof = false;
  r->has_env = r->has_proof_state = false;
}

}  // namespace

void RequestParser::Parse(std::string_view text, Request* r) {
  ClearFields(r);
  bool top_is_object = true;
  if (!FlatObjectScanner(text).Scan(r)) {
    ClearFields(r);
    Sax sax(r);
    bool ok = json::sax_parse(text.begin(), text.end(), &sax);
    if (!ok) {
      r->kind = RequestKind::kInvalidJson;
      if (r->error.empty()) r->error = "invalid JSON";
      return;
    }
    top_is_object = sax.top_is_object;
  }
  // An "env" of the wrong type makes every shape that mentions it fail, as in
  // Lean's derived FromJson; we only model the common cases: a Nat or absent.
  if (r->has_tactic && r->has_proof_state) {
    r->kind = RequestKind::kProofStep;
  } else if (r->has_pickle_to && r->has_env) {
    r->kind = RequestKind::kPickleEnv;
  } else if (r->has_unpickle_env) {
    r->kind = RequestKind::kUnpickleEnv;
  } else if (r->has_pickle_to && r->has_proof_state) {
    r->kind = RequestKind::kPickleProofState;
  } else if (r->has_unpickle_proof) {
    r->kind = RequestKind::kUnpickleProofState;
  } else if (r->has_cmd) {
    r->kind = RequestKind::kCommand;
  } else if (r->has_path) {
    r->kind = RequestKind::kFile;
  } else {
    r->kind = RequestKind::kNotACommand;
    r->error = top_is_object
                   ? "the object has none of the field sets cmd, tactic+proofState, pickleTo+env, "
                     "pickleTo+proofState, unpickleEnvFrom, unpickleProofStateFrom, path"
                   : "a request must be a JSON object";
  }
}

namespace {

template <typename F>
void ForEachLine(std::string_view s, F f) {
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t nl = s.find('\n', start);
    if (nl == std::string_view::npos) nl = s.size();
    if (!f(s.substr(start, nl - start))) return;
    start = nl + 1;
  }
}

}  // namespace

bool HasImport(std::string_view cmd) {
  bool any = false;
  ForEachLine(cmd, [&](std::string_view line) {
    if (line.substr(0, 7) == "import ") any = true;
    return !any;
  });
  return any;
}

}  // namespace tatami::repl_double
