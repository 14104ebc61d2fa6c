// Helpers shared by the tatami-repl-double tests.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fixtures.h"
#include "tatami/dojo/transcript.h"

namespace tatami::testing {

inline std::string ReadText(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The blank-line-separated blocks of a recorded transcript file (NAME.in or
// NAME.expected.out), split by the one rule for recorded files
// (transcript.h's SplitResponseStream: lines kept apart).
inline std::vector<std::string> RecordedFrames(const std::filesystem::path& p) {
  std::vector<std::string> out;
  for (auto& [line, text] : tatami::dojo::SplitResponseStream(ReadText(p)))
    out.push_back(std::move(text));
  return out;
}

inline std::filesystem::path Transcript(const std::string& name) {
  return FixturesDir() / "repl-transcripts" / name;
}

inline std::string NatAddGraph() {
  return std::string(TATAMI_REPL_DOUBLE_EXAMPLES) + "/nat_add.json";
}

}  // namespace tatami::testing
