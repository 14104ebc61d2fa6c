// PremiseText: the text of a premise that an encoder embeds, made the way
// ReProver's Premise.serialize() makes it, so that a converted ReProver model
// sees premises as it saw them in training: the premise's code with its own
// name marked as <a>full.name</a>.
//
// The marking: every "_root_.<full_name>" becomes the mark; then, for the
// suffixes of the dotted name from longest to shortest ("A.B.c", "B.c", "c"),
// the first suffix that occurs after a whitespace character (optionally in
// «guillemets») has all such occurrences replaced by the mark. ReProver puts the
// suffix into a regular expression unescaped, so "." matches any character and
// "x?" means an optional x; both are reproduced (a name such as "List.get?"
// therefore matches "List.ge" or "List.get", exactly as in ReProver). Suffixes
// containing other regular-expression syntax (\ ( ) [ ] { } | ^ $) are matched
// literally. A proof state is embedded as it is (ReProver's Context).
//
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <string>
#include <string_view>

namespace tatami::retriever {

// The text ReProver encodes for a premise with this name and code.
// Input must be valid UTF-8.
std::string PremiseText(std::string_view full_name, std::string_view code);

}  // namespace tatami::retriever
