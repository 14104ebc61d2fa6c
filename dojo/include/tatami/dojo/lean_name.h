// Lean declaration names as text: comparing them and asking Lean about them.
//
// A name is dot-separated components; a component may be quoted with «»
// (`«my lemma».x`), and Lean prints a component quoted only when it needs to
// be, so `«foo».bar` and `foo.bar` are the same name. `'` is an ordinary
// identifier character (`run'_refines`). A private declaration's real name
// carries a `_private.<module>.0.` prefix, which Lean may print.
//
// Thread-safety: pure functions; safe to use concurrently.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tatami::dojo {

// The components of `name`, «» removed: "A.«b c».d'" -> {"A", "b c", "d'"}.
// Empty for an empty name.
std::vector<std::string> SplitName(std::string_view name);

// `prefix` and `name` joined with a dot (either may be empty).
std::string JoinName(std::string_view prefix, std::string_view name);

// True when Lean's answer names the declaration `full_name`: the same
// components, or the private form of it (`_private.M.0.` + full_name).
bool NamesDeclaration(std::string_view answered, std::string_view full_name);

// The identifier to ask `#print axioms` about the declaration `full_name`
// from anywhere: `_root_.` + full_name. Lean resolves `_root_.`-qualified
// names exactly (no current namespace, no `open`, private names included),
// while a bare full name `X.foo` written inside namespace `Y` would first
// mean `Y.X.foo`.
std::string AxiomsQueryName(std::string_view full_name);

}  // namespace tatami::dojo
