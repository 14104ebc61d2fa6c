/-!
# Example theorems for tatami

Small theorems in core Lean (no Mathlib), used by the README, the Dojo
documentation and the tests that run against a real Lean. Each comes with a
proof; the Dojo enters them by name and searches for its own.
-/

namespace TatamiExamples

theorem add_zero_right (n : Nat) : n + 0 = n := by
  rfl

theorem and_swap (p q : Prop) (h : p ∧ q) : q ∧ p := by
  obtain ⟨hp, hq⟩ := h
  exact ⟨hq, hp⟩

theorem or_swap (p q : Prop) : p ∨ q → q ∨ p := by
  intro h
  cases h with
  | inl hp => exact Or.inr hp
  | inr hq => exact Or.inl hq

theorem add_comm_example (a b : Nat) : a + b = b + a := by
  omega

theorem two_mul_example (n : Nat) : 2 * n = n + n := by
  omega

theorem length_append_example (xs ys : List Nat) :
    (xs ++ ys).length = xs.length + ys.length := by
  simp

/-- Uses the law of excluded middle: depends on propext, Classical.choice and
Quot.sound, the axioms a checked proof may use. -/
theorem em_example (p : Prop) : p ∨ ¬p := by
  exact Classical.em p

/-! Names inside nested namespaces: Lean answers `#print axioms` with the
full name (`TatamiExamples.Nested.add_zero_left`), which the Dojo asks for
and expects. -/
namespace Nested

theorem add_zero_left (n : Nat) : 0 + n = n := by
  simp

/-- Declared at the root from inside the namespaces: its full name is
`true_at_root`. -/
theorem _root_.true_at_root : True := by
  trivial

theorem Deeper.and_self_example (p : Prop) (hp : p) : p ∧ p := by
  exact ⟨hp, hp⟩

end Nested

end TatamiExamples
