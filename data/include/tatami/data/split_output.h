// Writing splits: DIR/random/{train,val,test}.json and
// DIR/novel_premises/{train,val,test}.json, each a JSON array of the
// theorems' original texts joined by ", " (the layout of LeanDojo's files).
// Each file is written to a temporary name and renamed, so a reader never
// sees half a file and the input may live in DIR itself.
//
// Thread-safety: the functions share no state; call them from any thread.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tatami/data/split.h"
#include "tatami/data/split_input.h"

namespace tatami::data {

// Writes DIR/NAME/{train,val,test}.json. Throws std::runtime_error on I/O failure.
void WriteSplit(const std::filesystem::path& dir, const std::string& name,
                const std::vector<SplitTheorem>& theorems, const Split& split);

}  // namespace tatami::data
