// PickleCache: where the worker pool keeps pickles of header environments
// (private to dojo).
//
// With WorkerPoolOptions::restore_from_pickle, the first worker that imports
// a header pickles the header env (pickleTo) once; later starts for that
// header restore it (unpickleEnvFrom) instead of importing. The cache owns a
// unique directory (created on first use in the configured directory, or the
// system temp directory) and removes it with everything in it. A pickle that
// could not be written is never used, and one whose restore failed is
// forgotten, so the pool falls back to importing.
//
// Thread-safety: not thread-safe; the pool uses it on its I/O thread only.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace tatami::dojo::internal {

class PickleCache {
 public:
  // `enabled` false makes every query answer "no pickle". `dir` empty = the
  // system temp directory.
  PickleCache(bool enabled, std::filesystem::path dir);
  ~PickleCache();  // RemoveAll()
  PickleCache(const PickleCache&) = delete;
  PickleCache& operator=(const PickleCache&) = delete;

  // The pickle to restore header `key` from, if there is one.
  std::optional<std::filesystem::path> RestoreFrom(const std::string& key) const;

  // Where to pickle header `key` now, or nullopt if it should not be pickled:
  // disabled, already tried once (successful or not), or the directory cannot
  // be created. Each key is offered at most once.
  std::optional<std::filesystem::path> ClaimPickling(const std::string& key);

  // The pickle at `path` (from ClaimPickling) was written.
  void Remember(const std::string& key, const std::filesystem::path& path);

  // A restore from the pickle of `key` failed: deletes it; later starts import.
  void Forget(const std::string& key);

  // Deletes the cache's directory and everything in it. Idempotent.
  void RemoveAll();

 private:
  bool enabled_;
  std::filesystem::path dir_;
  std::filesystem::path root_;  // our unique directory; empty until first use
  std::map<std::string, std::filesystem::path> pickles_;
  std::set<std::string> claimed_;
};

}  // namespace tatami::dojo::internal
