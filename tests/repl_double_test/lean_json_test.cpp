// The double prints responses as the REPL does: every response recorded from
// the real REPL, parsed and printed again, comes out byte for byte.
#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "lean_json.h"
#include "test_util.h"

namespace tatami::testing {
namespace {

using tatami::repl_double::LeanJsonWriter;
using tatami::repl_double::LeanPretty;

// Writes `value` through the writer's value-by-value calls, keys in Lean's
// (descending) order.
void Write(const nlohmann::json& value, LeanJsonWriter* w) {
  if (value.is_object()) {
    w->BeginObject();
    for (auto it = value.crbegin(); it != value.crend(); ++it) {
      w->Key(it.key());
      Write(it.value(), w);
    }
    w->EndObject();
  } else if (value.is_array()) {
    w->BeginArray();
    for (const auto& e : value) Write(e, w);
    w->EndArray();
  } else if (value.is_string()) {
    w->String(value.get<std::string>());
  } else if (value.is_number_unsigned()) {
    w->Natural(value.get<std::uint64_t>());
  } else {
    w->Json(value);
  }
}

TEST(LeanJsonTest, ReprintsEveryRecordedResponseExactly) {
  TATAMI_REQUIRE_FIXTURES();
  int compared = 0;
  LeanJsonWriter writer;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(FixturesDir() / "repl-transcripts")) {
    std::string name = entry.path().filename().string();
    if (name.size() < 13 || name.substr(name.size() - 13) != ".expected.out") continue;
    for (const std::string& frame : RecordedFrames(entry.path())) {
      nlohmann::json value = nlohmann::json::parse(frame);
      EXPECT_EQ(LeanPretty(value), frame) << "in " << entry.path();
      // The same through one writer, value by value, as the script mode
      // answers tactics.
      std::string written;
      Write(value, &writer);
      writer.AppendTo(&written);
      EXPECT_EQ(written, frame) << "in " << entry.path();
      ++compared;
    }
  }
  EXPECT_GT(compared, 400);  // the suite has ~500 responses; all must be seen
}

TEST(LeanJsonTest, BreaksOnlyWhatDoesNotFitIn80Columns) {
  nlohmann::json small = {
      {"proofState", 3}, {"goals", nlohmann::json::array()}, {"proofStatus", "Completed"}};
  EXPECT_EQ(LeanPretty(small), R"({"proofStatus": "Completed", "proofState": 3, "goals": []})");
  nlohmann::json big = {{"message", std::string(90, 'a')}};
  EXPECT_EQ(LeanPretty(big), "{\"message\":\n \"" + std::string(90, 'a') + "\"}");
}

TEST(LeanJsonTest, EscapesAsLeanDoes) {
  EXPECT_EQ(LeanPretty(nlohmann::json("a\"b\\c\nd\re\tf\x01")), R"("a\"b\\c\nd\re\u0009f\u0001")");
  // Columns count code points, not bytes: 66 code points (106 bytes) fit.
  nlohmann::json goals = {
      {"goals", std::vector<std::string>{std::string(30, 'x') + "⊢⊢⊢⊢⊢⊢⊢⊢⊢⊢⊢⊢⊢⊢⊢⊢⊢⊢⊢⊢"}}};
  std::string printed = LeanPretty(goals);
  EXPECT_EQ(printed.find('\n'), std::string::npos) << printed;
}

TEST(LeanJsonTest, WriterAppendsAfterWhatIsThereAndStartsAfresh) {
  LeanJsonWriter w;
  std::string out = "x";
  w.BeginObject();
  w.Key("proofState");
  w.Natural(7);
  w.Key("goals");
  w.BeginArray();
  w.EndArray();
  w.EndObject();
  w.AppendTo(&out);
  w.String("a");
  w.AppendTo(&out);
  EXPECT_EQ(out, R"(x{"proofState": 7, "goals": []}"a")");
  // A value dropped half-way leaves nothing behind.
  w.BeginArray();
  w.Natural(1);
  w.Clear();
  w.Natural(2);
  out.clear();
  w.AppendTo(&out);
  EXPECT_EQ(out, "2");
}

TEST(LeanJsonTest, WriterRefusesWhatLeanCouldNotPrint) {
  LeanJsonWriter w;
  std::string out;
  w.BeginObject();
  w.Key("goals");
  w.Natural(1);
  // Lean prints keys descending; an ascending one would be printed out of place.
  EXPECT_THROW(w.Key("proofState"), std::logic_error);
  w.Clear();
  w.BeginObject();
  EXPECT_THROW(w.Natural(1), std::logic_error);  // a member without a key
  w.Clear();
  w.BeginArray();
  EXPECT_THROW(w.EndObject(), std::logic_error);
  EXPECT_THROW(w.AppendTo(&out), std::logic_error);  // still open
  w.Clear();
  w.Natural(1);
  EXPECT_THROW(w.Natural(2), std::logic_error);  // two top-level values
  w.Clear();
  EXPECT_THROW(w.AppendTo(&out), std::logic_error);  // nothing written
  EXPECT_EQ(out, "");
}

}  // namespace
}  // namespace tatami::testing
