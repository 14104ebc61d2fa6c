#include "tatami/data/trace_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tatami/data/benchmark_json.h"

namespace tatami::data {

namespace fs = std::filesystem;

std::string HashKey(const std::vector<std::string_view>& parts) {
  // Two FNV-1a streams with different offsets: a collision needs both to collide.
  std::uint64_t a = 0xcbf29ce484222325ULL, b = 0x84222325cbf29ce4ULL;
  auto feed = [&](unsigned char c) {
    a = (a ^ c) * 0x100000001b3ULL;
    b = (b ^ c) * 0x100000001b3ULL;
    b ^= b >> 29;
  };
  for (std::string_view p : parts) {
    for (int k = 0; k < 8; ++k) feed(static_cast<unsigned char>((p.size() >> (8 * k)) & 0xFF));
    for (char c : p) feed(static_cast<unsigned char>(c));
  }
  return fmt::format("{:016x}{:016x}", a, b);
}

void WriteFileAtomically(const fs::path& path, std::string_view contents) {
  fs::create_directories(path.parent_path());
  const fs::path tmp = path.string() + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    throw std::runtime_error("cannot write " + tmp.string() + ": " + std::strerror(errno));
  std::size_t off = 0;
  while (off < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + off, contents.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string err = std::strerror(errno);
      ::close(fd);
      throw std::runtime_error("cannot write " + tmp.string() + ": " + err);
    }
    off += static_cast<std::size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  fs::rename(tmp, path);
}

TraceStore::TraceStore(fs::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  fs::create_directories(dir_ / "files", ec);
  if (ec)
    throw std::runtime_error("cannot create " + (dir_ / "files").string() + ": " + ec.message());
}

fs::path TraceStore::ResultPath(const std::string& path) const {
  return dir_ / "files" / (path + ".trace");
}

std::optional<std::string> TraceStore::StoredKey(const std::string& path) const {
  std::ifstream in(ResultPath(path), std::ios::binary);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  try {
    const auto j = nlohmann::json::parse(line);
    if (j.value("status", "") != "ok") return std::nullopt;
    return j.value("key", "");
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

void TraceStore::Put(const FileResult& r) const {
  nlohmann::json head = {
      {"key", r.key}, {"path", r.path}, {"status", r.error.empty() ? "ok" : "error"}};
  if (!r.error.empty()) head["error"] = r.error;
  std::string text = head.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  text += ToJson(r.corpus) + "\n";
  for (const TracedTheorem& t : r.theorems) text += ToJson(t) + "\n";
  WriteFileAtomically(ResultPath(r.path), text);
}

std::size_t TraceStore::Assemble(const std::vector<std::string>& paths,
                                 const DatasetMetadata& metadata) const {
  const fs::path theorems_path = dir_ / "theorems.json", corpus_path = dir_ / "corpus.jsonl",
                 files_path = dir_ / "traced_files.jsonl";
  const std::string suffix = ".tmp." + std::to_string(::getpid());
  std::ofstream theorems(theorems_path.string() + suffix, std::ios::binary),
      corpus(corpus_path.string() + suffix, std::ios::binary),
      files(files_path.string() + suffix, std::ios::binary);
  if (!theorems || !corpus || !files)
    throw std::runtime_error("cannot write the dataset files in " + dir_.string());
  std::size_t count = 0;
  theorems << '[';
  for (const std::string& path : paths) {
    std::ifstream in(ResultPath(path), std::ios::binary);
    std::string line;
    if (!in || !std::getline(in, line)) continue;
    try {
      if (nlohmann::json::parse(line).value("status", "") != "ok") continue;
    } catch (const nlohmann::json::exception&) {
      continue;
    }
    if (!std::getline(in, line)) continue;
    corpus << line << '\n';
    files << TracedFileLine(path) << '\n';
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      theorems << (count++ ? ", " : "") << line;
    }
  }
  theorems << ']';
  for (auto* s : {&theorems, &corpus, &files}) {
    s->flush();
    if (!*s) throw std::runtime_error("cannot write the dataset files in " + dir_.string());
    s->close();
  }
  fs::rename(theorems_path.string() + suffix, theorems_path);
  fs::rename(corpus_path.string() + suffix, corpus_path);
  fs::rename(files_path.string() + suffix, files_path);
  WriteFileAtomically(dir_ / "metadata.json", ToJson(metadata));
  return count;
}

}  // namespace tatami::data
