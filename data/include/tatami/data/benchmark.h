// The LeanDojo Benchmark 4 data model: the records a traced Lean project is
// written as (per-theorem split files, corpus.jsonl, traced_files.jsonl,
// metadata.json), field for field as LeanDojo publishes them. Positions are
// LeanDojo's: [line, column], both 1-based.
//
// Thread-safety: plain value types.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tatami::data {

// [line, column], 1-based, as LeanDojo writes positions.
struct Pos {
  long line = 0;
  long column = 0;
  friend bool operator==(const Pos&, const Pos&) = default;
  friend auto operator<=>(const Pos&, const Pos&) = default;
};

// A premise mentioned in a tactic: the constant's full name and where it is
// defined (its declaration's name, def_pos to def_end_pos, in def_path).
struct AnnotatedPremise {
  std::string full_name;
  std::string def_path;
  Pos def_pos;
  Pos def_end_pos;
  friend bool operator==(const AnnotatedPremise&, const AnnotatedPremise&) = default;
};

// One tactic of a proof: its text, the text with `<a>...</a>` around each
// premise mention plus those premises in order, and the pretty-printed goals
// before and after it (goals separated by a blank line; "no goals" when none).
struct TracedTactic {
  std::string tactic;
  std::string annotated_tactic;
  std::vector<AnnotatedPremise> premises;
  std::string state_before;
  std::string state_after;
  friend bool operator==(const TracedTactic&, const TracedTactic&) = default;
};

// One theorem of a split file. `theorem_statement` is written only when set:
// LeanDojo Benchmark 4 as published (v2.0.0) has no such field; later
// LeanDojo exports put it after full_name.
struct TracedTheorem {
  std::string url;        // the repository's URL
  std::string commit;     // its commit
  std::string file_path;  // relative to the repository's root
  std::string full_name;
  std::optional<std::string> theorem_statement;
  Pos start;  // first character of the declaration
  Pos end;    // just past its last character
  std::vector<TracedTactic> traced_tactics;
  friend bool operator==(const TracedTheorem&, const TracedTheorem&) = default;
};

// A definition or theorem of corpus.jsonl: what retrieval indexes.
struct PremiseDefinition {
  std::string full_name;
  std::string code;  // the declaration's source text
  Pos start;
  Pos end;
  std::string kind;  // the declaration keyword: theorem, lemma, def, abbrev, instance, ...
  friend bool operator==(const PremiseDefinition&, const PremiseDefinition&) = default;
};

// One line of corpus.jsonl: a file, the files it imports, its premises.
struct CorpusFile {
  std::string path;
  std::vector<std::string> imports;  // paths of the imported files
  std::vector<PremiseDefinition> premises;
  friend bool operator==(const CorpusFile&, const CorpusFile&) = default;
};

// metadata.json. tatami writes its own fields after LeanDojo's.
struct DatasetMetadata {
  std::string dataset_name;
  std::string creation_time;     // "YYYY-MM-DD HH:MM:SS.ffffff" (UTC for tatami)
  std::string url;               // from_repo.url
  std::string commit;            // from_repo.commit
  std::string leandojo_version;  // LeanDojo's field; empty = not written
  std::string toolchain;         // lean-toolchain contents; empty = not written
  std::string tatami_version;    // empty = not written
  friend bool operator==(const DatasetMetadata&, const DatasetMetadata&) = default;
};

}  // namespace tatami::data
