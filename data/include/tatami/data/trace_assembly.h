// Assembly of LeanDojo's traced theorems from what the REPL reports for one
// file: the `allTactics` list (each tactic's text, position, goals before and
// the constants its proof term uses) and the `infotree` (each tactic's goals
// before and after). Which tactics count follows LeanDojo: tactics that start
// an item of a tactic sequence (top-level or nested: after `by`, `·`, `=>`,
// `{`, `(`, `;`, or first on a line), that changed the proof state, with a
// source position of their own (not produced by a macro). docs/data.md lists
// where this differs from LeanDojo's reading of Lean's syntax tree.
//
// Thread-safety: pure functions and value types.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tatami/data/benchmark.h"

namespace tatami::data {

// A position as the REPL reports it: line from 1, column from 0 in code points.
struct LeanPos {
  long line = 0;
  long column = 0;
  friend auto operator<=>(const LeanPos&, const LeanPos&) = default;
};

// One tactic as the REPL reported it.
struct ReplTactic {
  LeanPos pos, end_pos;
  std::string state_before;
  std::optional<std::string> state_after;   // absent when the response has no infotree
  std::vector<std::string> used_constants;  // from allTactics; empty without it
  bool synthetic = false;                   // a macro's position, not the source's
};

// The tactic nodes of an `infotree` value (any REPL version), in tree order
// (pre-order). Goals are joined as LeanDojo joins them ("\n\n"; "no goals").
std::vector<ReplTactic> TacticsFromInfoTree(const nlohmann::json& infotree);
// The entries of an `allTactics` list (`tactics`), in order.
std::vector<ReplTactic> TacticsFromAllTactics(const nlohmann::json& tactics);

// Where a constant is defined, for annotating premises.
struct DefinitionSite {
  std::string path;  // file path, relative to the project root
  Pos pos, end_pos;  // the declared name's range (LeanDojo positions)
};
using DefinitionLookup = std::function<std::optional<DefinitionSite>(std::string_view)>;

// The tactic text with `<a>…</a>` around each identifier that names one of
// `used_constants` (as written, `_root_.` included; a leading `@` stays
// outside), and those premises in order of mention. An identifier names a
// constant when it is the constant's full name or a dot-separated suffix of
// it, and no other used constant matches as well; constants `lookup` cannot
// place are not annotated (LeanDojo annotates only premises it can place).
std::pair<std::string, std::vector<AnnotatedPremise>> AnnotateTactic(
    std::string_view tactic, const std::vector<std::string>& used_constants,
    const DefinitionLookup& lookup);

// A tactic's text as LeanDojo's `tactic` field has it: the source text with
// up to `column` (the tactic's start column) leading spaces removed from each
// continuation line. `annotated_tactic` keeps the source text as it is.
std::string DedentTactic(std::string_view source, long column);

// What one file contributes: its theorems, in order of position.
struct FileTraceInput {
  std::string url, commit;  // written into each theorem
  std::string file_path;    // relative to the project root
  std::string text;         // the whole file
  // The REPL's response to the file's body (a JSON object with `tactics`
  // and/or `infotree`), and the line of the file the body starts on.
  const nlohmann::json* response = nullptr;
  long body_first_line = 1;
};

// The file's theorems (`theorem`/`lemma` declarations) with their tactics.
// A tactic without a goal after it (no infotree) gets the goals before the
// next tactic of the same block, or "no goals" for a block's last tactic.
std::vector<TracedTheorem> AssembleTheorems(const FileTraceInput& input,
                                            const DefinitionLookup& lookup);

}  // namespace tatami::data
