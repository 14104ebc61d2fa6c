// The declarations of a Lean file, found textually: what corpus.jsonl lists
// as premises and where each premise mentioned in a tactic is defined. A
// scanner, not Lean's parser: a declaration is a command starting in column 0
// (after attributes and modifiers) with a declaring keyword; it ends where the
// next column-0 command starts. Names go under the namespaces open at that
// point, as Lean declares them (`_root_.x` declares `x`).
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tatami/data/benchmark.h"

namespace tatami::data {

struct Declaration {
  PremiseDefinition premise;  // full_name, code, start, end, kind
  Pos name_pos, name_end;     // the declared name's range (LeanDojo positions)
};

// Declarations with a name, in order (anonymous `instance`s and `example`s
// are not premises).
std::vector<Declaration> ListDeclarations(std::string_view text);

}  // namespace tatami::data
