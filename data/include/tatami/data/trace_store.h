// The output directory of `tatami trace`, and what makes it incremental and
// resumable. Each traced file's result is written on its own, atomically
// (a temporary file, fsync, rename), under files/<path>.trace, with the cache
// key it was traced under; the dataset files are then assembled from those
// results one file at a time, so memory does not grow with the project:
//
//   files/<path>.trace   line 1 {"key", "path", "status": "ok"|"error", "error"?},
//                        line 2 the file's corpus.jsonl line, then one theorem per line
//   theorems.json        every theorem, a split file's format (a JSON list)
//   corpus.jsonl         one line per file (path, imports, premises)
//   traced_files.jsonl   {"traced_file_path": ...} per file
//   metadata.json        toolchain, commit, tatami version, date
//
// A file whose stored key equals its current key is not traced again; a kill
// loses at most the files in flight.
//
// Thread-safety: Put() may be called from several threads at once (each call
// writes its own files); the rest is for one thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tatami/data/benchmark.h"

namespace tatami::data {

// A 128-bit hash of `parts` (each length-prefixed), as 32 hex digits.
std::string HashKey(const std::vector<std::string_view>& parts);

struct FileResult {
  std::string path;  // relative to the project root
  std::string key;
  std::string error;  // empty = traced
  CorpusFile corpus;
  std::vector<TracedTheorem> theorems;
};

class TraceStore {
 public:
  // Creates `dir` (and files/) if missing. Throws std::runtime_error naming
  // the directory if it cannot.
  explicit TraceStore(std::filesystem::path dir);

  // The key under which `path` was traced successfully, if it was.
  std::optional<std::string> StoredKey(const std::string& path) const;
  // Writes one file's result atomically. Throws std::runtime_error on I/O failure.
  void Put(const FileResult& result) const;
  // Assembles the dataset files from the stored results of `paths` (in that
  // order; files whose result is missing or an error are left out) and
  // writes metadata.json. Each output is replaced atomically. Returns the
  // number of theorems written.
  std::size_t Assemble(const std::vector<std::string>& paths,
                       const DatasetMetadata& metadata) const;

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path ResultPath(const std::string& path) const;
  std::filesystem::path dir_;
};

// Writes `contents` to `path` atomically (temporary file, fsync, rename).
void WriteFileAtomically(const std::filesystem::path& path, std::string_view contents);

}  // namespace tatami::data
