"""Command-line options shared by the examples: which REPL to run.

By default the examples run against tatami's REPL test double on the bundled
demo graph (tests/repl_double/examples/nat_add.json: three core-Lean
theorems), which needs no Lean toolchain. With a real Lean, pass
--repl-cmd "lake exe repl" --project lean_project and theorems of that project.
"""

import argparse
import os
import pathlib
import shutil
import sys

import tatami

REPO = pathlib.Path(__file__).resolve().parents[2]
DEMO_GRAPH = REPO / "tests" / "repl_double" / "examples" / "nat_add.json"

# The demo graph's theorems (their statements as Lean elaborates them).
DEMO_THEOREMS = [
    "theorem add_zero' (n : Nat) : n + 0 = n",
    "theorem two_add_two : 2 + 2 = 4",
    "theorem and_swap' (p q : Prop) (h : p ∧ q) : q ∧ p",
]

# Candidate tactics a policy chooses among: every tactic the demo graph
# knows, plus ones it rejects.
DEMO_TACTICS = [
    "rfl", "decide", "simp", "induction n", "all_goals rfl", "constructor",
    "exact h.1", "exact h.2", "exact ⟨h.2, h.1⟩", "obtain ⟨hp, hq⟩ := h",
    "exact ⟨hq, hp⟩", "exat 42", "exact my_fake_premise",
]


def parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--repl-double", default=os.environ.get("TATAMI_REPL_DOUBLE"),
                   help="path of tatami-repl-double (default: $TATAMI_REPL_DOUBLE, then "
                        "build/tests/repl_double/tatami-repl-double, then PATH)")
    p.add_argument("--graph", default=str(DEMO_GRAPH), help="proof-state graph for the double")
    p.add_argument("--repl-cmd", help="run this REPL instead of the double (e.g. 'lake exe repl')")
    p.add_argument("--project", default="", help="Lean project directory for --repl-cmd")
    p.add_argument("--workers", type=int, default=2, help="REPL worker processes")
    p.add_argument("--seed", type=int, default=0)
    return p


def repl_command(args):
    if args.repl_cmd:
        return args.repl_cmd.split()
    double = args.repl_double
    if not double:
        built = REPO / "build" / "tests" / "repl_double" / "tatami-repl-double"
        double = str(built) if built.exists() else shutil.which("tatami-repl-double")
    if not double or not pathlib.Path(double).exists():
        sys.exit("no REPL: pass --repl-double PATH (build target tatami-repl-double) "
                 "or --repl-cmd 'lake exe repl'")
    return [double, "--script", args.graph]


def make_pool(args):
    return tatami.WorkerPool(repl_command(args), project_dir=args.project,
                             workers=args.workers, request_timeout=60)
