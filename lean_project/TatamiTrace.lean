import Lean

/-!
Where constants are defined, for `tatami trace`. The REPL reports which
constants a tactic used (`allTactics`), not where they are defined; LeanDojo's
benchmark needs the defining file and the range of the declared name
(`def_path`, `def_pos`, `def_end_pos`). `tatami trace --locate-premises`
sends this file's text (without its `import` line) after a traced file's
imports, followed by `#tatami_decl_ranges` and the names it needs placed.

`#tatami_decl_ranges n₁ n₂ …` logs one info message: a JSON list with, for
each constant that has a declaration range, its name, its module, and the
range of its declared name (`pos`, `endPos`: [line from 1, column from 0]).
Written for the toolchain pinned in `lean-toolchain`; `tatami trace` sends it
only to Lean v4.19 or later.
-/

open Lean Elab Command in
elab "#tatami_decl_ranges" ids:(ppSpace colGt ident)* : command => do
  let mut out : Array Json := #[]
  for id in ids do
    let name := id.getId
    let some module ← findModuleOf? name | continue
    let some ranges ← liftCoreM (findDeclarationRanges? name) | continue
    let sel := ranges.selectionRange
    out := out.push <| Json.mkObj [
      ("name", toJson name.toString),
      ("module", toJson module.toString),
      ("pos", toJson #[sel.pos.line, sel.pos.column]),
      ("endPos", toJson #[sel.endPos.line, sel.endPos.column])]
  logInfo m!"{(Json.arr out).compress}"
