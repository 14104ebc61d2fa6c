// How the double reads a request: the plain flat objects a search sends and
// everything else (escapes, non-ASCII text, odd numbers, malformed text) must
// give the same fields and the same classification as nlohmann's parser.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "request.h"

namespace tatami::testing {
namespace {

using repl_double::Request;
using repl_double::RequestKind;
using repl_double::RequestParser;

Request Parse(std::string_view text) {
  RequestParser parser;
  Request r;
  parser.Parse(text, &r);
  return r;
}

TEST(RequestParserTest, ReadsPlainFlatObjects) {
  Request r = Parse(R"({"proofState": 3, "tactic": "simp [foo] at h"})");
  EXPECT_EQ(r.kind, RequestKind::kProofStep);
  EXPECT_EQ(r.proof_state, 3u);
  EXPECT_EQ(r.tactic, "simp [foo] at h");

  r = Parse(" \t{ \"cmd\" : \"theorem t : True := by trivial\" ,\"env\":0 }\r\n ");
  EXPECT_EQ(r.kind, RequestKind::kCommand);
  EXPECT_TRUE(r.has_env);
  EXPECT_EQ(r.env, 0u);
  EXPECT_EQ(r.cmd, "theorem t : True := by trivial");

  r = Parse(R"({"pickleTo": "a.olean", "proofState": 18446744073709551615})");
  EXPECT_EQ(r.kind, RequestKind::kPickleProofState);
  EXPECT_EQ(r.proof_state, std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(r.pickle_to, "a.olean");
}

TEST(RequestParserTest, DecodesEscapesAndUnicode) {
  Request r = Parse(R"({"tactic": "rw [\u2190 h]\n  exact \"x\"", "proofState": 1})");
  EXPECT_EQ(r.kind, RequestKind::kProofStep);
  EXPECT_EQ(r.tactic, "rw [← h]\n  exact \"x\"");
  r = Parse(R"({"tactic": "intro ⟨a, b⟩", "proofState": 2})");
  EXPECT_EQ(r.kind, RequestKind::kProofStep);
  EXPECT_EQ(r.tactic, "intro ⟨a, b⟩");
}

TEST(RequestParserTest, OnlyNaturalsCountAsIds) {
  // A fraction, a negative number, a number beyond 64 bits and null are no
  // natural numbers: the field is absent, as for Lean's FromJson.
  for (const char* id : {"1.0", "2e3", "-1", "18446744073709551616", "null", "\"4\""}) {
    Request r = Parse(std::string(R"({"tactic": "simp", "proofState": )") + id + "}");
    EXPECT_EQ(r.kind, RequestKind::kNotACommand) << id;
    EXPECT_FALSE(r.has_proof_state) << id;
  }
  // A later duplicate of the wrong type leaves the earlier value, as the
  // field-by-field reading does.
  Request r = Parse(R"({"cmd": "x", "env": 5, "env": null})");
  EXPECT_EQ(r.kind, RequestKind::kCommand);
  EXPECT_TRUE(r.has_env);
  EXPECT_EQ(r.env, 5u);
  r = Parse(R"({"cmd": "x", "env": 5, "env": 7})");
  EXPECT_EQ(r.env, 7u);
}

TEST(RequestParserTest, MalformedTextIsNotJson) {
  for (const char* text :
       {R"({"proofState": 01, "tactic": "x"})", R"({"cmd": "a",})", R"({"cmd": "a"} x)",
        "{\"cmd\": \"tab\there\"}", R"({"cmd": "a")", R"({"cmd" "a"})", R"({cmd: "a"})", ""}) {
    Request r = Parse(text);
    EXPECT_EQ(r.kind, RequestKind::kInvalidJson) << text;
    EXPECT_FALSE(r.error.empty()) << text;
  }
}

TEST(RequestParserTest, JsonThatIsNoRequestIsNamed) {
  Request r = Parse("{}");
  EXPECT_EQ(r.kind, RequestKind::kNotACommand);
  EXPECT_NE(r.error.find("none of the field sets"), std::string::npos) << r.error;
  r = Parse(R"({"tactic": "simp", "other": {"proofState": 1}})");
  EXPECT_EQ(r.kind, RequestKind::kNotACommand);
  EXPECT_FALSE(r.has_proof_state);
  r = Parse("[1, 2]");
  EXPECT_EQ(r.kind, RequestKind::kNotACommand);
  EXPECT_EQ(r.error, "a request must be a JSON object");
}

TEST(RequestParserTest, FieldsOfAnEarlierRequestDoNotCarryOver) {
  RequestParser parser;
  Request r;
  parser.Parse(R"({"cmd": "x", "env": 3})", &r);
  parser.Parse(R"({"cmd": "y"})", &r);
  EXPECT_EQ(r.kind, RequestKind::kCommand);
  EXPECT_FALSE(r.has_env);
  // A request the plain reading gives up on half-way is read afresh.
  parser.Parse(R"({"env": 4, "cmd": "caf\u00e9"})", &r);
  EXPECT_EQ(r.cmd, "café");
  EXPECT_EQ(r.env, 4u);
  parser.Parse(R"({"proofState": 4, "tactic": "a", "x": [1]})", &r);
  EXPECT_EQ(r.kind, RequestKind::kProofStep);
  parser.Parse(R"({"tactic": "a", "x": [1]})", &r);
  EXPECT_EQ(r.kind, RequestKind::kNotACommand);
  EXPECT_FALSE(r.has_proof_state);
}

}  // namespace
}  // namespace tatami::testing
