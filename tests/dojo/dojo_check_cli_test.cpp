// `tatami check` through the CLI binary, with the scripted REPL double as
// the worker: result lines, outcomes, bad input, and resumption after a
// limit, an interrupt, or a torn last line.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::string kStatement = "theorem and_swap (p q : Prop) (h : p ∧ q) : q ∧ p";
const std::string kRoot = "p q : Prop\nh : p ∧ q\n⊢ q ∧ p";

class CheckCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tatami_check_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    json graph = {
        {"theorems",
         {{{"statement", kStatement}, {"goal", kRoot}},
          {{"statement", "theorem X.and_swap (p q : Prop) (h : p ∧ q) : q ∧ p"}, {"goal", kRoot}},
          {{"statement", "theorem cheat : 1 = 1"}, {"goal", "⊢ 1 = 1"}}}},
        {"states",
         {{{"goals", {kRoot}}, {"tactics", {{"exact ⟨h.2, h.1⟩", {{"goals", json::array()}}}}}},
          {{"goals", {"⊢ 1 = 1"}},
           {"tactics",
            {{"trust_me", {{"goals", json::array()}, {"axioms", {"Lean.ofReduceBool"}}}}}}}}}};
    std::ofstream(dir_ / "graph.json") << graph.dump();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string ReplCmd(const std::string& extra = "") const {
    return std::string(TATAMI_REPL_DOUBLE) + " --script " + (dir_ / "graph.json").string() + extra;
  }

  // Runs `tatami check` with `args` (already quoted); returns the exit code.
  int Check(const std::string& args, const std::string& prefix = "") const {
    const std::string cmd = prefix + "'" + std::string(TATAMI_CLI) + "' check --no-progress " +
                            args + " 2>'" + (dir_ / "stderr.txt").string() + "'";
    const int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  std::vector<json> Lines(const fs::path& p) const {
    std::ifstream in(p);
    std::vector<json> out;
    std::string line;
    while (std::getline(in, line)) out.push_back(json::parse(line));
    return out;
  }
  std::string Stderr() const {
    std::ifstream in(dir_ / "stderr.txt");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  void WriteInputs(const std::vector<json>& items, const std::string& extra_raw_line = "") const {
    std::ofstream out(dir_ / "in.jsonl");
    for (const json& j : items) out << j.dump() << "\n";
    out << extra_raw_line;
  }

  fs::path dir_;
};

TEST_F(CheckCliTest, WritesOneResultLinePerIdWithOutcomes) {
  WriteInputs({{{"id", "ok"}, {"code", kStatement + " := by\n  exact ⟨h.2, h.1⟩"}},
               {{"id", "err"}, {"code", kStatement + " := by\n  exact foo"}},
               {{"id", "sorry"}, {"code", kStatement + " := by sorry"}},
               {{"id", "axioms"}, {"code", "theorem cheat : 1 = 1 := by\n  trust_me"}},
               {{"id", 7}, {"code", "import Mathlib\n\n" + kStatement + " := by\n  exact foo"}},
               {{"id", "ok"}, {"code", "duplicate id: checked once"}}},
              "not json\n");
  const fs::path out = dir_ / "out.jsonl";
  EXPECT_EQ(Check("--repl-cmd '" + ReplCmd() + "' -j 2 -o '" + out.string() + "' '" +
                  (dir_ / "in.jsonl").string() + "'"),
            1)  // one bad input line
      << Stderr();
  EXPECT_NE(Stderr().find("in.jsonl:7: not valid JSON"), std::string::npos) << Stderr();
  std::map<std::string, json> by_id;
  for (const json& l : Lines(out)) {
    for (const char* key : {"id", "ok", "messages", "sorries", "time_s", "outcome"})
      EXPECT_TRUE(l.contains(key)) << l.dump();
    EXPECT_TRUE(by_id.emplace(l["id"].dump(), l).second) << "duplicate " << l["id"];
  }
  ASSERT_EQ(by_id.size(), 5u);
  EXPECT_EQ(by_id["\"ok\""]["ok"], true);
  EXPECT_EQ(by_id["\"ok\""]["outcome"], "ok");
  EXPECT_EQ(by_id["\"err\""]["ok"], false);
  EXPECT_EQ(by_id["\"err\""]["outcome"], "lean_error");
  EXPECT_EQ(by_id["\"sorry\""]["outcome"], "sorry");
  EXPECT_EQ(by_id["\"axioms\""]["outcome"], "axioms");
  EXPECT_EQ(by_id["7"]["outcome"], "lean_error");
  // Positions map back to the input: the error is on line 4 of the snippet (after the import).
  bool found = false;
  for (const json& m : by_id["7"]["messages"])
    if (m["severity"] == "error") {
      EXPECT_EQ(m["pos"]["line"], 4) << m.dump();
      found = true;
    }
  EXPECT_TRUE(found);
}

// With no worker that can start, nothing is Lean's answer: no line is
// written, the exit code is 1, and a rerun with a working Lean checks all.
TEST_F(CheckCliTest, NoLeanWritesNothingAndARerunChecksEverything) {
  WriteInputs({{{"id", "a"}, {"code", kStatement + " := by\n  exact ⟨h.2, h.1⟩"}},
               {{"id", "b"}, {"code", kStatement + " := by\n  exact foo"}}});
  const fs::path out = dir_ / "out.jsonl";
  const std::string io = " -o '" + out.string() + "' '" + (dir_ / "in.jsonl").string() + "'";
  EXPECT_EQ(Check("--repl-cmd '" + (dir_ / "no-such-repl").string() + "'" + io), 1) << Stderr();
  EXPECT_NE(Stderr().find("Lean could not be run"), std::string::npos) << Stderr();
  EXPECT_NE(Stderr().find("no-such-repl"), std::string::npos) << Stderr();
  EXPECT_TRUE(Lines(out).empty());
  EXPECT_EQ(Check("--repl-cmd '" + ReplCmd() + "'" + io), 0) << Stderr();
  EXPECT_EQ(Lines(out).size(), 2u);
}

// A worker that dies under a check: the check runs once more on a fresh
// worker, and only a second death is its outcome.
TEST_F(CheckCliTest, ACrashIsRetriedOnceOnAFreshWorker) {
  WriteInputs({{{"id", "a"}, {"code", kStatement + " := by\n  exact ⟨h.2, h.1⟩"}}});
  // The first worker started dies on its first request; later ones do not.
  const fs::path wrapper = dir_ / "first-crashes.sh", marker = dir_ / "started";
  std::ofstream(wrapper) << "#!/bin/sh\nif [ -e '" << marker.string() << "' ]; then exec "
                         << ReplCmd() << "; fi\ntouch '" << marker.string() << "'\nexec "
                         << ReplCmd(" --crash-on 1") << "\n";
  fs::permissions(wrapper, fs::perms::owner_all);
  const fs::path out = dir_ / "out.jsonl";
  const std::string io = " -j 1 -o '" + out.string() + "' '" + (dir_ / "in.jsonl").string() + "'";
  EXPECT_EQ(Check("--repl-cmd '" + wrapper.string() + "'" + io), 0) << Stderr();
  ASSERT_EQ(Lines(out).size(), 1u);
  EXPECT_EQ(Lines(out)[0]["outcome"], "ok") << Lines(out)[0].dump();
  // Every worker dies on its first request: the second death is the outcome.
  fs::remove(out);
  EXPECT_EQ(Check("--repl-cmd '" + ReplCmd(" --crash-on 1") + "'" + io), 0) << Stderr();
  ASSERT_EQ(Lines(out).size(), 1u);
  EXPECT_EQ(Lines(out)[0]["outcome"], "crash") << Lines(out)[0].dump();
}

// Inputs that are wrong are named with their file and line and make the exit
// code 1; the output may not be an input; only result lines count on resume.
TEST_F(CheckCliTest, BadInputsAreNamedAndTheOutputIsNoInput) {
  WriteInputs({{{"id", "a"}, {"code", kStatement + " := by\n  exact ⟨h.2, h.1⟩"}},
               {{"id", "a"}, {"code", kStatement + " := by\n  exact ⟨h.2, h.1⟩"}},
               {{"id", "b"}, {"code", kStatement + " := by sorry"}},
               {{"id", "b"}, {"code", kStatement + " := by\n  exact foo"}},
               {{"id", "h"}, {"code", "import 1x\n" + kStatement + " := by sorry"}}});
  const fs::path in = dir_ / "in.jsonl", out = dir_ / "out.jsonl";
  // Another command's line with an id, left in the output: not a result.
  std::ofstream(out) << json{{"id", "a"}, {"other", 1}}.dump() << "\n";
  EXPECT_EQ(Check("--repl-cmd '" + ReplCmd() + "' -o '" + out.string() + "' '" + in.string() + "'"),
            1)
      << Stderr();
  EXPECT_NE(Stderr().find("in.jsonl:4: id \"b\" again, with other code than at "),
            std::string::npos)
      << Stderr();
  EXPECT_NE(Stderr().find("in.jsonl:5: id \"h\": bad header"), std::string::npos) << Stderr();
  std::map<std::string, std::string> outcome;
  for (const json& l : Lines(out))
    if (l.contains("outcome")) outcome[l["id"]] = l["outcome"];
  EXPECT_EQ(outcome,
            (std::map<std::string, std::string>{{"a", "ok"}, {"b", "sorry"}, {"h", "bad_input"}}));
  // The output named as an input too (here through another path).
  EXPECT_EQ(Check("--repl-cmd '" + ReplCmd() + "' -o '" + out.string() + "' '" +
                  (dir_ / "." / "out.jsonl").string() + "'"),
            1);
  EXPECT_NE(Stderr().find("is the input"), std::string::npos) << Stderr();
}

// Theorems under namespaces and sections (closed or left open), declared
// with `_root_` or a dotted name: each one's axioms are asked about and
// judged under its full name, as Lean answers.
TEST_F(CheckCliTest, NamespacedTheoremsAreCheckedWithTheirAxioms) {
  const std::string swap = kStatement + " := by\n  exact ⟨h.2, h.1⟩\n";
  WriteInputs(
      {{{"id", "nested"},
        {"code", "namespace A\nsection S\nnamespace B\n" + swap + "end B\nend S\nend A\n"}},
       {{"id", "left_open"}, {"code", "namespace A.B\nopen A\n" + swap}},
       {{"id", "root_cheat"},
        {"code", "namespace A\n" + swap + "theorem _root_.cheat : 1 = 1 := by\n  trust_me\nend A"}},
       {{"id", "dotted_ok"},
        {"code",
         "namespace N\ntheorem X.and_swap (p q : Prop) (h : p ∧ q) : q ∧ p := by\n"
         "  exact ⟨h.2, h.1⟩\nend N"}}});
  const fs::path out = dir_ / "out.jsonl";
  EXPECT_EQ(Check("--repl-cmd '" + ReplCmd() + "' -o '" + out.string() + "' '" +
                  (dir_ / "in.jsonl").string() + "'"),
            0)
      << Stderr();
  std::map<std::string, json> by_id;
  for (const json& l : Lines(out)) by_id[l["id"].get<std::string>()] = l;
  ASSERT_EQ(by_id.size(), 4u);
  for (const char* id : {"nested", "left_open", "dotted_ok"}) {
    EXPECT_EQ(by_id[id]["outcome"], "ok") << by_id[id].dump();
    EXPECT_TRUE(by_id[id]["messages"].empty()) << "the axioms answers are not messages";
  }
  EXPECT_EQ(by_id["root_cheat"]["outcome"], "axioms") << by_id["root_cheat"].dump();
  const std::string why = by_id["root_cheat"]["messages"].back()["data"];
  EXPECT_NE(why.find("cheat: Lean.ofReduceBool"), std::string::npos) << why;
  EXPECT_EQ(why.find("A.and_swap"), std::string::npos) << why;
}

// Names with `'` and «» (as written and inside a namespace), and a
// `private` theorem: the axioms answer names each as Lean prints it, and the
// check still finds it. (The double answers for a private theorem with its
// plain full name; Lean's internal `_private.<module>.0.` form, which the
// check also accepts, is not recorded.)
TEST_F(CheckCliTest, NamesWithPrimesAndGuillemetsAreCheckedWithTheirAxioms) {
  json graph = {
      {"theorems",
       {{{"statement", "theorem tick' : True"}, {"goal", "⊢ True"}},
        {{"statement", "theorem «my thm» : True"}, {"goal", "⊢ True"}},
        {{"statement", "theorem «my cheat'» : 1 = 1"}, {"goal", "⊢ 1 = 1"}}}},
      {"states",
       {{{"goals", {"⊢ True"}}, {"tactics", {{"trivial", {{"goals", json::array()}}}}}},
        {{"goals", {"⊢ 1 = 1"}},
         {"tactics",
          {{"trust_me", {{"goals", json::array()}, {"axioms", {"Lean.ofReduceBool"}}}}}}}}}};
  std::ofstream(dir_ / "graph.json") << graph.dump();
  const std::string trivial = " : True := by\n  trivial\n";
  WriteInputs(
      {{{"id", "prime"}, {"code", "theorem tick'" + trivial}},
       {{"id", "prime_ns"}, {"code", "namespace A.B'\ntheorem tick'" + trivial + "end A.B'"}},
       {{"id", "guillemets"}, {"code", "namespace «x y»\ntheorem «my thm»" + trivial}},
       {{"id", "private"},
        {"code", "namespace A\n@[simp] private theorem tick'" + trivial + "end A"}},
       {{"id", "guillemets_cheat"},
        {"code", "namespace A\ntheorem tick'" + trivial +
                     "theorem «my cheat'» : 1 = 1 := by\n  trust_me\nend A"}}});
  const fs::path out = dir_ / "out.jsonl";
  EXPECT_EQ(Check("--repl-cmd '" + ReplCmd() + "' -o '" + out.string() + "' '" +
                  (dir_ / "in.jsonl").string() + "'"),
            0)
      << Stderr();
  std::map<std::string, json> by_id;
  for (const json& l : Lines(out)) by_id[l["id"].get<std::string>()] = l;
  ASSERT_EQ(by_id.size(), 5u);
  for (const char* id : {"prime", "prime_ns", "guillemets", "private"}) {
    EXPECT_EQ(by_id[id]["outcome"], "ok") << by_id[id].dump();
    EXPECT_TRUE(by_id[id]["messages"].empty()) << by_id[id].dump();
  }
  EXPECT_EQ(by_id["guillemets_cheat"]["outcome"], "axioms") << by_id["guillemets_cheat"].dump();
  const std::string why = by_id["guillemets_cheat"]["messages"].back()["data"];
  EXPECT_NE(why.find("A.«my cheat'»: Lean.ofReduceBool"), std::string::npos) << why;
  EXPECT_EQ(why.find("tick"), std::string::npos) << why;
}

// An `example` has no name to ask `#print axioms` about: the check sends it
// renamed into a `noncomputable def` and asks about that name (what Lean
// makes of it is covered by proof_check_test). The request is looked at here
// through a copy of the worker's stdin; ExampleAxiomsAreJudged runs it
// through the double end to end.
TEST_F(CheckCliTest, ExamplesAreSentNamedWithAnAxiomsQuery) {
  WriteInputs({{{"id", "ex"},
                {"code",
                 "namespace N\nexample : True := by\n  trivial\nend N\n"
                 "example (n : Nat) : Nat := n"}}});
  const fs::path sent = dir_ / "sent.txt";
  const std::string tee_cmd =
      "/bin/sh -c \"tee -a " + sent.string() + " | exec " + ReplCmd() + "\"";
  const fs::path out = dir_ / "out.jsonl";
  EXPECT_EQ(Check("--repl-cmd '" + tee_cmd + "' -o '" + out.string() + "' '" +
                  (dir_ / "in.jsonl").string() + "'"),
            0)
      << Stderr();
  ASSERT_EQ(Lines(out).size(), 1u);
  std::ifstream in(sent);
  std::stringstream text;
  text << in.rdbuf();
  // The request is JSON: newlines in the code are escaped.
  const std::string requests = text.str();
  EXPECT_NE(requests.find("noncomputable def tatami_example_2 : True := by"), std::string::npos)
      << requests;
  EXPECT_NE(requests.find("noncomputable def tatami_example_5 (n : Nat)"), std::string::npos)
      << requests;
  EXPECT_NE(requests.find("#print axioms _root_.N.tatami_example_2\\n"
                          "#print axioms _root_.tatami_example_5"),
            std::string::npos)
      << requests;
}

// The renamed example is declared by the double (a `def` named for the
// graph's `example`), so its axioms come back and are judged: a clean one
// passes, one whose proof uses a non-standard axiom does not, in a namespace
// or not, next to a theorem.
TEST_F(CheckCliTest, ExampleAxiomsAreJudged) {
  json graph = {
      {"theorems",
       {{{"statement", "example : True"}, {"goal", "⊢ True"}},
        {{"statement", "example : 1 = 1"}, {"goal", "⊢ 1 = 1"}},
        {{"statement", "theorem tick : True"}, {"goal", "⊢ True"}}}},
      {"states",
       {{{"goals", {"⊢ True"}}, {"tactics", {{"trivial", {{"goals", json::array()}}}}}},
        {{"goals", {"⊢ 1 = 1"}},
         {"tactics",
          {{"rfl", {{"goals", json::array()}}},
           {"trust_me", {{"goals", json::array()}, {"axioms", {"Lean.ofReduceBool"}}}}}}}}}};
  std::ofstream(dir_ / "graph.json") << graph.dump();
  WriteInputs(
      {{{"id", "clean"}, {"code", "namespace N\nexample : True := by\n  trivial\nend N"}},
       {{"id", "cheat"},
        {"code", "theorem tick : True := by\n  trivial\nexample : 1 = 1 := by\n  trust_me"}},
       {{"id", "both"},
        {"code", "example : 1 = 1 := by\n  rfl\nexample : True := by\n  trivial"}}});
  const fs::path out = dir_ / "out.jsonl";
  EXPECT_EQ(Check("--repl-cmd '" + ReplCmd() + "' -o '" + out.string() + "' '" +
                  (dir_ / "in.jsonl").string() + "'"),
            0)
      << Stderr();
  std::map<std::string, json> by_id;
  for (const json& l : Lines(out)) by_id[l["id"].get<std::string>()] = l;
  ASSERT_EQ(by_id.size(), 3u);
  for (const char* id : {"clean", "both"}) {
    EXPECT_EQ(by_id[id]["outcome"], "ok") << by_id[id].dump();
    EXPECT_TRUE(by_id[id]["messages"].empty()) << by_id[id].dump();
  }
  EXPECT_EQ(by_id["cheat"]["outcome"], "axioms") << by_id["cheat"].dump();
  const std::string why = by_id["cheat"]["messages"].back()["data"];
  EXPECT_NE(why.find("Lean.ofReduceBool"), std::string::npos) << why;
  EXPECT_EQ(why.find("tick"), std::string::npos) << why;
}

TEST_F(CheckCliTest, ResumesAfterALimitATornLineAndAnInterrupt) {
  std::vector<json> items;
  for (int i = 0; i < 30; ++i)
    items.push_back(
        {{"id", "p" + std::to_string(i)},
         {"code", kStatement + (i % 2 ? " := by\n  exact ⟨h.2, h.1⟩" : " := by\n  exact foo")}});
  WriteInputs(items);
  const fs::path out = dir_ / "out.jsonl";
  const std::string input = "'" + (dir_ / "in.jsonl").string() + "'";
  const std::string common = "-j 2 -o '" + out.string() + "' " + input;

  EXPECT_EQ(Check("--repl-cmd '" + ReplCmd() + "' --limit 5 " + common), 0) << Stderr();
  EXPECT_EQ(Lines(out).size(), 5u);

  // A crash mid-write leaves a partial line: the next run cuts it off.
  { std::ofstream(out, std::ios::app) << "{\"id\": \"p29\", \"ok\": tr"; }
  EXPECT_EQ(Check("--repl-cmd '" + ReplCmd() + "' --limit 5 " + common), 0) << Stderr();
  EXPECT_NE(Stderr().find("partial line"), std::string::npos) << Stderr();
  EXPECT_EQ(Lines(out).size(), 10u);

  // A whole line that lacks only its newline is kept (and counts: p28 is
  // not checked again), not cut.
  {
    std::ofstream(out, std::ios::app)
        << json{{"id", "p28"}, {"ok", false}, {"outcome", "lean_error"}}.dump();
  }
  EXPECT_EQ(Check("--repl-cmd '" + ReplCmd() + "' --limit 5 " + common), 0) << Stderr();
  EXPECT_NE(Stderr().find("ends without a newline; adding it"), std::string::npos) << Stderr();
  EXPECT_EQ(Lines(out).size(), 16u);

  // Interrupt a slow run (each answer takes 100 ms): whatever finished is on disk, whole.
  const int code = Check("--repl-cmd '" + ReplCmd(" --latency-ms 100") + "' " + common,
                         "timeout --preserve-status -s INT 1 ");
  EXPECT_TRUE(code == 130 || code == 0) << code << " " << Stderr();
  const std::size_t after_interrupt = Lines(out).size();  // parses every line: none torn
  EXPECT_GE(after_interrupt, 10u);

  EXPECT_EQ(Check("--repl-cmd '" + ReplCmd() + "' " + common), 0) << Stderr();
  std::set<std::string> ids;
  for (const json& l : Lines(out))
    EXPECT_TRUE(ids.insert(l["id"].get<std::string>()).second) << "duplicate " << l["id"];
  EXPECT_EQ(ids.size(), 30u);
  // And a rerun has nothing left to do.
  EXPECT_EQ(Check("--repl-cmd '" + ReplCmd() + "' " + common), 0) << Stderr();
  EXPECT_EQ(Lines(out).size(), 30u);
}

TEST_F(CheckCliTest, ChecksLeanFilesAndReportsUnreadableOnes) {
  std::ofstream(dir_ / "Good.lean") << kStatement << " := by\n  exact ⟨h.2, h.1⟩\n";
  const fs::path out = dir_ / "out.jsonl";
  EXPECT_EQ(Check("--repl-cmd '" + ReplCmd() + "' -o '" + out.string() + "' '" +
                  (dir_ / "Good.lean").string() + "' '" + (dir_ / "Missing.lean").string() + "'"),
            1);
  EXPECT_NE(Stderr().find("Missing.lean"), std::string::npos) << Stderr();
  const auto lines = Lines(out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["ok"], true) << lines[0].dump();
}

}  // namespace
