// Text on both sides of the model: ReProver's retrieval-augmented input, and
// generated ids turned back into a tactic as ReProver does.
//
// Thread-safety: stateless functions; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tatami::search::internal {

// ReProver's format_augmented_state: each premise followed by a blank line,
// the best premise nearest the state (premises are given best first), a
// premise skipped when it would push the premises past max_bytes minus the
// state's size, then the state.
std::string AugmentedInput(const std::string& state, const std::vector<std::string>& premises,
                           std::size_t max_bytes);

// What Hugging Face's ByT5 tokenizer decodes from `ids` with
// skip_special_tokens: the bytes (ids 3..258), specials and sentinels
// dropped, then every byte that is not part of a valid UTF-8 sequence dropped
// (Python's errors="ignore").
std::string ByT5DecodeLossy(const std::vector<std::int64_t>& ids);

// ReProver's remove_marks: removes every "<a>", then every "</a>".
std::string RemoveMarks(std::string_view text);

}  // namespace tatami::search::internal
