// Corpus: the premises of a Lean project, read from LeanDojo Benchmark 4's
// corpus.jsonl (one JSON object per line, one line per source file:
//   {"path": "Mathlib/Foo.lean", "imports": ["Mathlib/Bar.lean", ...],
//    "premises": [{"full_name", "code", "start": [line, col], "end": [line, col],
//                  "kind"}, ...]}).
//
// Premise indices are the order of the file: file by file in line order,
// premises of a file in their listed order, so that the premises of one file
// are a contiguous range. This is also the row order of a premise index.
//
// Thread-safety: a loaded Corpus is immutable; const members may be called
// from many threads.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tatami::retriever {

// A position in a source file, 1-based line and column as LeanDojo writes them.
struct Pos {
  std::int32_t line = 0;
  std::int32_t column = 0;
  friend auto operator<=>(const Pos&, const Pos&) = default;
};

struct Premise {
  std::string full_name;
  std::uint32_t file = 0;  // index into Corpus::files()
  Pos start;
  Pos end;
  std::string kind;  // e.g. "commanddeclaration"; empty when the line has none
  std::string code;  // empty when CorpusOptions::keep_code is false
};

struct CorpusFile {
  std::string path;
  // Direct imports as written in the corpus (paths). Imports that name no
  // corpus file are kept here and reported as an issue.
  std::vector<std::string> imports;
  std::uint32_t first_premise = 0;  // premises [first_premise, first_premise + premise_count)
  std::uint32_t premise_count = 0;
};

// Something in the corpus that is suspicious but does not stop the load
// (an import of a file not in the corpus, a skipped ill-formed premise).
struct CorpusIssue {
  std::size_t line = 0;  // 1-based line of corpus.jsonl, 0 when not tied to a line
  std::string message;
};

// A corpus that cannot be read: the message names the source and, for a bad
// line, its 1-based line number (also in line()).
class CorpusError : public std::runtime_error {
 public:
  CorpusError(const std::string& message, std::size_t line)
      : std::runtime_error(message), line_(line) {}
  std::size_t line() const { return line_; }  // 0 when not about one line

 private:
  std::size_t line_;
};

struct CorpusOptions {
  // Skip premises LeanDojo marks as ill-formed the way ReProver does: a null
  // full_name, empty code, names containing "user__.n", and mutual blocks
  // named "[a, b]". Each skip is recorded in issues(). Default: true.
  bool skip_ill_formed = true;

  // Keep each premise's code in memory (needed to encode premises, not to
  // retrieve them). Default: true.
  bool keep_code = true;
};

class Corpus {
 public:
  // Reads corpus.jsonl. Throws CorpusError when the file cannot be opened or
  // read, when a line is not a JSON object, misses "path"/"imports"/"premises"
  // or a premise field ("full_name", "code", "start", "end"), has a field of
  // the wrong type, holds invalid UTF-8, or repeats a path. Unknown fields are
  // ignored; blank lines are skipped.
  static Corpus Load(const std::filesystem::path& path, const CorpusOptions& options = {});

  // Same, from a stream; `source_name` names it in messages.
  static Corpus Parse(std::istream& in, std::string_view source_name,
                      const CorpusOptions& options = {});

  // Builds a corpus from values (tests, tools). Premise::file must index
  // `files`, and premises must be grouped by file in file order; the
  // CorpusFile ranges are recomputed. Throws std::invalid_argument otherwise.
  static Corpus FromParts(std::vector<CorpusFile> files, std::vector<Premise> premises);

  const std::vector<CorpusFile>& files() const { return files_; }
  const std::vector<Premise>& premises() const { return premises_; }
  const std::vector<CorpusIssue>& issues() const { return issues_; }

  // Index of the file with this path, if any.
  std::optional<std::uint32_t> FindFile(std::string_view path) const;

  // Path of the file a premise belongs to.
  const std::string& PathOf(std::uint32_t premise) const {
    return files_[premises_[premise].file].path;
  }

 private:
  std::vector<CorpusFile> files_;
  std::vector<Premise> premises_;
  std::vector<CorpusIssue> issues_;
  std::unordered_map<std::string, std::uint32_t> by_path_;
};

}  // namespace tatami::retriever
