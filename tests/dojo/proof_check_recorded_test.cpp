// JudgeProof and ParseAxiomsMessage on recorded Lean texts only: the
// lean-messages fixtures (every wording variant recorded across Lean
// versions) and the command responses of the REPL transcripts (current and
// history/v4.9.0, v4.19.0). A suite that finds no recorded case fails.
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "tatami/dojo/lean_name.h"
#include "tatami/dojo/proof_check.h"
#include "tatami/dojo/transcript.h"

namespace tatami::dojo {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::vector<json> LoadMessages(const std::string& file) {
  const fs::path path = testing::FixturesDir() / "lean-messages" / file;
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::vector<json> entries;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) entries.push_back(json::parse(line));
  EXPECT_FALSE(entries.empty()) << path << " holds no entries";
  return entries;
}

ReplOutcome Answer(json j) {
  ReplResponse r;
  r.json = std::move(j);
  return r;
}

// A recorded entry as the REPL reports it: its text in a message's "data".
json AsReplMessage(const json& entry) {
  return {{"severity", entry["severity"]},
          {"pos", {{"line", 1}, {"column", 0}}},
          {"endPos", {{"line", 1}, {"column", 1}}},
          {"data", entry["message"]}};
}

// What `#print axioms` was asked about in a recorded input.
std::string QueriedName(const std::string& input) {
  std::smatch m;
  const std::regex query(R"(#print axioms (\S+))");
  EXPECT_TRUE(std::regex_search(input, m, query)) << input;
  return m[1];
}

// The verdict each recorded `#print axioms` answer must get, by the name
// Lean printed: the user axioms A0..A2 and native_decide's compiler axioms
// are outside the default allowed set; `sorry` proofs depend on sorryAx.
const std::map<std::string, FailedCheck>& ExpectedAxiomVerdicts() {
  static const std::map<std::string, FailedCheck> m = {
      {"A2", FailedCheck::kAxioms},
      {"addThree", FailedCheck::kNone},
      {"excludedMiddle", FailedCheck::kNone},
      {"simpleEquality", FailedCheck::kNone},
      {"lazy", FailedCheck::kSorry},
      {"Classical.em", FailedCheck::kNone},
      {"contra", FailedCheck::kSorry},
      {"Graphiti.run'_refines", FailedCheck::kNone},
      {"one_add_one", FailedCheck::kAxioms},
      {"bigSum", FailedCheck::kAxioms},
      {"largeNumber", FailedCheck::kAxioms},
      {"native", FailedCheck::kAxioms},
      {"zero_ne_eq_one", FailedCheck::kAxioms},
  };
  return m;
}

TEST(ProofCheckRecordedTest, EveryRecordedAxiomsAnswerIsReadAndJudged) {
  TATAMI_REQUIRE_FIXTURES("lean-messages");
  std::set<std::string> seen;
  std::size_t namespaced = 0;
  for (const char* file : {"print_axioms.jsonl", "native_decide.jsonl"}) {
    for (const json& entry : LoadMessages(file)) {
      if (entry["input"].get<std::string>().find("#print axioms") == std::string::npos) continue;
      const std::string text = entry["message"];
      SCOPED_TRACE(file + std::string(": ") + text);
      const auto report = ParseAxiomsMessage(text);
      ASSERT_TRUE(report.has_value());
      const auto expected = ExpectedAxiomVerdicts().find(report->name);
      ASSERT_NE(expected, ExpectedAxiomVerdicts().end()) << "unexpected name " << report->name;
      seen.insert(report->name);
      // Lean prints the resolved name; what was typed is its last part(s).
      const std::string queried = QueriedName(entry["input"]);
      const auto printed = SplitName(report->name);
      const auto typed = SplitName(queried);
      ASSERT_LE(typed.size(), printed.size());
      EXPECT_TRUE(std::equal(typed.rbegin(), typed.rend(), printed.rbegin()));
      if (typed.size() < printed.size()) {
        ++namespaced;
        // Matching the typed short name would miss this answer (the bug).
        const ProofVerdict short_name =
            JudgeProof("", Answer({{"env", 0}, {"messages", {AsReplMessage(entry)}}}), queried);
        EXPECT_EQ(short_name.failed, FailedCheck::kAxiomsUnknown);
      }
      const ProofVerdict v =
          JudgeProof("", Answer({{"env", 0}, {"messages", {AsReplMessage(entry)}}}), report->name);
      EXPECT_EQ(v.failed, expected->second) << v.reason;
      EXPECT_EQ(v.axioms, report->axioms);
      EXPECT_TRUE(v.messages.empty()) << "the answer is set aside, not kept as a message";
    }
  }
  EXPECT_EQ(seen.size(), ExpectedAxiomVerdicts().size()) << "a recorded answer was not found";
  EXPECT_GE(namespaced, 1u) << "the namespace recording (graphiti) was not found";
}

TEST(ProofCheckRecordedTest, OlderAndNewerAxiomOrderGiveTheSameVerdict) {
  TATAMI_REQUIRE_FIXTURES("lean-messages");
  std::vector<std::vector<std::string>> em_lists;
  for (const json& entry : LoadMessages("print_axioms.jsonl")) {
    const auto report = ParseAxiomsMessage(entry["message"].get<std::string>());
    if (report && report->name == "Classical.em") em_lists.push_back(report->axioms);
  }
  ASSERT_EQ(em_lists.size(), 2u) << "expected the older and the newer Classical.em recording";
  EXPECT_NE(em_lists[0], em_lists[1]);  // collection order vs sorted
  for (const auto& list : em_lists) {
    std::string text = "'Classical.em' depends on axioms: [";
    for (std::size_t i = 0; i < list.size(); ++i) text += (i ? ", " : "") + list[i];
    text += "]";
    const json m = {{"severity", "info"}, {"data", text}};
    EXPECT_TRUE(JudgeProof("", Answer({{"env", 0}, {"messages", {m}}}), "Classical.em").ok);
  }
}

// Every recorded error text (unsolved goals, no goals in both spellings,
// unknown names, tactic failures, heartbeats) rejects a proof as a Lean
// error, and every recorded sorry warning ('sorry' and `sorry`) as a sorry,
// even next to a clean axioms answer and with no "sorries" list.
TEST(ProofCheckRecordedTest, RecordedErrorsAndSorryWarningsReject) {
  TATAMI_REQUIRE_FIXTURES("lean-messages");
  const json clean = AsReplMessage(LoadMessages("print_axioms.jsonl")[1]);  // addThree
  ASSERT_EQ(ParseAxiomsMessage(clean["data"].get<std::string>())->name, "addThree");
  std::map<std::string, std::size_t> counts;
  for (const char* file : {"unsolved_goals.jsonl", "no_goals.jsonl", "unknown_names.jsonl",
                           "tactic_failures.jsonl", "heartbeats.jsonl", "sorry_warning.jsonl"}) {
    for (const json& entry : LoadMessages(file)) {
      SCOPED_TRACE(file + std::string(": ") + entry["message"].get<std::string>());
      const ProofVerdict v =
          JudgeProof("theorem addThree : True := by trivial",
                     Answer({{"env", 0}, {"messages", {AsReplMessage(entry), clean}}}), "addThree");
      if (entry["severity"] == "error") {
        EXPECT_EQ(v.failed, FailedCheck::kLeanError);
        EXPECT_EQ(v.reason.rfind(entry["message"].get<std::string>(), 0), 0u) << v.reason;
        ++counts["error"];
      } else if (std::string(file) == "sorry_warning.jsonl") {
        EXPECT_EQ(v.failed, FailedCheck::kSorry);
        ++counts[entry["message"]];
      } else {
        EXPECT_TRUE(v.ok) << "a recorded " << entry["severity"] << " is not a rejection";
        ++counts["other"];
      }
    }
  }
  EXPECT_GE(counts["error"], 40u);
  EXPECT_GE(counts["declaration uses 'sorry'"], 1u);
  EXPECT_GE(counts["declaration uses `sorry`"], 1u);
}

// The command responses of every recorded REPL session, at three REPL
// versions: errors reject as Lean errors, a sorry (listed, or only warned
// about in either quoting) as a sorry, and clean responses pass.
TEST(ProofCheckRecordedTest, TranscriptCommandResponsesAreJudgedAsLeanMeantThem) {
  TATAMI_REQUIRE_FIXTURES();
  const auto transcripts = FindTranscripts(testing::FixturesDir() / "repl-transcripts");
  ASSERT_FALSE(transcripts.empty());
  std::map<FailedCheck, std::size_t> counts;
  std::map<std::string, std::size_t> warnings;
  for (const auto& files : transcripts) {
    if (!files.expected_out) continue;
    const TranscriptCheck check = CheckTranscript(files.in, files.expected_out);
    for (const TranscriptRequest& req : check.requests) {
      if (!req.json || !req.response || !req.json->contains("cmd")) continue;
      const json& response = *req.response;
      if (!response.is_object() || !response.contains("env")) continue;
      SCOPED_TRACE(files.in.string() + ": request " + std::to_string(req.number));
      bool error = false, sorry = response.contains("sorries");
      std::string sorry_warning;
      for (const json& m : response.value("messages", json::array())) {
        error = error || m["severity"] == "error";
        const std::string data = m["data"];
        if (m["severity"] == "warning" && data.starts_with("declaration uses ")) {
          sorry = true;
          sorry_warning = data;
        }
      }
      const std::string code = (*req.json)["cmd"];
      const ProofVerdict v = JudgeProof(code, Answer(response), std::nullopt, {{}, {}});
      const FailedCheck expected = error   ? FailedCheck::kLeanError
                                   : sorry ? FailedCheck::kSorry
                                           : FailedCheck::kNone;
      EXPECT_EQ(v.failed, expected) << v.reason;
      ++counts[v.failed];
      if (!error && !sorry_warning.empty()) {
        // The warning alone must be enough.
        json warned_only = response;
        warned_only.erase("sorries");
        EXPECT_EQ(JudgeProof(code, Answer(warned_only), std::nullopt, {{}, {}}).failed,
                  FailedCheck::kSorry)
            << sorry_warning;
        ++warnings[sorry_warning];
      }
    }
  }
  EXPECT_GE(counts[FailedCheck::kNone], 10u);
  EXPECT_GE(counts[FailedCheck::kLeanError], 5u);
  EXPECT_GE(counts[FailedCheck::kSorry], 10u);
  EXPECT_GE(warnings["declaration uses 'sorry'"], 1u) << "no v4.9/v4.19 quoting seen";
  EXPECT_GE(warnings["declaration uses `sorry`"], 1u) << "no v4.33 quoting seen";
}

}  // namespace
}  // namespace tatami::dojo
