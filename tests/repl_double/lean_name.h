// Lean names as the double needs them: reading an identifier from source
// (dotted, with `«»` escapes), printing it as Lean prints a name in a message,
// and Lean's `Name.lt` order.
//
// Thread-safety: value type and pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tatami::repl_double {

// A hierarchical name: its components, unescaped (`«a b».c` is {"a b", "c"}).
// Empty for Lean's anonymous (root) name.
struct LeanName {
  std::vector<std::string> parts;

  bool empty() const { return parts.empty(); }
  // `this ++ other`, as Lean's `Name.append`.
  LeanName operator+(const LeanName& other) const;
  // Without the last component (the enclosing namespace).
  LeanName Prefix() const;
  // As Lean prints a name in a message: components joined by `.`, a component
  // that is not a plain identifier wrapped in `«»`.
  std::string ToString() const;
  bool operator==(const LeanName& other) const { return parts == other.parts; }
};

// The identifier starting at `text[pos]`: components separated by `.`, each a
// run of identifier characters or a `«...»` escape. On success sets `*end` to
// the offset after it. Non-ASCII characters count as identifier characters
// (Lean accepts Greek and letter-like symbols and subscripts; the double does
// not tell them from other symbols).
std::optional<LeanName> ReadIdentifier(std::string_view text, std::size_t pos, std::size_t* end);

// The whole of `text` (trimmed) as one identifier, or nullopt.
std::optional<LeanName> ParseIdentifier(std::string_view text);

// Lean's `Name.lt` (`Name.cmp`): a name with fewer components sorts first;
// names of equal length compare component by component from the root.
bool NameLess(const LeanName& a, const LeanName& b);

}  // namespace tatami::repl_double
