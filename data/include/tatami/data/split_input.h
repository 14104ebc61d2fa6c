// Reading theorems for `tatami data split`: LeanDojo Benchmark 4's
// per-theorem JSON objects (a split file is a JSON array of them).
//
// Each theorem is kept as its exact JSON text, so that a split writes every
// field back unchanged, whatever fields a producer adds. What the split
// needs is read from it: the identity (file_path, full_name, start) and the
// premises its traced tactics use (traced_tactics[i].annotated_tactic[1][j]
// .full_name; LeanDojo itself takes every named identifier of the theorem's
// syntax tree, which the split files do not store).
//
// Thread-safety: the functions share no state; call them from any thread.
#pragma once

#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace tatami::data {

// Input that is not a list of LeanDojo theorems; the message names the file
// and the entry.
class SplitInputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SplitTheorem {
  std::string json;   // the object's JSON text exactly as in the input
  std::string where;  // "FILE[i]", for messages
  // file_path, full_name and start (when present) joined: two entries with
  // the same key are the same theorem.
  std::string key;
  // Distinct full names of the premises its traced tactics use, in order of
  // first use.
  std::vector<std::string> premises;
};

// The theorems of one JSON file holding an array of theorem objects.
// Throws SplitInputError (bad content) or std::runtime_error (unreadable).
std::vector<SplitTheorem> ReadTheoremFile(const std::filesystem::path& file);

// `path` is a theorem file, or a directory: its random/{train,val,test}.json
// when random/ exists (a LeanDojo benchmark or `tatami trace` output), else
// every top-level *.json file holding an array (object files such as
// metadata.json are passed over). Throws SplitInputError when nothing is
// found or when one theorem appears twice (both places named).
std::vector<SplitTheorem> ReadTheorems(const std::filesystem::path& path);

}  // namespace tatami::data
