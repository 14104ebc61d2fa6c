// Parsing and serialising the REPL protocol's value types: errors name the
// field, unknown fields survive, absent stays absent, null stays null.
#include "tatami/dojo/protocol.h"

#include <gtest/gtest.h>

namespace tatami::dojo::protocol {
namespace {

Json J(const char* text) { return Json::parse(text); }

template <class T>
std::string ErrorOf(const ParseResult<T>& r) {
  if (r.ok()) return "<parsed>";
  return r.error().ToString();
}

TEST(ParseErrors, MissingFieldIsNamed) {
  auto r = ParsePos(J(R"({"line": 1})"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "column");
  EXPECT_EQ(r.error().problem, "missing");
  EXPECT_EQ(ErrorOf(ParseProofStepResponse(J(R"({"proofState": 1})"))), "goals: missing");
  EXPECT_EQ(ErrorOf(ParseCommandResponse(J(R"({"messages": []})"))), "env: missing");
  EXPECT_EQ(ErrorOf(ParseErrorResponse(J(R"({})"))), "message: missing");
}

TEST(ParseErrors, WrongTypeIsNamedWithWhatWasFound) {
  EXPECT_EQ(ErrorOf(ParsePos(J(R"({"line": "1", "column": 0})"))),
            "line: expected a natural number, got string");
  EXPECT_EQ(ErrorOf(ParsePos(J(R"({"line": -1, "column": 0})"))),
            "line: expected a natural number, got -1");
  EXPECT_EQ(ErrorOf(ParsePos(J(R"({"line": 1.5, "column": 0})"))),
            "line: expected a natural number, got number");
  EXPECT_EQ(ErrorOf(ParseCommandRequest(J(R"({"cmd": 3})"))),
            "cmd: expected a string, got integer");
  EXPECT_EQ(ErrorOf(ParseCommandRequest(J(R"({"cmd": "x", "allTactics": "yes"})"))),
            "allTactics: expected a boolean, got string");
  EXPECT_EQ(ErrorOf(ParseProofStepResponse(J(R"({"proofState": 0, "goals": ["a", 2]})"))),
            "goals[1]: expected a string, got integer");
  EXPECT_EQ(ErrorOf(ParseMessage(J("[]"))), "expected an object, got array");
}

TEST(ParseErrors, NestedFieldsHaveFullPaths) {
  Json j = J(R"({"env": 0, "messages": [
      {"severity": "info", "pos": {"line": 1, "column": 0}, "data": "ok"},
      {"severity": "error", "pos": {"line": 1}, "data": "x"}]})");
  EXPECT_EQ(ErrorOf(ParseCommandResponse(j)), "messages[1].pos.column: missing");
  Json t = J(R"({"env": 0, "tactics": [{"pos": {"line": 1, "column": 0},
      "endPos": {"line": 1, "column": 2}, "goals": "⊢ P", "tactic": "rfl",
      "proofState": 0, "usedConstants": [1]}]})");
  EXPECT_EQ(ErrorOf(ParseCommandResponse(t)),
            "tactics[0].usedConstants[0]: expected a string, got integer");
}

TEST(ParseResult, AskingForTheWrongAlternativeIsMisuse) {
  auto bad = ParsePos(J("{}"));
  EXPECT_THROW((void)bad.value(), std::logic_error);
  auto good = ParsePos(J(R"({"line": 1, "column": 2})"));
  EXPECT_THROW((void)good.error(), std::logic_error);
  EXPECT_EQ(good->column, 2);
}

TEST(UnknownFields, ArePreservedAtEveryLevel) {
  Json j = J(R"({"env": 3, "newTopLevel": {"a": [1, 2]},
      "messages": [{"severity": "warning", "pos": {"line": 1, "column": 0, "byte": 7},
                    "endPos": {"line": 1, "column": 4}, "data": "w", "code": "L001"}],
      "sorries": [{"goal": "⊢ P", "proofState": 0, "hint": null}]})");
  auto r = ParseCommandResponse(j);
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->extra, J(R"({"newTopLevel": {"a": [1, 2]}})"));
  EXPECT_EQ(r->messages->at(0).extra, J(R"({"code": "L001"})"));
  EXPECT_EQ(r->messages->at(0).pos.extra, J(R"({"byte": 7})"));
  EXPECT_EQ(r->sorries->at(0).extra, J(R"({"hint": null})"));
  EXPECT_EQ(ToJson(*r), j);
}

TEST(UnknownFields, KnownFieldsWinOverExtra) {
  ProofStepRequest step;
  step.proof_state = 2;
  step.tactic = "rfl";
  step.extra = {{"tactic", "simp"}, {"note", 1}};
  EXPECT_EQ(ToJson(step), J(R"({"proofState": 2, "tactic": "rfl", "note": 1})"));
}

TEST(Absence, OptionalFieldsStayAbsent) {
  CommandRequest cmd;
  cmd.cmd = "def f := 1";
  EXPECT_EQ(ToJson(cmd), J(R"({"cmd": "def f := 1"})"));
  cmd.env = 3;
  cmd.options.all_tactics = true;
  EXPECT_EQ(ToJson(cmd), J(R"({"cmd": "def f := 1", "env": 3, "allTactics": true})"));
  cmd.options.infotree = "substantive";
  cmd.env = Nullable<std::int64_t>::Null();
  EXPECT_EQ(ToJson(cmd), J(R"({"cmd": "def f := 1", "env": null, "allTactics": true,
                              "infotree": "substantive"})"));
  cmd.env = std::nullopt;
  EXPECT_FALSE(ToJson(cmd).contains("env"));

  // An old REPL's proof-step response has no proofStatus; none is invented.
  Json old = J(R"({"proofState": 3, "goals": []})");
  auto r = ParseProofStepResponse(old);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->proof_status.has_value());
  EXPECT_FALSE(r->messages.has_value());
  EXPECT_TRUE(r->messages_or_empty().empty());
  EXPECT_EQ(ToJson(*r), old);

  // An explicitly empty list is not the same as an absent one.
  Json empty = J(R"({"env": 0, "messages": []})");
  EXPECT_EQ(ToJson(ParseCommandResponse(empty).value()), empty);
}

TEST(Absence, NullIsKeptApartFromAbsentAndValue) {
  Json with_null = J(R"({"severity": "error", "pos": {"line": 1, "column": 17},
                         "endPos": null, "data": "unexpected end of input"})");
  auto m = ParseMessage(with_null);
  ASSERT_TRUE(m.ok()) << ErrorOf(m);
  EXPECT_TRUE(m->end_pos.present());
  EXPECT_TRUE(m->end_pos.is_null());
  EXPECT_FALSE(m->end_pos.has_value());
  EXPECT_EQ(ToJson(*m), with_null);

  Json without = with_null;
  without.erase("endPos");
  auto a = ParseMessage(without);
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->end_pos.present());
  EXPECT_EQ(ToJson(*a), without);
  EXPECT_FALSE(*m == *a);

  Json sorry = J(R"({"goal": "⊢ Nat", "proofState": null})");
  auto s = ParseSorry(sorry);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->proof_state.is_null());
  EXPECT_FALSE(s->pos.has_value());
  EXPECT_EQ(ToJson(*s), sorry);
}

TEST(Severity, SpellingsRoundTrip) {
  for (const char* spelling : {"trace", "info", "warning", "error"}) {
    Json j = {{"severity", spelling}, {"pos", {{"line", 1}, {"column", 0}}}, {"data", "d"}};
    auto m = ParseMessage(j);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(ToString(m->severity), spelling);
    EXPECT_TRUE(m->severity_spelling.empty());
    EXPECT_EQ(ToJson(*m), j);
  }
  // Lean's own name for info, and a severity this code does not know.
  Json information =
      J(R"({"severity": "information", "pos": {"line": 1, "column": 0}, "data": ""})");
  auto info = ParseMessage(information);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->severity, Severity::kInfo);
  EXPECT_EQ(ToJson(*info), information);
  Json fatal = J(R"({"severity": "fatal", "pos": {"line": 1, "column": 0}, "data": ""})");
  auto f = ParseMessage(fatal);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->severity, Severity::kOther);
  EXPECT_FALSE(f->is_error());
  EXPECT_EQ(ToJson(*f), fatal);
}

// The REPL tries the request kinds in a fixed order; the first whose required
// fields are there wins, and other fields are ignored (kept in `extra`).
TEST(ParseRequest, DecidesTheKindLikeTheRepl) {
  struct Case {
    const char* json;
    RequestKind kind;
  };
  const Case cases[] = {
      {R"({"cmd": "def f := 1"})", RequestKind::kCommand},
      {R"({"cmd": "#check f", "env": 0, "infotree": "substantive", "rootGoals": true})",
       RequestKind::kCommand},
      {R"({"path": "test/file.lean", "allTactics": true})", RequestKind::kFile},
      {R"({"tactic": "rfl", "proofState": 0})", RequestKind::kProofStep},
      {R"({"pickleTo": "a.olean", "env": 0})", RequestKind::kPickleEnvironment},
      {R"({"unpickleEnvFrom": "a.olean"})", RequestKind::kUnpickleEnvironment},
      {R"({"pickleTo": "c.olean", "proofState": 0})", RequestKind::kPickleProofState},
      {R"({"unpickleProofStateFrom": "c.olean", "env": 0})", RequestKind::kUnpickleProofState},
      // Both shapes at once: the earlier kind in the REPL's order wins.
      {R"({"tactic": "rfl", "proofState": 0, "cmd": "x"})", RequestKind::kProofStep},
      {R"({"cmd": "x", "env": 0, "pickleTo": "f.olean"})", RequestKind::kPickleEnvironment},
      {R"({"pickleTo": "f", "env": 0, "proofState": 1})", RequestKind::kPickleEnvironment},
      // Not a proof step (tactic is no string), so the REPL reads it as a command.
      {R"({"tactic": 3, "proofState": 0, "cmd": "x"})", RequestKind::kCommand},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.json);
    Json j = J(c.json);
    auto r = ParseRequest(j);
    ASSERT_TRUE(r.ok()) << ErrorOf(r);
    EXPECT_EQ(KindOf(*r), c.kind);
    EXPECT_EQ(ToJson(*r), j);
  }
  auto step = ParseRequest(J(R"({"tactic": "rfl", "proofState": 0, "cmd": "x"})"));
  EXPECT_EQ(std::get<ProofStepRequest>(*step).extra, J(R"({"cmd": "x"})"));
}

TEST(ParseRequest, ErrorsNameTheIntendedKindsField) {
  EXPECT_EQ(ErrorOf(ParseRequest(J(R"({"tactic": "rfl"})"))), "proofState: missing");
  EXPECT_EQ(ErrorOf(ParseRequest(J(R"({"cmd": "x", "env": -2})"))),
            "env: expected a natural number, got -2");
  EXPECT_EQ(ErrorOf(ParseRequest(J(R"({"path": 7})"))), "path: expected a string, got integer");
  EXPECT_EQ(ErrorOf(ParseRequest(J(R"({"pickleTo": "x"})"))), "env: missing");
  EXPECT_EQ(ErrorOf(ParseRequest(J(R"({"pickleTo": "x", "proofState": "0"})"))),
            "proofState: expected a natural number, got string");
  EXPECT_EQ(ErrorOf(ParseRequest(J(R"({"unpickleProofStateFrom": "x", "env": "0"})"))),
            "env: expected a natural number, got string");
  auto none = ParseRequest(J(R"({"command": "def f := 1"})"));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().field, "");
  EXPECT_NE(none.error().problem.find("not a REPL request"), std::string::npos);
  EXPECT_EQ(ErrorOf(ParseRequest(J("[1]"))), "expected an object, got array");
}

TEST(ParseResponse, UsesTheRequestKind) {
  // A pickle-environment response is {"env": n}; a proof step cannot be.
  auto env = ParseResponse(RequestKind::kPickleEnvironment, J(R"({"env": 0})"));
  ASSERT_TRUE(env.ok());
  EXPECT_TRUE(std::holds_alternative<CommandResponse>(*env));
  EXPECT_EQ(ErrorOf(ParseResponse(RequestKind::kProofStep, J(R"({"env": 0})"))),
            "proofState: missing");
  // Pickling a proof state answers like a proof step.
  auto pickled =
      ParseResponse(RequestKind::kPickleProofState, J(R"({"proofState": 1, "goals": ["⊢ Nat"]})"));
  ASSERT_TRUE(pickled.ok());
  EXPECT_TRUE(std::holds_alternative<ProofStepResponse>(*pickled));
  // The error object answers any kind; "messages" (plural) is not it.
  for (auto kind :
       {RequestKind::kCommand, RequestKind::kProofStep, RequestKind::kUnpickleProofState}) {
    auto err = ParseResponse(kind, J(R"({"message": "Unknown environment."})"));
    ASSERT_TRUE(err.ok());
    EXPECT_EQ(std::get<ErrorResponse>(*err).message, "Unknown environment.");
  }
  auto msgs = ParseResponse(RequestKind::kCommand, J(R"({"env": 1, "messages": []})"));
  ASSERT_TRUE(msgs.ok());
  EXPECT_TRUE(std::holds_alternative<CommandResponse>(*msgs));
}

TEST(ParseResponse, ByShapeAlone) {
  EXPECT_TRUE(std::holds_alternative<CommandResponse>(ParseResponse(J(R"({"env": 0})")).value()));
  EXPECT_TRUE(std::holds_alternative<ProofStepResponse>(
      ParseResponse(J(R"({"proofState": 0, "goals": []})")).value()));
  EXPECT_TRUE(
      std::holds_alternative<ErrorResponse>(ParseResponse(J(R"({"message": "x"})")).value()));
  EXPECT_NE(ErrorOf(ParseResponse(J("{}"))).find("not a REPL response"), std::string::npos);
  EXPECT_EQ(ErrorOf(ParseResponse(J(R"({"message": 3})"))),
            "message: expected a string, got integer");
}

// The text parser (the hot path's) reads what the tree parser reads, value
// for value and error for error, on every rule above.
ParseResult<Response> TreeParse(RequestKind kind, const std::string& text) {
  return ParseResponse(kind, J(text.c_str()));
}

TEST(ParseResponseText, AgreesWithTheTreeParser) {
  const std::pair<RequestKind, std::string> cases[] = {
      {RequestKind::kCommand, R"({"env": 3, "newTopLevel": {"a": [1, 2]},
          "messages": [{"severity": "warning", "pos": {"line": 1, "column": 0, "byte": 7},
                        "endPos": {"line": 1, "column": 4}, "data": "w", "code": "L001"}],
          "sorries": [{"goal": "⊢ P", "proofState": 0, "hint": null}]})"},
      {RequestKind::kCommand, R"({"env": 0, "messages": [{"severity": "information",
          "pos": {"line": 1, "column": 17}, "endPos": null, "data": "a \"quoted\"\nline ∀"}]})"},
      {RequestKind::kCommand, R"({"env": 0, "messages": []})"},
      {RequestKind::kCommand, R"({"env": 1, "tactics": [{"pos": {"line": 1, "column": 0},
          "endPos": {"line": 1, "column": 2}, "goals": "⊢ P", "tactic": "rfl",
          "proofState": null, "usedConstants": ["Eq.refl"]}], "infotree": [{"node": {"k": 1}}]})"},
      {RequestKind::kProofStep, R"({"proofState": 3, "goals": []})"},
      {RequestKind::kProofStep, R"({"proofState": 1, "goals": ["⊢ Nat"], "traces": ["t"],
          "proofStatus": "Incomplete: open goals remain", "sorries": [{"goal": "g"}]})"},
      {RequestKind::kPickleEnvironment, R"({"env": 0})"},
      {RequestKind::kProofStep, R"({"message": "Unknown proof state.", "extra": 1})"},
      // Errors, each naming one field.
      {RequestKind::kProofStep, R"({"env": 0})"},
      {RequestKind::kProofStep, R"({"proofState": 0, "goals": ["a", 2]})"},
      {RequestKind::kCommand, R"({"env": -1})"},
      {RequestKind::kCommand, R"({"env": 1.5})"},
      {RequestKind::kCommand, R"({"env": 18446744073709551615})"},
      {RequestKind::kCommand, R"({"env": 0, "messages": [
          {"severity": "info", "pos": {"line": 1, "column": 0}, "data": "ok"},
          {"severity": "error", "pos": {"line": 1}, "data": "x"}]})"},
      {RequestKind::kCommand, R"({"env": 0, "tactics": [{"pos": {"line": 1, "column": 0},
          "endPos": {"line": 1, "column": 2}, "goals": "⊢ P", "tactic": "rfl",
          "usedConstants": [1]}]})"},
      {RequestKind::kCommand, R"({"message": 3})"},
      {RequestKind::kCommand, R"({"env": 0, "sorries": {}})"},
      {RequestKind::kCommand, R"([1, 2])"},
  };
  for (const auto& [kind, text] : cases) {
    SCOPED_TRACE(text);
    auto tree = TreeParse(kind, text);
    auto fast = ParseResponseText(kind, text);
    ASSERT_EQ(fast.ok(), tree.ok()) << ErrorOf(fast) << " vs " << ErrorOf(tree);
    if (tree.ok()) {
      EXPECT_TRUE(*fast == *tree) << ToJson(*fast).dump();
      EXPECT_EQ(ToJson(*fast), J(text.c_str()));
    } else {
      EXPECT_EQ(fast.error(), tree.error());
    }
  }
}

TEST(ParseResponseText, ByShapeAloneAsTheTreeParser) {
  for (const char* text :
       {R"({"env": 0})", R"({"proofState": 0, "goals": []})", R"({"message": "x"})",
        R"({"env": 0, "goals": [], "proofState": 2})", "{}"}) {
    SCOPED_TRACE(text);
    auto tree = ParseResponse(J(text));
    auto fast = ParseResponseText(text);
    ASSERT_EQ(fast.ok(), tree.ok());
    if (tree.ok()) {
      EXPECT_EQ(fast->index(), tree->index());
    } else {
      EXPECT_EQ(fast.error(), tree.error());
    }
  }
}

TEST(ParseResponseText, TextThatIsNotJsonIsAnError) {
  for (const std::string text : {"", "{", R"({"env": 0,})", "{\"env\": 0} x", "nul",
                                 "{\"message\": \"\xff\"}", "\"just a string\"", "42"}) {
    SCOPED_TRACE(text);
    auto r = ParseResponseText(RequestKind::kCommand, text);
    EXPECT_FALSE(r.ok());
  }
  EXPECT_EQ(ErrorOf(ParseResponseText(RequestKind::kCommand, "\"s\"")),
            "expected an object, got string");
  EXPECT_EQ(ErrorOf(ParseResponseText(RequestKind::kCommand, "{\"env\": 0} x")).substr(0, 8),
            "not JSON");
}

TEST(ParseResponseText, ParsesInPlaceOrFromACopyAlike) {
  const std::string text = R"({"proofState": 1, "goals": ["⊢ 1 = 1"]})";
  std::string padded;
  padded.reserve(text.size() + 64);
  padded = text;
  ASSERT_GE(padded.capacity(), padded.size() + 64);
  std::string tight(text);
  tight.shrink_to_fit();
  auto a = ParseResponseText(RequestKind::kProofStep, padded);
  auto b = ParseResponseText(RequestKind::kProofStep, tight);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(*a == *b);
  EXPECT_EQ(std::get<ProofStepResponse>(*a).goals, std::vector<std::string>{"⊢ 1 = 1"});
}

TEST(RequestKinds, SayWhichResponseAnswersThem) {
  EXPECT_TRUE(AnsweredByProofStepResponse(RequestKind::kProofStep));
  EXPECT_TRUE(AnsweredByProofStepResponse(RequestKind::kPickleProofState));
  EXPECT_TRUE(AnsweredByProofStepResponse(RequestKind::kUnpickleProofState));
  EXPECT_FALSE(AnsweredByProofStepResponse(RequestKind::kCommand));
  EXPECT_FALSE(AnsweredByProofStepResponse(RequestKind::kFile));
  EXPECT_FALSE(AnsweredByProofStepResponse(RequestKind::kPickleEnvironment));
  EXPECT_FALSE(AnsweredByProofStepResponse(RequestKind::kUnpickleEnvironment));
  EXPECT_EQ(ToString(RequestKind::kUnpickleProofState), "unpickle proof state");
}

}  // namespace
}  // namespace tatami::dojo::protocol
