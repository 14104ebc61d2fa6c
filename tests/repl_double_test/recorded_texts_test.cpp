// Every text the double prints as Lean's is compared with the recording its
// table row cites (read from the fixtures at test time), so drift is caught.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lean_texts.h"
#include "test_util.h"

namespace tatami::testing {
namespace {

using json = nlohmann::json;
using repl_double::LeanName;
using repl_double::LeanTexts;
using repl_double::LeanVersion;
using repl_double::TextId;

// The JSON object at `entry` (1-based) of a .jsonl or .expected.out fixture.
json Entry(std::string_view file, int entry) {
  std::filesystem::path path = FixturesDir() / std::string(file);
  if (path.extension() == ".jsonl") {
    std::ifstream in(path);
    std::string line;
    for (int i = 0; i < entry && std::getline(in, line); ++i) {
    }
    if (line.empty()) ADD_FAILURE() << file << " has no line " << entry;
    return line.empty() ? json() : json::parse(line);
  }
  auto frames = RecordedFrames(path);
  if (entry < 1 || static_cast<std::size_t>(entry) > frames.size()) {
    ADD_FAILURE() << file << " has no response " << entry;
    return json();
  }
  return json::parse(frames[entry - 1]);
}

std::string Recorded(const repl_double::Recording& r) {
  json e = Entry(r.file, r.entry);
  json::json_pointer p{std::string(r.pointer)};
  if (!e.contains(p)) {
    ADD_FAILURE() << r.file << " entry " << r.entry << " has nothing at " << r.pointer;
    return "";
  }
  return e.at(p).get<std::string>();
}

std::string Message(std::string_view file, int line) {
  return Entry(file, line).at("message").get<std::string>();
}

TEST(RecordedTextsTest, EveryTextMatchesItsRecording) {
  TATAMI_REQUIRE_FIXTURES("lean-messages");
  TATAMI_REQUIRE_FIXTURES("repl-transcripts");
  ASSERT_FALSE(repl_double::RecordedTexts().empty());
  for (const repl_double::RecordedText& t : repl_double::RecordedTexts()) {
    std::vector<std::string_view> args;
    for (std::size_t pos = 0; (pos = t.text.find("{}", pos)) != std::string_view::npos; pos += 2) {
      args.push_back(t.example[args.size()]);
    }
    std::string text = repl_double::Render(t.text, args);
    EXPECT_EQ(repl_double::Render(t.context, {text}), Recorded(t.recording))
        << t.recording.file << " entry " << t.recording.entry << " " << t.recording.pointer;
  }
}

TEST(RecordedTextsTest, EveryVersionHasEveryTextExceptStatusesBeforeV4_19) {
  TATAMI_REQUIRE_FIXTURES();
  for (LeanVersion v : repl_double::kLeanVersions) {
    for (int i = 0; i <= static_cast<int>(TextId::kStatusContainsSorry); ++i) {
      auto id = static_cast<TextId>(i);
      bool status = id == TextId::kStatusCompleted || id == TextId::kStatusOpenGoals ||
                    id == TextId::kStatusContainsSorry;
      EXPECT_EQ(repl_double::FindText(id, v) != nullptr, !status || v != LeanVersion::kV4_9)
          << "text " << i << " in " << repl_double::LeanVersionName(v);
    }
  }
  // Why v4.9 has none: its REPL printed no "proofStatus".
  json step = Entry("repl-transcripts/history/v4.9.0/proof_step.expected.out", 4);
  EXPECT_TRUE(step.contains("proofState"));
  EXPECT_FALSE(step.contains("proofStatus"));
  EXPECT_FALSE(LeanTexts(LeanVersion::kV4_9).ProofStatus(false, false).has_value());
}

TEST(RecordedTextsTest, SeveralUnsolvedGoalsAreSeparatedAsLeanSeparatesThem) {
  TATAMI_REQUIRE_FIXTURES("lean-messages");
  // aesop's all_cons test: two goals left.
  const std::string hyps =
      "α : Type u_1\nP : α → Bool\nx : α\nxs : List α\nh : (x :: xs).all P = true\n";
  std::vector<std::string> goals = {"case left\n" + hyps + "⊢ P x = true",
                                    "case right\n" + hyps + "⊢ xs.all P = true"};
  EXPECT_EQ(LeanTexts(LeanVersion::kV4_33).UnsolvedGoals(goals),
            Message("lean-messages/unsolved_goals.jsonl", 8));
}

TEST(RecordedTextsTest, PrintAxiomsSortsFromV4_33AndKeepsCollectionOrderBefore) {
  TATAMI_REQUIRE_FIXTURES("lean-messages");
  LeanTexts now(LeanVersion::kV4_33);
  EXPECT_EQ(now.PrintAxioms({{"excludedMiddle"}}, {"Quot.sound", "Classical.choice", "propext"}),
            Message("lean-messages/print_axioms.jsonl", 3));
  EXPECT_EQ(now.PrintAxioms({{"A2"}}, {"A1", "A2", "A0"}),
            Message("lean-messages/print_axioms.jsonl", 1));
  EXPECT_EQ(now.PrintAxioms({{"Graphiti", "run'_refines"}},
                            {"Classical.choice", "Quot.sound", "propext"}),
            Message("lean-messages/print_axioms.jsonl", 9));
  EXPECT_EQ(now.PrintAxioms({{"Classical", "em"}}, {"Quot.sound", "Classical.choice", "propext"}),
            Message("lean-messages/print_axioms.jsonl", 8));
  EXPECT_EQ(now.PrintAxioms({{"one_add_one"}}, {"Lean.trustCompiler", "Lean.ofReduceBool"}),
            Message("lean-messages/native_decide.jsonl", 1));
  EXPECT_EQ(now.PrintAxioms({{"addThree"}}, {}), Message("lean-messages/print_axioms.jsonl", 2));
  LeanTexts old(LeanVersion::kV4_9);
  EXPECT_EQ(old.PrintAxioms({{"Classical", "em"}}, {"Classical.choice", "propext", "Quot.sound"}),
            Message("lean-messages/print_axioms.jsonl", 6));
}

TEST(RecordedTextsTest, LeanVersionsParse) {
  EXPECT_EQ(repl_double::ParseLeanVersion("4.9"), LeanVersion::kV4_9);
  EXPECT_EQ(repl_double::ParseLeanVersion("v4.19.0"), LeanVersion::kV4_19);
  EXPECT_EQ(repl_double::ParseLeanVersion("v4.33.0-rc2"), LeanVersion::kV4_33);
  EXPECT_FALSE(repl_double::ParseLeanVersion("4.10").has_value());
  EXPECT_FALSE(repl_double::ParseLeanVersion("").has_value());
}

// Every error text of the bundled example graph is a text Lean printed.
TEST(RecordedTextsTest, ExampleGraphErrorsAreRecordedTexts) {
  TATAMI_REQUIRE_FIXTURES("lean-messages");
  TATAMI_REQUIRE_FIXTURES("repl-transcripts");
  std::set<std::string> recorded;
  for (const auto& f : std::filesystem::directory_iterator(FixturesDir() / "lean-messages")) {
    if (f.path().extension() != ".jsonl") continue;
    std::ifstream in(f.path());
    for (std::string line; std::getline(in, line);) {
      recorded.insert(json::parse(line).at("message").get<std::string>());
    }
  }
  for (const auto& f :
       std::filesystem::recursive_directory_iterator(FixturesDir() / "repl-transcripts")) {
    if (f.path().string().find(".expected.out") == std::string::npos) continue;
    for (const std::string& frame : RecordedFrames(f.path())) {
      json r = json::parse(frame, nullptr, false);
      if (r.is_discarded() || !r.is_object()) continue;
      for (const json& m : r.value("messages", json::array())) recorded.insert(m.value("data", ""));
      std::string message = r.value("message", "");
      if (message.rfind("Lean error:\n", 0) == 0) recorded.insert(message.substr(12));
    }
  }
  ASSERT_GT(recorded.size(), 50u);
  json graph = json::parse(ReadText(NatAddGraph()));
  int errors = 0;
  for (const json& state : graph.at("states")) {
    for (const auto& [tactic, transition] : state.at("tactics").items()) {
      if (!transition.contains("error")) continue;
      ++errors;
      EXPECT_TRUE(recorded.count(transition["error"].get<std::string>()))
          << "tactic `" << tactic << "`: " << transition["error"];
    }
  }
  EXPECT_GT(errors, 0);
}

}  // namespace
}  // namespace tatami::testing
