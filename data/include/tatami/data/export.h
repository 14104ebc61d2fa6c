// `tatami data export`: training data from `tatami prove` runs.
//
// Reads result files (JSON Lines, one object per theorem with "name",
// "status" and "proof") and, for each proved theorem, its search tree
// TREE_DIR/STEM.json, STEM being ExportOptions::tree_file_stem(name). Writes two JSON Lines files
// into the output directory, rows in the order read, each row once (the first occurrence kept):
//   tactics.jsonl      {"state", "tactic", "source"}                 key (state, tactic)
//   preferences.jsonl  {"state", "chosen", "rejected", "message", "source"}
//                                                      key (state, chosen, rejected)
// "source" is the provenance: {"run" (result file), "line", "theorem",
// "tree" (tree file), "node", and "edge"/"next" or "chosen_edge",
// "rejected_edge", "rejected_node"}, ids as in the tree file.
//
// Thread-safety: ExportTrainingData shares no state; call it from any thread.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "tatami/data/export_tree.h"

namespace tatami::data {

struct ExportOptions {
  // `tatami prove` result files, read in this order. Required.
  std::vector<std::filesystem::path> results;
  // The --tree-dir of each run: one for all result files, or one per file in
  // the same order. Required.
  std::vector<std::filesystem::path> tree_dirs;
  // Where tactics.jsonl and preferences.jsonl go; created when missing,
  // files replaced. Required.
  std::filesystem::path output_dir;
  // The file name (without ".json") of a theorem's tree in a tree directory,
  // for result lines that do not name it in "tree" (runs before it existed):
  // search::TreeFileStem for `tatami prove` runs, passed in because this
  // library does not link the search module. Required.
  std::function<std::string(const std::string& theorem)> tree_file_stem;
};

struct ExportSummary {
  std::size_t theorems = 0;           // result lines read
  std::size_t proved = 0;             // of which proved, with their tree read
  std::size_t tactic_rows = 0;        // written
  std::size_t tactic_duplicates = 0;  // dropped as already written
  std::size_t preference_rows = 0;    // written
  std::size_t preference_duplicates = 0;
  // Input problems (bad lines, missing or broken trees), each "FILE:LINE: what";
  // the rest of the input is still exported.
  std::vector<std::string> problems;
};

// Throws std::invalid_argument on bad options, std::runtime_error on I/O
// failure (unreadable result file, unwritable output).
ExportSummary ExportTrainingData(const ExportOptions& options);

}  // namespace tatami::data
