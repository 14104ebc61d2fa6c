// Reading and writing the LeanDojo Benchmark 4 records as JSON text that is
// byte for byte what LeanDojo's Python writes (json.dump defaults: ", " and
// ": " separators, non-ASCII as \uXXXX escapes with surrogate pairs, keys in
// LeanDojo's order), so a file read and written again is unchanged.
//
// Thread-safety: pure functions.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tatami/data/benchmark.h"

namespace tatami::data {

// Serialisations, without a trailing newline.
std::string ToJson(const TracedTheorem& theorem);
std::string ToJson(const CorpusFile& file);
std::string ToJson(const DatasetMetadata& metadata);
// One line of traced_files.jsonl: {"traced_file_path": path}.
std::string TracedFileLine(std::string_view path);
// A JSON string literal as Python's json.dumps writes it.
std::string PythonJsonString(std::string_view utf8);

// Parsing. Throws std::invalid_argument naming `where` and the field for a
// missing or mistyped field.
TracedTheorem TheoremFromJson(const nlohmann::json& j, std::string_view where);
CorpusFile CorpusFileFromJson(const nlohmann::json& j, std::string_view where);
DatasetMetadata MetadataFromJson(const nlohmann::json& j, std::string_view where);

// A split file (a JSON list of theorems). Throws std::runtime_error naming
// the path if it cannot be read or parsed, std::invalid_argument as above.
std::vector<TracedTheorem> ReadTheoremList(const std::string& path);
// Writes `theorems` as a split file: "[t1, t2, ...]", no trailing newline.
void WriteTheoremList(const std::vector<TracedTheorem>& theorems, std::ostream& out);

}  // namespace tatami::data
