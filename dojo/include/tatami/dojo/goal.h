// Goals as Lean pretty-prints them, and their split into hypotheses and target.
//
// A tactic state is printed (by the REPL, and in LeanDojo-format datasets) as
// its goals separated by blank lines. Each goal is an optional `case TAG` line,
// one line per group of hypotheses (`a b : Nat`; long types continue on
// indented lines) and a target line starting with `⊢ `. A state without goals
// prints as `no goals`.
//
// The split is lossless: FormatGoal(ParseGoal(s)) == s for every goal `s` that
// Lean prints, so callers can keep the string as the ground truth and use the
// parts for features or display.
//
// Thread-safety: pure functions and value types; safe to use concurrently.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tatami::dojo {

// One line group of the local context, e.g. `a b : Nat` or `x : Nat := 3`.
struct Hypothesis {
  std::vector<std::string> names;  // `a`, `b` (inaccessible names keep their dagger: `inst✝¹`)
  std::string type;                // everything after ` : `, continuation lines included
  bool type_on_new_line = false;   // Lean broke the line after the colon (`h :\n  ∀ x, ...`);
                                   // `type` then starts with the indentation of that next line

  bool operator==(const Hypothesis&) const = default;
};

struct Goal {
  std::optional<std::string> case_tag;  // `h` for a goal printed under `case h`
  std::vector<Hypothesis> hypotheses;
  std::string target;  // after `⊢ `, continuation lines included

  bool operator==(const Goal&) const = default;
};

// What a solved state prints as.
inline constexpr std::string_view kNoGoals = "no goals";

// Splits one pretty-printed goal. Throws std::invalid_argument (quoting the
// input) if it has no `⊢ ` target line or a hypothesis line lacks ` : `.
Goal ParseGoal(std::string_view text);

// Prints `goal` exactly as Lean would.
std::string FormatGoal(const Goal& goal);

// Splits a pretty-printed state (goals separated by blank lines) into goal
// strings; `no goals` and the empty string give an empty list.
std::vector<std::string> SplitGoals(std::string_view state);

// Joins goal strings into one pretty-printed state; an empty list gives
// `no goals`, as LeanDojo does.
std::string JoinGoals(const std::vector<std::string>& goals);

// SplitGoals + ParseGoal on each.
std::vector<Goal> ParseState(std::string_view state);

}  // namespace tatami::dojo
