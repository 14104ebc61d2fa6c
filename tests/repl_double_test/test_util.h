// Helpers shared by the tatami-repl-double tests.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fixtures.h"
#include "tatami/dojo/framing.h"

namespace tatami::testing {

inline std::string ReadText(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The blank-line-separated frames of a recorded transcript file.
inline std::vector<std::string> RecordedFrames(const std::filesystem::path& p) {
  tatami::dojo::FrameSplitter s;
  s.Append(ReadText(p));
  s.Append("\n\n");
  std::vector<std::string> out;
  while (auto f = s.Next()) out.push_back(*f);
  return out;
}

inline std::filesystem::path Transcript(const std::string& name) {
  return FixturesDir() / "repl-transcripts" / name;
}

inline std::string NatAddGraph() {
  return std::string(TATAMI_REPL_DOUBLE_EXAMPLES) + "/nat_add.json";
}

}  // namespace tatami::testing
