// The scopes a sequence of commands opens (`namespace`, `section`, `end`,
// `open`) and how a name is resolved in them, following Lean's command
// elaborator and `ResolveName.resolveGlobalName`. The REPL keeps the scopes in
// its command state, so they carry over to commands continuing an environment
// and into environment pickles.
//
// Thread-safety: value type; not thread-safe for concurrent mutation.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lean_name.h"

namespace tatami::repl_double {

class NameScopes {
 public:
  using Exists = std::function<bool(const LeanName&)>;

  NameScopes();

  // `namespace A.B`: one scope per component, as Lean adds them.
  void Namespace(const LeanName& name);
  // `section` or `section A.B` (one scope per component, at least one).
  void Section(const LeanName& name);
  // `end` or `end A.B`: closes one scope per component (at least one). Returns
  // what was wrong (in the double's words; Lean's texts for these are not
  // recorded) when the names do not match the scopes or too few are open; the
  // scopes that exist are closed anyway.
  std::optional<std::string> End(const LeanName& name);
  // `open A`: A is looked up relative to the current namespace first
  // (`namespace_exists` says whether a namespace is known), as Lean does.
  void Open(const LeanName& name, const Exists& namespace_exists);

  const LeanName& CurrentNamespace() const { return scopes_.back().current; }

  // The full name of a declaration written as `written` here: prefixed by the
  // current namespace unless it starts with `_root_`.
  LeanName DeclarationName(const LeanName& written) const;

  // Every declaration `written` may refer to here, in Lean's order of
  // preference: the current namespace and its prefixes (innermost first; all
  // matches there are returned together), else the exact name (`_root_`
  // removed) together with the `open`ed namespaces. Empty: unknown; more than
  // one: ambiguous.
  std::vector<LeanName> Resolve(const LeanName& written, const Exists& declared) const;

  nlohmann::json ToJson() const;
  // nullopt when `j` is not what ToJson wrote.
  static std::optional<NameScopes> FromJson(const nlohmann::json& j);

 private:
  struct Scope {
    std::string header;  // the component this scope was opened with ("" for `section`)
    bool is_namespace = false;
    LeanName current;             // the namespace in force inside it
    std::vector<LeanName> opens;  // namespaces opened in it or its parents
  };
  void Push(const std::string& header, bool is_namespace);

  std::vector<Scope> scopes_;  // [0] is the file's root scope, never closed
};

}  // namespace tatami::repl_double
