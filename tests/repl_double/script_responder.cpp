// --script: answers from a scripted proof-state graph (script_graph.h), with
// environments and proof states numbered as the REPL numbers them.
#include <algorithm>
#include <cstdio>
#include <deque>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "lean_json.h"
#include "lean_name.h"
#include "lean_source.h"
#include "lean_texts.h"
#include "name_scopes.h"
#include "responder.h"
#include "script_graph.h"

namespace tatami::repl_double {

namespace {

using json = nlohmann::json;

constexpr std::string_view kSorryAx = "sorryAx";
constexpr int kPickleVersion = 2;  // 2: environments keep their scopes

// Axioms in the order the proof first used them (Lean before v4.33 printed
// its collection order), each once.
using Axioms = std::vector<std::string>;

void AddAxiom(Axioms* axioms, std::string_view a) {
  if (std::find(axioms->begin(), axioms->end(), a) == axioms->end()) axioms->emplace_back(a);
}

void AddAxioms(Axioms* axioms, const std::vector<std::string>& more) {
  for (const std::string& a : more) AddAxiom(axioms, a);
}

struct ProofState {
  std::vector<std::string> goals;
  Axioms axioms;       // used by the proof so far
  bool sorry = false;  // the proof so far contains sorry
};

// Full name (as Lean prints it) -> the axioms its proof uses.
using Declarations = std::map<std::string, Axioms>;

// What a command continuing an environment starts from: its declarations and
// the scopes (namespaces, sections, opens) in force at its end.
struct Environment {
  Declarations decls;
  NameScopes scopes;
};

// What one tactic does to a proof state.
struct StepResult {
  enum Kind { kOk, kRecoveredError, kException } kind = kOk;
  std::string error;                 // kRecoveredError, kException
  ProofState after;                  // kOk, kRecoveredError
  std::vector<std::string> sorries;  // goals of sorries inside the tactic
};

json Message(std::string_view severity, json pos, json end_pos, std::string data) {
  return {{"severity", severity},
          {"pos", std::move(pos)},
          {"endPos", std::move(end_pos)},
          {"data", std::move(data)}};
}

// A file-position prefix such as "<input>:1:1: " belongs to the REPL's parsing
// of a lone tactic string; inside a command the message carries a position.
std::string WithoutInputPrefix(const std::string& error) {
  if (error.rfind("<input>:", 0) != 0) return error;
  std::size_t p = error.find(": ");
  return p == std::string::npos ? error : error.substr(p + 2);
}

// Where a command starts after its `@[...]` attributes (which change nothing
// the script models).
std::size_t AfterAttributes(std::string_view text, Span c) {
  std::size_t pos = c.begin;
  while (text.substr(pos, 2) == "@[") {
    int depth = 0;
    for (; pos < c.end; ++pos) {
      if (text[pos] == '[') ++depth;
      if (text[pos] == ']' && --depth == 0) break;
    }
    if (pos >= c.end) return c.begin;
    ++pos;
    while (pos < c.end && (text[pos] == ' ' || text[pos] == '\n' || text[pos] == '\t')) ++pos;
  }
  return pos;
}

// Where a command starts after the modifiers `private`, `protected` and
// `noncomputable`. The double declares a `private` theorem under its plain
// full name (no recording shows how Lean names it in `#print axioms`).
std::size_t AfterModifiers(std::string_view text, Span c) {
  std::size_t pos = c.begin;
  for (;;) {
    std::size_t end = text.find_first_of(" \t\n", pos);
    if (end == std::string_view::npos || end >= c.end) return pos;
    std::string_view word = text.substr(pos, end - pos);
    if (word != "private" && word != "protected" && word != "noncomputable") return pos;
    std::size_t next = text.find_first_not_of(" \t\n", end);
    if (next == std::string_view::npos || next >= c.end) return pos;
    pos = next;
  }
}

class ScriptResponder : public Responder {
 public:
  ScriptResponder(ScriptGraph graph, LeanVersion version)
      : graph_(std::move(graph)), texts_(version) {}

  int Respond(const Request& r, std::string_view, std::uint64_t, std::string* out) override {
    new_states_ = 0;
    json response;
    switch (r.kind) {
      case RequestKind::kCommand:
        response = RunCommand(r.cmd, r.has_env ? &r.env : nullptr);
        break;
      case RequestKind::kFile: {
        std::ifstream in(r.path, std::ios::binary);
        if (!in) {
          response = Error("tatami-repl-double: cannot read file '" + r.path + "'");
          break;
        }
        std::ostringstream ss;
        ss << in.rdbuf();
        response = RunCommand(ss.str(), r.has_env ? &r.env : nullptr);
        break;
      }
      case RequestKind::kProofStep:
        RunTactic(r.tactic, r.proof_state, out);
        return new_states_;
      case RequestKind::kPickleEnv:
        response = PickleEnv(r.env, r.pickle_to);
        break;
      case RequestKind::kPickleProofState:
        PickleProofState(r.proof_state, r.pickle_to, out);
        return new_states_;
      case RequestKind::kUnpickleEnv:
        response = UnpickleEnv(r.unpickle_from);
        break;
      case RequestKind::kUnpickleProofState:
        UnpickleProofState(r.unpickle_from, r.has_env ? &r.env : nullptr, out);
        return new_states_;
      default:
        // The REPL throws here (no recording of an answer).
        response = Error("tatami-repl-double: not a REPL command: " + r.error);
        break;
    }
    AppendLeanPretty(response, out);
    return new_states_;
  }

 private:
  static json Error(std::string message) { return {{"message", std::move(message)}}; }

  std::uint64_t RecordState(ProofState s) {
    states_.push_back(std::move(s));
    ++new_states_;
    return states_.size() - 1;
  }

  std::uint64_t RecordEnv(Environment e) {
    envs_.push_back(std::make_shared<const Environment>(std::move(e)));
    return envs_.size() - 1;
  }

  // The state after a tactic starts as `s` without its goals: the caller sets
  // those (copying `s`'s goals only to replace them cost a copy per step).
  static ProofState WithoutGoals(const ProofState& s) { return {{}, s.axioms, s.sorry}; }

  // `s`'s goals but the first, which a sorry closed.
  static void CloseFirstGoal(const ProofState& s, ProofState* after) {
    after->goals.assign(s.goals.begin() + 1, s.goals.end());
  }

  // `tactics`: the graph's tactics at `s` (ScriptGraph::FindState(s.goals)).
  StepResult Step(const ProofState& s, const ScriptGraph::Tactics* tactics,
                  const std::string& tactic) const {
    StepResult r;
    std::string t = NormalizeSpace(tactic);
    if (s.goals.empty()) {
      r.kind = StepResult::kException;
      r.error = texts_.Get(TextId::kNoGoals);
      return r;
    }
    if (t == "sorry" || t == "admit") {
      r.sorries.push_back(s.goals.front());
      r.after = WithoutGoals(s);
      CloseFirstGoal(s, &r.after);
      r.after.sorry = true;
      AddAxiom(&r.after.axioms, kSorryAx);
      return r;
    }
    const Transition* tr = ScriptGraph::FindTactic(tactics, t);
    if (!tr) tr = &graph_.unknown_tactic;
    if (tr->is_error && tr->shape == ErrorShape::kException) {
      r.kind = StepResult::kException;
      r.error = tr->error;
      return r;
    }
    r.after = WithoutGoals(s);
    AddAxioms(&r.after.axioms, tr->axioms);
    if (tr->is_error) {
      // Lean's error recovery closes the goal with a synthetic sorry.
      r.kind = StepResult::kRecoveredError;
      r.error = tr->error;
      if (tr->goals) {
        r.after.goals = *tr->goals;
      } else {
        CloseFirstGoal(s, &r.after);
      }
      r.after.sorry = true;
      AddAxiom(&r.after.axioms, kSorryAx);
      return r;
    }
    r.after.goals = *tr->goals;
    r.sorries = tr->sorries;
    if (!r.sorries.empty()) {
      r.after.sorry = true;
      AddAxiom(&r.after.axioms, kSorryAx);
    }
    return r;
  }

  // What a search asks most, so answered through writer_ rather than a JSON
  // tree.
  void RunTactic(const std::string& tactic, std::uint64_t id, std::string* out) {
    if (id >= states_.size()) return WriteError(texts_.Get(TextId::kUnknownProofState), out);
    // A reference: states_ is a deque, so recording states below does not
    // move it.
    const ProofState& before = states_[id];
    // A search tries several tactics on a state in a row: its graph entry is
    // looked up once (hashing every goal) and kept. Recorded states never
    // change, so the id identifies the entry.
    if (id != looked_up_id_) {
      looked_up_id_ = id;
      looked_up_tactics_ = graph_.FindState(before.goals);
    }
    StepResult step = Step(before, looked_up_tactics_, tactic);
    if (step.kind == StepResult::kException) {
      return WriteError(texts_.Get(TextId::kLeanError, {step.error}), out);
    }
    // The sorries' states are recorded before the result's, as in the REPL.
    sorry_ids_.clear();
    for (const std::string& goal : step.sorries) {
      sorry_ids_.push_back(RecordState({{goal}, before.axioms, before.sorry}));
    }
    const std::uint64_t after_id = RecordState(std::move(step.after));
    WriteStepResponse(after_id, step.sorries, sorry_ids_,
                      step.kind == StepResult::kRecoveredError ? &step.error : nullptr, out);
  }

  // Answers as the REPL's createProofStepReponse for the recorded state `id`
  // (keys in the order Lean prints them: descending): the states of sorries
  // inside the tactic, the proof status, the state, the error Lean recovered
  // from (`error`, or none), the goals.
  void WriteStepResponse(std::uint64_t id, const std::vector<std::string>& sorry_goals,
                         const std::vector<std::uint64_t>& sorry_ids, const std::string* error,
                         std::string* out) {
    const ProofState& s = states_[id];
    writer_.BeginObject();
    if (!sorry_goals.empty()) {
      writer_.Key("sorries");
      writer_.BeginArray();
      for (std::size_t i = 0; i < sorry_goals.size(); ++i) {
        writer_.BeginObject();
        writer_.Key("proofState");
        writer_.Natural(sorry_ids[i]);
        writer_.Key("goal");
        writer_.String(sorry_goals[i]);
        writer_.EndObject();
      }
      writer_.EndArray();
    }
    if (std::optional<std::string_view> status = texts_.ProofStatus(!s.goals.empty(), s.sorry)) {
      writer_.Key("proofStatus");
      writer_.String(*status);
    }
    writer_.Key("proofState");
    writer_.Natural(id);
    if (error) {
      writer_.Key("messages");
      writer_.BeginArray();
      writer_.BeginObject();
      writer_.Key("severity");
      writer_.String("error");
      for (std::string_view pos : {"pos", "endPos"}) {
        writer_.Key(pos);
        writer_.BeginObject();
        writer_.Key("line");
        writer_.Natural(0);
        writer_.Key("column");
        writer_.Natural(0);
        writer_.EndObject();
      }
      writer_.Key("data");
      writer_.String(*error);
      writer_.EndObject();
      writer_.EndArray();
    }
    writer_.Key("goals");
    writer_.BeginArray();
    for (const std::string& goal : s.goals) writer_.String(goal);
    writer_.EndArray();
    writer_.EndObject();
    writer_.AppendTo(out);
  }

  // As Error(message), printed.
  void WriteError(std::string_view message, std::string* out) {
    writer_.BeginObject();
    writer_.Key("message");
    writer_.String(message);
    writer_.EndObject();
    writer_.AppendTo(out);
  }

  json RunCommand(const std::string& original, const std::uint64_t* env) {
    // Parsed without comments; positions are counted in the original.
    const std::string text = BlankComments(original);
    Environment state;
    if (env) {
      if (*env >= envs_.size()) return Error(texts_.Get(TextId::kUnknownEnvironment));
      state = *envs_[*env];
    }
    Declarations& decls = state.decls;
    NameScopes& scopes = state.scopes;
    auto declared = [&](const LeanName& n) { return decls.count(n.ToString()) > 0; };
    auto namespace_exists = [&](const LeanName& n) {
      std::string prefix = n.ToString() + ".";
      auto it = decls.lower_bound(prefix);
      return it != decls.end() && it->first.compare(0, prefix.size(), prefix) == 0;
    };
    SourceMap map(original);
    json messages = json::array();
    json sorries = json::array();
    bool seen_other = false;
    for (Span c : SplitCommands(text)) {
      c.begin = AfterModifiers(text, {AfterAttributes(text, c), c.end});
      std::string_view cmd = std::string_view(text).substr(c.begin, c.end - c.begin);
      std::string_view word = cmd.substr(0, cmd.find_first_of(" \t\n"));
      std::string_view rest = cmd.substr(word.size());
      auto error_at = [&](std::size_t b, std::size_t e, std::string data) {
        messages.push_back(Message("error", map.Pos(b), map.Pos(e), std::move(data)));
      };
      if (word == "import") {
        if (env || seen_other) {
          error_at(c.begin, c.begin + 6,
                   "tatami-repl-double: `import` must come first, in a command without \"env\"");
        }
        continue;
      }
      seen_other = true;
      if (word == "namespace" || word == "section" || word == "end") {
        std::optional<LeanName> name = LeanName{};
        if (!NormalizeSpace(rest).empty()) name = ParseIdentifier(rest);
        if (!name || (word == "namespace" && name->empty())) {
          error_at(c.begin, c.end,
                   "tatami-repl-double: expected one name after `" + std::string(word) + "`");
          continue;
        }
        if (word == "namespace") {
          scopes.Namespace(*name);
        } else if (word == "section") {
          scopes.Section(*name);
        } else if (auto problem = scopes.End(*name)) {
          error_at(c.begin, c.end, "tatami-repl-double: " + *problem);
        }
        continue;
      }
      if (word == "open") {
        // Only the plain form `open A B`; `open ... in`, `scoped`, `hiding`,
        // `renaming` and explicit lists are accepted and ignored.
        std::vector<LeanName> names;
        std::istringstream words{std::string(rest)};
        bool plain = true;
        for (std::string w; words >> w;) {
          auto n = ParseIdentifier(w);
          plain = plain && n && w != "in" && w != "scoped" && w != "hiding" && w != "renaming";
          if (n) names.push_back(*n);
        }
        if (plain) {
          for (const LeanName& n : names) scopes.Open(n, namespace_exists);
        }
        continue;
      }
      if (word == "set_option" || word == "universe" || word == "variable" ||
          word.substr(0, 2) == "--") {
        continue;  // header lines that change nothing the script models
      }
      if (word == "theorem" || word == "lemma" || word == "example" || word == "def") {
        Declaration(text, c, map, &state, &messages, &sorries);
        continue;
      }
      if (word == "#print" && cmd.substr(6, 8) == " axioms ") {
        std::size_t nb = c.begin + 14;
        while (nb < c.end && text[nb] == ' ') ++nb;
        std::optional<LeanName> written = ParseIdentifier(text.substr(nb, c.end - nb));
        if (!written) {
          error_at(nb, c.end, "tatami-repl-double: `#print axioms` expects one name");
          continue;
        }
        std::vector<LeanName> found = scopes.Resolve(*written, declared);
        if (found.empty()) {
          error_at(nb, c.end,
                   "tatami-repl-double: unknown constant `" + written->ToString() +
                       "` (no declaration of the script's environment resolves it)");
        } else if (found.size() > 1) {
          std::string all;
          for (const LeanName& f : found) all += (all.empty() ? "" : ", ") + f.ToString();
          error_at(
              nb, c.end,
              "tatami-repl-double: ambiguous name `" + written->ToString() + "` (" + all + ")");
        } else {
          messages.push_back(Message("info", map.Pos(c.begin), map.Pos(c.begin + 6),
                                     texts_.PrintAxioms(found[0], decls[found[0].ToString()])));
        }
        continue;
      }
      error_at(
          c.begin, c.begin + word.size(),
          "tatami-repl-double: the script does not model the command `" + std::string(word) + "`");
    }
    json response = {{"env", RecordEnv(std::move(state))}};
    if (!messages.empty()) response["messages"] = std::move(messages);
    if (!sorries.empty()) response["sorries"] = std::move(sorries);
    return response;
  }

  void Declaration(const std::string& text, Span c, const SourceMap& map, Environment* env,
                   json* messages, json* sorries) {
    std::string_view cmd = std::string_view(text).substr(c.begin, c.end - c.begin);
    std::size_t kw_end = cmd.find_first_of(" \t\n");
    std::string keyword(cmd.substr(0, kw_end));
    auto error_at = [&](std::size_t b, std::size_t e, std::string data) {
      messages->push_back(Message("error", map.Pos(b), map.Pos(e), std::move(data)));
    };
    // Name span: the identifier after the keyword; `example` reports at the keyword.
    std::size_t name_b = c.begin, name_e = c.begin + keyword.size();
    LeanName written, full;
    std::size_t sig_b = c.begin + keyword.size();
    if (keyword != "example") {
      name_b = c.begin + cmd.find_first_not_of(" \t\n", kw_end);
      auto parsed = ReadIdentifier(text, name_b, &name_e);
      if (!parsed) {
        error_at(name_b, name_b, "tatami-repl-double: expected a name after `" + keyword + "`");
        return;
      }
      written = *parsed;
      full = env->scopes.DeclarationName(written);
      sig_b = name_e;
    }
    std::size_t assign = text.find(":=", sig_b);
    if (assign == std::string::npos || assign >= c.end) {
      error_at(c.begin, c.end, "tatami-repl-double: no `:=` in this declaration");
      return;
    }
    std::string signature = NormalizeSpace(text.substr(sig_b, assign - sig_b));
    const ScriptTheorem* th = nullptr;
    for (const ScriptTheorem& t : graph_.theorems) {
      // The graph may name a theorem as written or by its full name. A `def`
      // is the graph's `example` given a name (as `tatami check` renames one
      // to ask about its axioms).
      bool same_name = keyword == "example" || keyword == "def"
                           ? t.keyword == "example"
                           : t.name == written.ToString() || t.name == full.ToString();
      if (same_name && t.signature == signature) th = &t;
    }
    if (!th) {
      error_at(name_b, name_e,
               "tatami-repl-double: the script has no " + keyword +
                   (written.empty() ? "" : " `" + written.ToString() + "`") +
                   " with the signature `" + signature + "`");
      return;
    }
    Declarations* decls = &env->decls;
    if (!full.empty() && decls->count(full.ToString())) {
      error_at(
          name_b, name_e,
          "tatami-repl-double: `" + full.ToString() + "` is already declared in this environment");
      return;
    }
    std::size_t body = text.find_first_not_of(" \t\n", assign + 2);
    if (body == std::string::npos || body >= c.end) body = c.end;
    ProofState s{{th->goal}, {th->axioms.begin(), th->axioms.end()}, false};
    bool had_error = false;
    auto add_sorry = [&](const std::string& goal, Span at, const ProofState& context) {
      ProofState st{{goal}, context.axioms, context.sorry};
      std::uint64_t id = RecordState(std::move(st));
      sorries->push_back({{"proofState", id},
                          {"pos", map.Pos(at.begin)},
                          {"goal", goal},
                          {"endPos", map.Pos(at.end)}});
    };
    std::string_view body_text = std::string_view(text).substr(body, c.end - body);
    bool is_by = body_text.substr(0, 2) == "by" &&
                 (body_text.size() == 2 ||
                  std::string_view(" \t\n").find(body_text[2]) != std::string_view::npos);
    if (body_text == "sorry") {
      add_sorry(th->goal, {body, c.end}, s);
      s.goals.clear();
      s.sorry = true;
      AddAxiom(&s.axioms, kSorryAx);
    } else if (is_by) {
      std::vector<TacticSpan> tactics = SplitTactics(text, body + 2, c.end);
      std::size_t last_end = body + 2;
      bool aborted = false;
      for (const TacticSpan& t : tactics) {
        StepResult step = Step(s, graph_.FindState(s.goals), t.text);
        if (step.kind == StepResult::kException) {
          error_at(t.span.begin, t.span.end, WithoutInputPrefix(step.error));
          had_error = aborted = true;
          s.sorry = true;
          AddAxiom(&s.axioms, kSorryAx);
          break;
        }
        std::size_t search = t.span.begin;
        for (const std::string& goal : step.sorries) {
          // Point at the k-th `sorry` written inside the tactic, if there is one.
          std::size_t at = text.find("sorry", search);
          Span span = t.span;
          if (at != std::string::npos && at < t.span.end) {
            span = {at, at + 5};
            search = at + 5;
          }
          add_sorry(goal, span, s);
        }
        if (step.kind == StepResult::kRecoveredError) {
          error_at(t.span.begin, t.span.end, WithoutInputPrefix(step.error));
          had_error = true;
        }
        s = std::move(step.after);
        last_end = t.span.end;
      }
      if (!aborted && !s.goals.empty()) {
        error_at(body, last_end, texts_.UnsolvedGoals(s.goals));
        had_error = true;
        s.sorry = true;
        AddAxiom(&s.axioms, kSorryAx);
      }
    } else {
      error_at(
          body, c.end,
          "tatami-repl-double: only `by` tactic proofs and `sorry` are modelled by the script");
      return;
    }
    if (s.sorry && !had_error) {
      messages->push_back(
          Message("warning", map.Pos(name_b), map.Pos(name_e), texts_.Get(TextId::kSorryWarning)));
    }
    if (!full.empty()) (*decls)[full.ToString()] = std::move(s.axioms);
  }

  // Pickles are small JSON files, written atomically.
  static bool WriteFile(const std::string& path, const json& content, std::string* error) {
    std::string tmp = path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) {
        *error = "cannot write '" + tmp + "'";
        return false;
      }
      out << content.dump() << '\n';
      if (!out.flush()) {
        *error = "cannot write '" + tmp + "'";
        return false;
      }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      *error = "cannot rename '" + tmp + "' to '" + path + "'";
      return false;
    }
    return true;
  }

  static std::optional<json> ReadPickle(const std::string& path, const char* kind,
                                        std::string* error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      *error = "cannot read '" + path + "'";
      return std::nullopt;
    }
    try {
      json j = json::parse(in);
      if (j.value("tatamiReplDoublePickle", 0) != kPickleVersion || j.value("kind", "") != kind) {
        *error = "'" + path + "' is not a tatami-repl-double " + kind + " pickle";
        return std::nullopt;
      }
      return j;
    } catch (const json::exception& e) {
      *error = "'" + path + "' is not a tatami-repl-double pickle: " + e.what();
      return std::nullopt;
    }
  }

  json PickleEnv(std::uint64_t env, const std::string& path) {
    if (env >= envs_.size()) return Error(texts_.Get(TextId::kUnknownEnvironment));
    json decls = json::object();
    for (const auto& [name, axioms] : envs_[env]->decls) decls[name] = axioms;
    std::string error;
    json content = {{"tatamiReplDoublePickle", kPickleVersion},
                    {"kind", "env"},
                    {"declarations", std::move(decls)},
                    {"scopes", envs_[env]->scopes.ToJson()}};
    if (!WriteFile(path, content, &error)) return Error("tatami-repl-double: " + error);
    return {{"env", env}};
  }

  // Records a copy of the state, and answers for it as for a tactic.
  void PickleProofState(std::uint64_t id, const std::string& path, std::string* out) {
    if (id >= states_.size()) return WriteError(kUnknownProofStateForPickle, out);
    const ProofState& s = states_[id];
    json content = {{"tatamiReplDoublePickle", kPickleVersion},
                    {"kind", "proofState"},
                    {"goals", s.goals},
                    {"axioms", s.axioms},
                    {"sorry", s.sorry}};
    std::string error;
    if (!WriteFile(path, content, &error)) return WriteError("tatami-repl-double: " + error, out);
    WriteStepResponse(RecordState(s), {}, {}, nullptr, out);
  }

  json UnpickleEnv(const std::string& path) {
    std::string error;
    auto j = ReadPickle(path, "env", &error);
    if (!j) return Error("tatami-repl-double: " + error);
    Environment restored;
    try {
      for (auto& [name, axioms] : (*j)["declarations"].items()) {
        restored.decls[name] = axioms.get<Axioms>();
      }
    } catch (const json::exception& e) {
      return Error("tatami-repl-double: '" + path + "' is malformed: " + e.what());
    }
    auto scopes = NameScopes::FromJson(j->value("scopes", json()));
    if (!scopes) return Error("tatami-repl-double: '" + path + "' has no valid \"scopes\"");
    restored.scopes = std::move(*scopes);
    return {{"env", RecordEnv(std::move(restored))}};
  }

  void UnpickleProofState(const std::string& path, const std::uint64_t* env, std::string* out) {
    if (env && *env >= envs_.size())
      return WriteError(texts_.Get(TextId::kUnknownEnvironment), out);
    std::string error;
    auto j = ReadPickle(path, "proofState", &error);
    if (!j) return WriteError("tatami-repl-double: " + error, out);
    ProofState s;
    try {
      s.goals = (*j)["goals"].get<std::vector<std::string>>();
      s.axioms = (*j)["axioms"].get<Axioms>();
      s.sorry = (*j)["sorry"].get<bool>();
    } catch (const json::exception& e) {
      return WriteError("tatami-repl-double: '" + path + "' is malformed: " + e.what(), out);
    }
    WriteStepResponse(RecordState(std::move(s)), {}, {}, nullptr, out);
  }

  ScriptGraph graph_;
  LeanTexts texts_;
  // A deque: a state stays where it is while later ones are recorded, so
  // RunTactic can read one by reference.
  std::deque<ProofState> states_;
  std::vector<std::shared_ptr<const Environment>> envs_;
  int new_states_ = 0;
  LeanJsonWriter writer_;                 // RunTactic's, kept for its buffers
  std::vector<std::uint64_t> sorry_ids_;  // RunTactic's, kept for its buffer
  // RunTactic's last state and its graph entry (nullptr: not in the graph).
  std::uint64_t looked_up_id_ = std::numeric_limits<std::uint64_t>::max();
  const ScriptGraph::Tactics* looked_up_tactics_ = nullptr;
};

}  // namespace

std::unique_ptr<Responder> MakeScriptResponder(const std::string& graph_file, LeanVersion version) {
  return std::make_unique<ScriptResponder>(LoadScriptGraph(graph_file), version);
}

}  // namespace tatami::repl_double
