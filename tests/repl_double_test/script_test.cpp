// --script answers like the REPL: same numbering, same response shapes, same
// error texts where the REPL's are known, whole-proof checks and axioms.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "double_process.h"
#include "test_util.h"

namespace tatami::testing {
namespace {

using json = nlohmann::json;

std::string Req(const json& j) { return tatami::dojo::EncodeRequest(j); }

json Ask(DoubleProcess& p, const json& request) {
  p.Send(Req(request));
  auto frame = p.ReadFrame();
  if (!frame) {
    ADD_FAILURE() << "no response to " << request.dump() << "; stderr: " << p.Stderr();
    return json();
  }
  return json::parse(*frame);
}

std::string AskRaw(DoubleProcess& p, const json& request) {
  p.Send(Req(request));
  auto frame = p.ReadFrame();
  return frame ? *frame : "<none>";
}

const char* kAddZeroSorry = "theorem add_zero' (n : Nat) : n + 0 = n := by sorry";

// The skeleton of a response: keys, ids, statuses, but not goal texts.
json Skeleton(const json& r) {
  json s = json::object();
  for (auto& [k, v] : r.items()) {
    if (k == "goals") {
      s[k] = v.empty() ? "none" : "some";
    } else if (k == "sorries") {
      json ids = json::array();
      for (const json& e : v) ids.push_back(e.at("proofState"));
      s[k] = ids;
    } else if (k == "messages") {
      json sev = json::array();
      for (const json& m : v) sev.push_back({m.at("severity"), m.at("data")});
      s[k] = sev;
    } else {
      s[k] = v;
    }
  }
  return s;
}

TEST(ScriptTest, NumbersLikeTheRealReplOnProofStep) {
  TATAMI_REQUIRE_FIXTURES();
  // proof_step: sorry -> state 0; tactic at 0 -> 1; tactic at 0 -> 2; at 2 -> 3, completed.
  auto recorded = RecordedFrames(Transcript("proof_step.expected.out"));
  ASSERT_EQ(recorded.size(), 4u);
  DoubleProcess p({"--script", NatAddGraph()});
  std::vector<json> ours = {
      Ask(p, {{"cmd", "theorem and_swap' (p q : Prop) (h : p ∧ q) : q ∧ p := by sorry"}}),
      Ask(p, {{"tactic", "constructor"}, {"proofState", 0}}),
      Ask(p, {{"tactic", "obtain ⟨hp, hq⟩ := h"}, {"proofState", 0}}),
      Ask(p, {{"tactic", "exact ⟨hq, hp⟩"}, {"proofState", 2}}),
  };
  for (std::size_t i = 1; i < ours.size(); ++i) {
    json want = Skeleton(json::parse(recorded[i]));
    EXPECT_EQ(Skeleton(ours[i]), want) << "response " << i;
  }
  json want0 = Skeleton(json::parse(recorded[0]));
  EXPECT_EQ(Skeleton(ours[0]), want0);
  EXPECT_EQ(ours[0]["sorries"][0]["goal"], "p q : Prop\nh : p ∧ q\n⊢ q ∧ p");
}

// --lean-version picks the recorded wording and response details of a
// release: v4.9 has no "proofStatus" and quotes 'sorry'.
TEST(ScriptTest, EachLeanVersionAnswersProofStepAsItsTranscript) {
  TATAMI_REQUIRE_FIXTURES();
  for (auto [version, dir] : std::vector<std::pair<std::string, std::string>>{
           {"4.9", "history/v4.9.0/"}, {"4.19", "history/v4.19.0/"}, {"4.33", ""}}) {
    SCOPED_TRACE(version);
    auto recorded = RecordedFrames(Transcript(dir + "proof_step.expected.out"));
    ASSERT_EQ(recorded.size(), 4u);
    DoubleProcess p({"--script", NatAddGraph(), "--lean-version", version});
    std::vector<json> ours = {
        Ask(p, {{"cmd", "theorem and_swap' (p q : Prop) (h : p ∧ q) : q ∧ p := by sorry"}}),
        Ask(p, {{"tactic", "constructor"}, {"proofState", 0}}),
        Ask(p, {{"tactic", "obtain ⟨hp, hq⟩ := h"}, {"proofState", 0}}),
        Ask(p, {{"tactic", "exact ⟨hq, hp⟩"}, {"proofState", 2}}),
    };
    for (std::size_t i = 0; i < ours.size(); ++i) {
      EXPECT_EQ(Skeleton(ours[i]), Skeleton(json::parse(recorded[i]))) << "response " << i;
    }
  }
}

// A tactic after the goals are closed, replayed from the recordings byte for
// byte (the v4.33 transcripts have no such case; its wording is checked in
// recorded_texts_test).
TEST(ScriptTest, NoGoalsLeftIsAnsweredAsRecorded) {
  TATAMI_REQUIRE_FIXTURES();
  auto path = std::filesystem::temp_directory_path() /
              ("tatami-repl-double-true-" + std::to_string(::getpid()) + ".json");
  std::ofstream(path) << R"({"theorems": [{"statement": "example : True", "goal": "⊢ True"}]})";
  for (std::string version : {"4.9", "4.19"}) {
    SCOPED_TRACE(version);
    std::string dir = "history/v" + version + ".0/";
    auto requests = RecordedFrames(Transcript(dir + "no_goal_sorry_2.in"));
    auto recorded = RecordedFrames(Transcript(dir + "no_goal_sorry_2.expected.out"));
    ASSERT_EQ(requests.size(), 1u);
    DoubleProcess p({"--script", path.string(), "--lean-version", version});
    p.Send(requests[0] + "\n\n");
    auto frame = p.ReadFrame();
    ASSERT_TRUE(frame) << p.Stderr();
    EXPECT_EQ(*frame, recorded[0]);
  }
  std::filesystem::remove(path);
}

TEST(ScriptTest, UnknownLeanVersionIsBadUsage) {
  DoubleProcess p({"--script", NatAddGraph(), "--lean-version", "4.10"});
  int status = p.Wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_NE(p.Stderr().find("--lean-version: unknown version '4.10'"), std::string::npos)
      << p.Stderr();
}

TEST(ScriptTest, SorryResponseHasTheRealPositions) {
  TATAMI_REQUIRE_FIXTURES();
  // invalid_tactic: "theorem my_theorem (x : Nat) : x = x := by sorry"; ours has the same
  // layout with a name of another length, so the positions shift by the difference.
  DoubleProcess p({"--script", NatAddGraph()});
  json r = Ask(p, {{"cmd", kAddZeroSorry}});
  json recorded = json::parse(RecordedFrames(Transcript("invalid_tactic.expected.out"))[0]);
  EXPECT_EQ(r["messages"][0]["pos"], recorded["messages"][0]["pos"]);  // column 8, after "theorem "
  EXPECT_EQ(r["messages"][0]["endPos"]["column"], 8 + std::string("add_zero'").size());
  EXPECT_EQ(r["sorries"][0]["pos"]["column"], std::string(kAddZeroSorry).size() - 5);
  EXPECT_EQ(r["sorries"][0]["endPos"]["column"], std::string(kAddZeroSorry).size());
  EXPECT_EQ(r["messages"][0]["data"], recorded["messages"][0]["data"]);
}

TEST(ScriptTest, BothErrorShapes) {
  TATAMI_REQUIRE_FIXTURES();
  DoubleProcess p({"--script", NatAddGraph()});
  Ask(p, {{"cmd", kAddZeroSorry}});
  // The exception shape, exactly as the REPL prints it for `exat 42`.
  EXPECT_EQ(AskRaw(p, {{"tactic", "exat 42"}, {"proofState", 0}}),
            RecordedFrames(Transcript("unknown_tactic.expected.out"))[1]);
  // A tactic the graph does not list defaults to the same shape, no id used.
  EXPECT_EQ(AskRaw(p, {{"tactic", "omega_please"}, {"proofState", 0}}),
            RecordedFrames(Transcript("unknown_tactic.expected.out"))[1]);
  // The recovered-error shape, byte for byte as the REPL answers `exact my_fake_premise`.
  EXPECT_EQ(AskRaw(p, {{"tactic", "exact my_fake_premise"}, {"proofState", 0}}),
            RecordedFrames(Transcript("invalid_tactic.expected.out"))[1]);
}

TEST(ScriptTest, UnknownEnvironmentAndProofStateAnswerExactlyAsTheRepl) {
  TATAMI_REQUIRE_FIXTURES();
  DoubleProcess p({"--script", NatAddGraph()});
  EXPECT_EQ(AskRaw(p, {{"cmd", kAddZeroSorry}, {"env", 5}}),
            RecordedFrames(Transcript("unknown_environment.expected.out"))[0]);
  Ask(p, {{"cmd", kAddZeroSorry}});
  EXPECT_EQ(AskRaw(p, {{"tactic", "rfl"}, {"proofState", 1}}),
            RecordedFrames(Transcript("unknown_proof_state.expected.out"))[1]);
  EXPECT_EQ(AskRaw(p, {{"pickleTo", "x"}, {"proofState", 7}}),
            "{\"message\": \"Unknown proof State.\"}");
}

TEST(ScriptTest, ImportsAndEnvironmentsNumberLikeTheRepl) {
  TATAMI_REQUIRE_FIXTURES();
  // pickle_proof_state_1 starts: import -> env 0; sorry in env 0 -> env 1, proof state 0.
  auto recorded = RecordedFrames(Transcript("pickle_proof_state_1.expected.out"));
  DoubleProcess p({"--script", NatAddGraph()});
  EXPECT_EQ(AskRaw(p, {{"cmd", "import Lean"}}), recorded[0]);
  json r = Ask(p, {{"cmd", kAddZeroSorry}, {"env", 0}});
  EXPECT_EQ(Skeleton(r), Skeleton(json::parse(recorded[1])));
  json bad = Ask(p, {{"cmd", "import Lean"}, {"env", 1}});
  EXPECT_EQ(bad["env"], 2);
  EXPECT_EQ(bad["messages"][0]["severity"], "error");
}

TEST(ScriptTest, PicklesRestoreInAFreshProcess) {
  auto dir = std::filesystem::temp_directory_path() /
             ("tatami-repl-double-pickle-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string state_file = (dir / "state.olean").string();
  std::string env_file = (dir / "env.olean").string();
  {
    DoubleProcess p({"--script", NatAddGraph()});
    Ask(p, {{"cmd", "import Lean"}});
    Ask(p, {{"cmd", "theorem two_add_two : 2 + 2 = 4 := by\n  native_decide"}, {"env", 0}});
    Ask(p, {{"cmd", kAddZeroSorry}, {"env", 1}});
    json s = Ask(p, {{"tactic", "induction n"}, {"proofState", 0}});
    ASSERT_EQ(s["proofState"], 1);
    // As in pickle_proof_state_1: pickling answers with a new proof state.
    json pickled = Ask(p, {{"pickleTo", state_file}, {"proofState", 1}});
    EXPECT_EQ(pickled["proofState"], 2);
    EXPECT_EQ(pickled["goals"], s["goals"]);
    EXPECT_EQ(Ask(p, {{"pickleTo", env_file}, {"env", 1}}), json({{"env", 1}}));
  }
  DoubleProcess fresh({"--script", NatAddGraph()});
  json restored = Ask(fresh, {{"unpickleProofStateFrom", state_file}});
  EXPECT_EQ(restored["proofState"], 0);
  EXPECT_EQ(restored["goals"].size(), 2u);
  EXPECT_EQ(Ask(fresh, {{"tactic", "all_goals rfl"}, {"proofState", 0}})["proofStatus"],
            "Completed");
  EXPECT_EQ(Ask(fresh, {{"unpickleEnvFrom", env_file}}), json({{"env", 0}}));
  json axioms = Ask(fresh, {{"cmd", "#print axioms two_add_two"}, {"env", 0}});
  EXPECT_EQ(axioms["messages"][0]["data"],
            "'two_add_two' depends on axioms: [Lean.ofReduceBool, Lean.trustCompiler]");
  json not_a_pickle = Ask(fresh, {{"unpickleEnvFrom", NatAddGraph()}});
  EXPECT_NE(not_a_pickle["message"].get<std::string>().find("tatami-repl-double:"),
            std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(ScriptTest, WholeProofCheckAndPrintAxioms) {
  DoubleProcess p({"--script", NatAddGraph()});
  // A complete proof with bullets: no messages besides #print axioms.
  json ok = Ask(p, {{"cmd",
                     "theorem and_swap' (p q : Prop) (h : p ∧ q) : q ∧ p := by\n  constructor\n"
                     "  · exact h.2\n  · exact h.1\n\n#print axioms and_swap'"}});
  ASSERT_EQ(ok["messages"].size(), 1u) << ok.dump();
  EXPECT_EQ(ok["messages"][0]["severity"], "info");
  EXPECT_EQ(ok["messages"][0]["data"], "'and_swap'' does not depend on any axioms");
  EXPECT_EQ(ok["messages"][0]["pos"], json({{"line", 6}, {"column", 0}}));
  EXPECT_EQ(ok["messages"][0]["endPos"], json({{"line", 6}, {"column", 6}}));
  EXPECT_FALSE(ok.contains("sorries"));

  // simp uses propext; #print axioms in a later command continuing the env.
  json simp = Ask(p, {{"cmd", "theorem add_zero' (n : Nat) : n + 0 = n := by\n  simp"}});
  EXPECT_FALSE(simp.contains("messages")) << simp.dump();
  json later = Ask(p, {{"cmd", "#print axioms add_zero'"}, {"env", simp["env"]}});
  EXPECT_EQ(later["messages"][0]["data"], "'add_zero'' depends on axioms: [propext]");

  // Unsolved goals, reported from `by` to the end of the last tactic.
  json open = Ask(p, {{"cmd",
                       "theorem and_swap' (p q : Prop) (h : p ∧ q) : q ∧ p := by\n  constructor\n"
                       "  exact h.2\n#print axioms and_swap'"}});
  ASSERT_EQ(open["messages"].size(), 2u) << open.dump();
  EXPECT_EQ(open["messages"][0]["data"], "unsolved goals\ncase right\np q : Prop\nh : p ∧ q\n⊢ p");
  EXPECT_EQ(open["messages"][0]["pos"], json({{"line", 1}, {"column", 54}}));
  EXPECT_EQ(open["messages"][0]["endPos"], json({{"line", 3}, {"column", 11}}));
  EXPECT_EQ(open["messages"][1]["data"], "'and_swap'' depends on axioms: [sorryAx]");

  // A sorry in the proof: its own proof state, the warning, sorryAx.
  json sorry = Ask(p, {{"cmd",
                        "theorem add_zero' (n : Nat) : n + 0 = n := by\n  induction n\n  · rfl\n"
                        "  · sorry\n#print axioms add_zero'"}});
  ASSERT_EQ(sorry["sorries"].size(), 1u) << sorry.dump();
  EXPECT_EQ(sorry["sorries"][0]["pos"], json({{"line", 4}, {"column", 4}}));
  EXPECT_EQ(sorry["messages"][0]["data"], "declaration uses `sorry`");
  EXPECT_EQ(sorry["messages"][1]["data"], "'add_zero'' depends on axioms: [sorryAx]");
  json step = Ask(p, {{"tactic", "rfl"}, {"proofState", sorry["sorries"][0]["proofState"]}});
  EXPECT_EQ(step["proofStatus"], "Completed");

  // An exception-shaped error in a proof: at the tactic, without the <input> prefix.
  json bad = Ask(p, {{"cmd", "theorem two_add_two : 2 + 2 = 4 := by\n  exat 42"}});
  ASSERT_EQ(bad["messages"].size(), 1u) << bad.dump();
  EXPECT_EQ(bad["messages"][0]["data"], "unknown tactic");
  EXPECT_EQ(bad["messages"][0]["pos"], json({{"line", 2}, {"column", 2}}));

  // Axioms sort as Lean's Name.lt: single components first.
  json mixed = Ask(p, {{"cmd",
                        "theorem add_zero' (n : Nat) : n + 0 = n := by\n  simp\n"
                        "theorem two_add_two : 2 + 2 = 4 := by native_decide\n"
                        "#print axioms two_add_two"}});
  EXPECT_EQ(mixed["messages"][0]["data"],
            "'two_add_two' depends on axioms: [Lean.ofReduceBool, Lean.trustCompiler]");

  // Statements the script does not know are reported, attributably.
  json unknown = Ask(p, {{"cmd", "theorem nope : 1 = 1 := by rfl"}});
  EXPECT_NE(unknown["messages"][0]["data"].get<std::string>().find("tatami-repl-double:"),
            std::string::npos);
}

TEST(ScriptTest, AxiomOrderFollowsLeanNames) {
  // A graph whose proof uses axioms of both depths.
  auto path = std::filesystem::temp_directory_path() /
              ("tatami-repl-double-axioms-" + std::to_string(::getpid()) + ".json");
  {
    std::ofstream out(path);
    out << R"({"theorems": [{"statement": "theorem t : True", "goal": "⊢ True",
                             "axioms": ["Quot.sound"]}],
               "states": [{"goals": ["⊢ True"], "tactics": {
                 "classical_trivial": {"goals": [], "axioms": ["Classical.choice", "propext"]}}}]})";
  }
  DoubleProcess p({"--script", path.string()});
  json r = Ask(p, {{"cmd",
                    "theorem t : True := by\n  sorry\n#print axioms t\n"
                    "theorem t2 : True := by classical_trivial"}});
  json r2 = Ask(p, {{"cmd", "theorem t : True := by classical_trivial\n#print axioms t"}});
  EXPECT_EQ(r["messages"][1]["data"], "'t' depends on axioms: [sorryAx, Quot.sound]");
  EXPECT_EQ(r2["messages"][0]["data"],
            "'t' depends on axioms: [propext, Classical.choice, Quot.sound]");
  std::filesystem::remove(path);
}

// A graph of theorems that all prove `True`, for the name-resolution tests.
std::filesystem::path WriteTrueGraph(const std::string& tag, const std::vector<std::string>& names,
                                     const json& axioms = json::array()) {
  auto path = std::filesystem::temp_directory_path() /
              ("tatami-repl-double-" + tag + "-" + std::to_string(::getpid()) + ".json");
  json theorems = json::array();
  for (const std::string& n : names) {
    theorems.push_back({{"statement", "theorem " + n + " : True"}, {"goal", "⊢ True"}});
  }
  json graph = {{"theorems", theorems},
                {"states",
                 {{{"goals", {"⊢ True"}},
                   {"tactics", {{"trivial_x", {{"goals", json::array()}, {"axioms", axioms}}}}}}}}};
  std::ofstream(path) << graph.dump();
  return path;
}

std::vector<std::string> Data(const json& response) {
  std::vector<std::string> out;
  for (const json& m : response.value("messages", json::array())) {
    out.push_back(m.at("severity").get<std::string>() + ": " + m.at("data").get<std::string>());
  }
  return out;
}

TEST(ScriptTest, PrintAxiomsInsideANamespaceNamesTheResolvedDeclaration) {
  TATAMI_REQUIRE_FIXTURES("lean-messages");
  // The recorded graphiti case: `run'_refines`, declared in `Graphiti`, asked
  // for inside `namespace Graphiti.RewriterLemmas.Test`.
  json recorded;
  std::ifstream in(FixturesDir() / "lean-messages" / "print_axioms.jsonl");
  for (std::string line; std::getline(in, line);) {
    json e = json::parse(line);
    if (e["source"]["repo"] == "VCA-EPFL/graphiti") recorded = e;
  }
  ASSERT_TRUE(recorded.is_object()) << "no graphiti entry in print_axioms.jsonl";
  auto graph =
      WriteTrueGraph("graphiti", {"run'_refines"}, {"Quot.sound", "Classical.choice", "propext"});
  DoubleProcess p({"--script", graph.string()});
  json decl = Ask(p, {{"cmd",
                       "namespace Graphiti\n\ntheorem run'_refines : True := by\n"
                       "  trivial_x\n\nend Graphiti"}});
  ASSERT_EQ(Data(decl), std::vector<std::string>{}) << decl.dump();
  json r = Ask(p, {{"cmd", recorded["input"]}, {"env", decl["env"]}});
  EXPECT_EQ(Data(r), std::vector<std::string>{"info: " + recorded["message"].get<std::string>()});
  std::filesystem::remove(graph);
}

// `tatami check` names an example `noncomputable def tatami_example_LINE`
// to ask about its axioms: the double takes such a `def` for the graph's
// `example` of that signature and declares it; modifiers before a command
// (`private`, `protected`, `noncomputable`) are skipped.
TEST(ScriptTest, ADefStandsForTheGraphsExampleAndModifiersAreSkipped) {
  auto path = std::filesystem::temp_directory_path() /
              ("tatami-repl-double-def-" + std::to_string(::getpid()) + ".json");
  json graph = {
      {"theorems",
       {{{"statement", "example : True"}, {"goal", "⊢ True"}},
        {{"statement", "theorem t : True"}, {"goal", "⊢ True"}}}},
      {"states",
       {{{"goals", {"⊢ True"}},
         {"tactics", {{"trivial_x", {{"goals", json::array()}, {"axioms", {"propext"}}}}}}}}}};
  std::ofstream(path) << graph.dump();
  DoubleProcess p({"--script", path.string()});
  json r = Ask(p, {{"cmd",
                    "namespace N\nnoncomputable def tatami_example_2 : True := by\n  trivial_x\n"
                    "@[simp] private theorem t : True := by\n  trivial_x\nend N\n"
                    "#print axioms _root_.N.tatami_example_2\n#print axioms N.t"}});
  EXPECT_EQ(Data(r),
            (std::vector<std::string>{"info: 'N.tatami_example_2' depends on axioms: [propext]",
                                      "info: 'N.t' depends on axioms: [propext]"}))
      << r.dump();
  // A `def` whose signature is no graph example's is not modelled.
  json other = Ask(p, {{"cmd", "def f : Nat := by\n  trivial_x"}});
  ASSERT_EQ(other["messages"].size(), 1u) << other.dump();
  EXPECT_EQ(other["messages"][0]["data"].get<std::string>().rfind("tatami-repl-double:", 0), 0u);
  std::filesystem::remove(path);
}

TEST(ScriptTest, NamespacesSectionsAndOpenResolveNamesAsLeanDoes) {
  auto graph = WriteTrueGraph("scopes", {"foo", "_root_.bar", "X.baz", "«my thm»", "tick'"});
  DoubleProcess p({"--script", graph.string()});
  auto none = [](const std::string& n) {
    return "info: '" + n + "' does not depend on any axioms";
  };
  json r = Ask(p, {{"cmd",
                    "namespace A\nsection S\nnamespace B\ntheorem foo : True := by trivial_x\n"
                    "end B\nend S\n#print axioms B.foo\n#print axioms A.B.foo\n"
                    "theorem _root_.bar : True := by trivial_x\n#print axioms bar\n"
                    "theorem X.baz : True := by trivial_x\n#print axioms X.baz\nend A\n"
                    "#print axioms A.X.baz\n#print axioms _root_.A.B.foo"}});
  EXPECT_EQ(Data(r), (std::vector<std::string>{none("A.B.foo"), none("A.B.foo"), none("bar"),
                                               none("A.X.baz"), none("A.X.baz"), none("A.B.foo")}))
      << r.dump();

  // Scopes carry over to a command continuing the environment; `«»` names and
  // names with `'` print as Lean prints them.
  json open = Ask(p, {{"cmd",
                       "namespace N.M\ntheorem «my thm» : True := by trivial_x\n"
                       "theorem tick' : True := by trivial_x"},
                      {"env", r["env"]}});
  ASSERT_EQ(Data(open), std::vector<std::string>{}) << open.dump();
  json later = Ask(p, {{"cmd", "#print axioms «my thm»\nend N.M\nopen N.M\n#print axioms tick'"},
                       {"env", open["env"]}});
  EXPECT_EQ(Data(later), (std::vector<std::string>{none("N.M.«my thm»"), none("N.M.tick'")}))
      << later.dump();

  // A short name outside its namespace, and a mismatched `end`, are reported
  // in the double's own words (Lean's texts for them are not recorded).
  json bad = Ask(p, {{"cmd", "#print axioms foo\nnamespace Q\nend R"}, {"env", r["env"]}});
  ASSERT_EQ(bad["messages"].size(), 2u) << bad.dump();
  for (const json& m : bad["messages"]) {
    EXPECT_EQ(m["severity"], "error");
    EXPECT_EQ(m["data"].get<std::string>().rfind("tatami-repl-double: ", 0), 0u) << m.dump();
  }
  std::filesystem::remove(graph);
}

// A file laid out like lean_project/Examples.lean: module and declaration doc
// comments, an attribute, comments inside the proof.
TEST(ScriptTest, CommentsDocStringsAndAttributesAreSkipped) {
  auto graph = WriteTrueGraph("comments", {"em_example"}, {"propext"});
  DoubleProcess p({"--script", graph.string()});
  json r = Ask(p, {{"cmd",
                    "/-! module doc\n  /- nested -/ still doc -/\n\nnamespace TatamiExamples\n\n"
                    "/-- Uses `--` in a doc comment. -/\n@[simp] theorem em_example : True := by\n"
                    "  -- a comment line\n  trivial_x -- closes it\n\nend TatamiExamples\n\n"
                    "#print axioms TatamiExamples.em_example -- the full name"}});
  ASSERT_EQ(
      Data(r),
      std::vector<std::string>{"info: 'TatamiExamples.em_example' depends on axioms: [propext]"})
      << r.dump();
  EXPECT_EQ(r["messages"][0]["pos"], json({{"line", 13}, {"column", 0}}));
  std::filesystem::remove(graph);
}

TEST(ScriptTest, PickledEnvironmentsKeepTheirScopes) {
  auto graph = WriteTrueGraph("pickle-scopes", {"foo"});
  auto file = std::filesystem::temp_directory_path() /
              ("tatami-repl-double-scopes-" + std::to_string(::getpid()) + ".olean");
  {
    DoubleProcess p({"--script", graph.string()});
    json r = Ask(p, {{"cmd", "namespace A\ntheorem foo : True := by trivial_x"}});
    EXPECT_EQ(Ask(p, {{"pickleTo", file.string()}, {"env", r["env"]}}), json({{"env", 0}}));
  }
  DoubleProcess fresh({"--script", graph.string()});
  json env = Ask(fresh, {{"unpickleEnvFrom", file.string()}});
  json r = Ask(fresh, {{"cmd", "#print axioms foo\nend A"}, {"env", env["env"]}});
  EXPECT_EQ(Data(r), std::vector<std::string>{"info: 'A.foo' does not depend on any axioms"});
  std::filesystem::remove(graph);
  std::filesystem::remove(file);
}

// Every state of a graph larger than the index's first table is found by its
// whole goal list: lists that share their first goal are different states.
TEST(ScriptTest, FindsEveryStateByItsWholeGoalList) {
  auto path = std::filesystem::temp_directory_path() /
              ("tatami-repl-double-many-" + std::to_string(::getpid()) + ".json");
  const int n = 300;
  auto goal_of = [](int i) { return "x : Nat\n⊢ x + " + std::to_string(i) + " = x"; };
  json theorems = json::array();
  json states = json::array();
  for (int i = 0; i < n; ++i) {
    const std::string goal = goal_of(i);
    theorems.push_back({{"statement", "theorem t" + std::to_string(i) + " (x : Nat) : x + " +
                                          std::to_string(i) + " = x"},
                        {"goal", goal}});
    // `next` goes [goal] -> [goal, "a"] -> [goal, ""] -> [].
    states.push_back({{"goals", {goal}}, {"tactics", {{"next", {{"goals", {goal, "a"}}}}}}});
    states.push_back({{"goals", {goal, "a"}}, {"tactics", {{"next", {{"goals", {goal, ""}}}}}}});
    states.push_back({{"goals", {goal, ""}}, {"tactics", {{"next", {{"goals", json::array()}}}}}});
  }
  {
    std::ofstream out(path);
    out << json{{"theorems", theorems}, {"states", states}}.dump();
  }
  DoubleProcess p({"--script", path.string()});
  for (int i = 0; i < n; i += 7) {
    const std::string goal = goal_of(i);
    json r = Ask(p, {{"cmd", "theorem t" + std::to_string(i) + " (x : Nat) : x + " +
                                 std::to_string(i) + " = x := by sorry"}});
    ASSERT_EQ(r["sorries"][0]["goal"], goal) << r;
    std::uint64_t id = r["sorries"][0]["proofState"];
    for (const json& expected : {json{goal, "a"}, json{goal, ""}, json::array()}) {
      r = Ask(p, {{"tactic", "next"}, {"proofState", id}});
      ASSERT_EQ(r["goals"], expected) << "theorem t" << i << ": " << r;
      id = r["proofState"];
    }
  }
  std::filesystem::remove(path);

  // A state listed twice is named.
  {
    std::ofstream out(path);
    out << json{{"theorems", json::array()},
                {"states", {{{"goals", {"a", "b"}}}, {{"goals", {"a"}}}, {{"goals", {"a", "b"}}}}}}
               .dump();
  }
  DoubleProcess bad({"--script", path.string()});
  int status = bad.Wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_NE(bad.Stderr().find("states[2]: a state with these goals is listed twice"),
            std::string::npos)
      << bad.Stderr();
  std::filesystem::remove(path);
}

TEST(ScriptTest, BadGraphIsRejectedWithWhere) {
  auto path = std::filesystem::temp_directory_path() /
              ("tatami-repl-double-bad-" + std::to_string(::getpid()) + ".json");
  {
    std::ofstream out(path);
    out << R"({"theorems": [], "states": [{"goals": [], "tactics": {"rfl": {"shape": "exception"}}}]})";
  }
  DoubleProcess p({"--script", path.string()});
  int status = p.Wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_NE(p.Stderr().find("states[0].tactics[\"rfl\"]"), std::string::npos) << p.Stderr();
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace tatami::testing
