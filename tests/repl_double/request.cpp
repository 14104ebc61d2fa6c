#include "request.h"

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
    if (AtTopValue()) {
      switch (current_) {
        case Field::kCmd:
          r_->cmd.assign(s);
          r_->has_cmd = true;
          break;
        case Field::kTactic:
          r_->tactic.assign(s);
          r_->has_tactic = true;
          break;
        case Field::kPath:
          r_->path.assign(s);
          r_->has_path = true;
          break;
        case Field::kPickleTo:
          r_->pickle_to.assign(s);
          r_->has_pickle_to = true;
          break;
        case Field::kUnpickleEnv:
          r_->unpickle_from.assign(s);
          r_->has_unpickle_env = true;
          break;
        case Field::kUnpickleProof:
          r_->unpickle_from.assign(s);
          r_->has_unpickle_proof = true;
          break;
        default:
          break;
      }
    }
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
  void Nat(std::uint64_t v) {
    if (current_ == Field::kEnv) {
      r_->env = v;
      r_->has_env = true;
    } else if (current_ == Field::kProofState) {
      r_->proof_state = v;
      r_->has_proof_state = true;
    }
  }

  Request* r_;
  int depth_ = 0;
  Field current_ = Field::kNone;
};

}  // namespace

void RequestParser::Parse(std::string_view text, Request* r) {
  r->error.clear();
  r->has_cmd = r->has_tactic = r->has_path = r->has_pickle_to = false;
  r->has_unpickle_env = r->has_unpickle_proof = false;
  r->has_env = r->has_proof_state = false;
  Sax sax(r);
  bool ok = json::sax_parse(text.begin(), text.end(), &sax);
  if (!ok) {
    r->kind = RequestKind::kInvalidJson;
    if (r->error.empty()) r->error = "invalid JSON";
    return;
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
    r->error = sax.top_is_object
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
