#include "tatami/data/split_output.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace tatami::data {
namespace {

namespace fs = std::filesystem;

void WriteArray(const fs::path& file, const std::vector<SplitTheorem>& theorems,
                const std::vector<std::size_t>& positions) {
  fs::path tmp = file;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out)
      throw std::runtime_error("cannot write " + tmp.string() + ": " + std::strerror(errno));
    out << '[';
    for (std::size_t i = 0; i < positions.size(); ++i) {
      if (i) out << ", ";
      out << theorems.at(positions[i]).json;
    }
    out << ']';
    out.flush();
    if (!out)
      throw std::runtime_error("cannot write " + tmp.string() + ": " + std::strerror(errno));
  }
  fs::rename(tmp, file);
}

}  // namespace

void WriteSplit(const fs::path& dir, const std::string& name,
                const std::vector<SplitTheorem>& theorems, const Split& split) {
  const fs::path sub = dir / name;
  fs::create_directories(sub);
  WriteArray(sub / "train.json", theorems, split.train);
  WriteArray(sub / "val.json", theorems, split.val);
  WriteArray(sub / "test.json", theorems, split.test);
}

}  // namespace tatami::data
