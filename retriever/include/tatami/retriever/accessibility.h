// Accessibility: which premises a theorem may use. At position `pos` of file F
// these are the premises of every file F imports, directly or transitively,
// plus the premises of F itself whose end is at or before `pos` (LeanDojo's
// rule, as in ReProver).
//
// The import closure of a file is computed once, on first use, and kept as a
// sorted list of disjoint premise ranges (premises of a file are contiguous,
// and files tend to import their neighbours, so the list is short). Cycles and
// imports of unknown files are found when the graph is built and reported in
// issues(); a cycle never makes the closure loop (a file on a cycle sees the
// premises of every other file reachable from it; its own premises are always
// governed by the position).
//
// Thread-safety: thread-safe; the closure cache is guarded by a mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tatami/retriever/access_mask.h"
#include "tatami/retriever/corpus.h"

namespace tatami::retriever {

// The import graph of a corpus with each file's premise range and the end
// position of every premise: all that accessibility needs. Built from a
// Corpus or from a PremiseIndex (which stores it).
struct FileGraph {
  struct File {
    std::string path;
    std::uint32_t first_premise = 0;
    std::uint32_t premise_count = 0;
    std::vector<std::uint32_t> imports;  // indices into files; unknown imports dropped
  };
  std::vector<File> files;
  std::vector<Pos> premise_end;  // indexed by premise
  // Imports naming no file, as "importer -> missing" pairs, for reporting.
  std::vector<std::pair<std::string, std::string>> missing_imports;

  static FileGraph FromCorpus(const Corpus& corpus);
};

// A query for a file the graph does not know.
class UnknownFileError : public std::invalid_argument {
 public:
  explicit UnknownFileError(const std::string& path)
      : std::invalid_argument("file not in the corpus: " + path), path_(path) {}
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct AccessibilityOptions {
  // Throw std::runtime_error from the constructor when the import graph has a
  // cycle (message names the files on it), instead of only reporting it in
  // issues(). Default: false (LeanDojo corpora are acyclic; a cycle means a
  // damaged corpus, which still answers queries sensibly).
  bool fail_on_cycle = false;

  // Same for imports of files not in the corpus. Default: false.
  bool fail_on_missing_import = false;
};

class Accessibility {
 public:
  explicit Accessibility(FileGraph graph, const AccessibilityOptions& options = {});
  ~Accessibility();
  Accessibility(const Accessibility&) = delete;
  Accessibility& operator=(const Accessibility&) = delete;

  std::size_t premise_count() const { return graph_.premise_end.size(); }
  const FileGraph& graph() const { return graph_; }
  std::optional<std::uint32_t> FindFile(std::string_view path) const;

  // Human-readable reports of cycles and missing imports found in the graph.
  const std::vector<std::string>& issues() const { return issues_; }

  // Premises of the files `file` imports transitively (not its own), as sorted,
  // disjoint, non-adjacent ranges. Computed on first call, then cached.
  const std::vector<PremiseRange>& ImportedRanges(std::uint32_t file) const;

  // Ranges accessible at `pos` in `file`: ImportedRanges plus the file's own
  // premises that end at or before pos. Throws UnknownFileError.
  std::vector<PremiseRange> AccessibleRanges(std::string_view file, Pos pos) const;
  std::vector<PremiseRange> AccessibleRanges(std::uint32_t file, Pos pos) const;

  // The same as a bitset over all premises. Throws UnknownFileError.
  AccessMask MaskAt(std::string_view file, Pos pos) const;
  AccessMask MaskAt(std::uint32_t file, Pos pos) const;

 private:
  FileGraph graph_;
  std::vector<std::string> issues_;
  std::unordered_map<std::string, std::uint32_t> by_path_;
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<std::vector<PremiseRange>>> closure_;  // per file
};

}  // namespace tatami::retriever
