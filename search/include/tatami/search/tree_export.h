// Writing a search tree out: JSON for programs, Graphviz DOT for people.
//
// JSON: {"nodes": [{"id", "kind", "status", "text", "cumulative_logprob",
// "distance_to_proof" (null when infinite), "expansion" (null when not
// expanded), and on failure leaves "failure": {"kind", "message"}
// (failure_kind.h names; the message as in TacticFailed)}], "edges": [{"src",
// "dst", "tactic", "logprob"}]}, node 0 the root, edges in creation order.
// Trees written before "failure" existed lack it; readers fall back to "text".
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "tatami/search/search_tree.h"

namespace tatami::search {

nlohmann::json TreeToJson(const SearchTree& tree);
std::string TreeToDot(const SearchTree& tree, const std::string& title = "search");

// The file name, without extension, of `theorem`'s tree in a tree directory
// (`tatami prove --tree-dir` writes it into each result line as "tree";
// `tatami data export` falls back to it for older lines). One to one, so
// that no two theorems share a file: letters, digits, '_', '-' and '.' stay
// (a leading '.' does not), every other byte becomes %XX (UTF-8 bytes, '%'
// itself), and "" becomes "%". A stem longer than 200 bytes is cut to its
// first 180 and followed by '~' and 16 hex digits of a 64-bit hash of the
// whole name (FNV-1a), to stay within file-name limits.
std::string TreeFileStem(const std::string& theorem);

// 16 hex digits of the 64-bit FNV-1a hash of `text`: a short name for a text
// that stays the same across runs and builds (TreeFileStem's long names;
// `tatami prove`'s statement_hash).
std::string TextHash(std::string_view text);

}  // namespace tatami::search
