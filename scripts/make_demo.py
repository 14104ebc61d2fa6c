#!/usr/bin/python3
"""Builds the bundled proof-search demo from recorded Lean results.

Reads, at run time, two parts of the fixtures (never copied into the
repository):
  * search-results-internlm-minif2f/: best-first search results of
    InternLM2-Math provers on miniF2F-test through LeanDojo, whose successful
    attempts list each step's proof state before (and, in the newer files,
    after) its tactic, as Lean printed them;
  * benchmarks/minif2f.jsonl: the miniF2F problems with header, formal
    statement and Lean's pretty-printed initial goal.

A theorem is kept when at least one recorded proof of it starts exactly at
the benchmark's initial goal (other Mathlib versions print some goals
differently; a proof recorded from another goal would not be a recording of
this one), has at most --max-steps tactics, and no tactic spans several lines.
Recorded transitions that contradict each other (one state and tactic, two
results) are dropped with every proof that uses them.

Writes into OUT:
  graph.json       the REPL double's --script graph (tests/repl_double/README.md):
                   the kept theorems with their real initial goals, and every
                   recorded (state, tactic) -> state transition of the kept
                   proofs; any other tactic gets the double's recorded
                   "unknown tactic" error;
  theorems.jsonl   the kept theorems as `tatami prove` input;
  pairs.jsonl      the (state, tactic) training pairs of the kept proofs;
  proofs.json      the kept proofs, for tests and for reading.

    /usr/bin/python3 scripts/make_demo.py --fixtures DIR -o OUT [--max-steps 2]

Exit status 1 when the fixtures are missing or malformed, naming the file.
"""

import argparse
import glob
import json
import os
import sys
from typing import Dict, List, Optional, Tuple

from json_lines import read_json_lines

NO_GOALS = "no goals"
RESULTS_DIR = "search-results-internlm-minif2f"
BENCHMARK = os.path.join("benchmarks", "minif2f.jsonl")

# (state before, tactic, state after) as Lean printed the states.
Step = Tuple[str, str, str]


class FixtureError(Exception):
    pass


def goals_of(state: str) -> List[str]:
    """LeanDojo prints a state as its goals joined by blank lines, and a
    closed proof as "no goals"."""
    return [] if state.strip() == NO_GOALS else state.split("\n\n")


def steps_of(attempt: dict, source: str) -> Optional[List[Step]]:
    """The steps of a successful attempt; None when it records no states.
    Newer result files keep each step's state after it ("sstrace"); older
    ones only the state before ("trace"), the next step's state before
    being this step's state after and the last step closing the proof."""
    if attempt.get("sstrace"):
        steps = []
        for s in attempt["sstrace"]:
            if not all(isinstance(s.get(k), str) for k in ("state_before", "tactic", "state_after")):
                raise FixtureError(f"{source}: an sstrace step without state_before, tactic "
                                   "and state_after")
            steps.append((s["state_before"], s["tactic"], s["state_after"]))
        return steps
    trace = attempt.get("trace")
    if not trace or not all(isinstance(s, dict) for s in trace):
        return None
    steps = []
    for i, s in enumerate(trace):
        if not isinstance(s.get("state_before"), str) or not isinstance(s.get("tactic"), str):
            raise FixtureError(f"{source}: a trace step without state_before and tactic")
        after = trace[i + 1]["state_before"] if i + 1 < len(trace) else NO_GOALS
        steps.append((s["state_before"], s["tactic"], after))
    return steps


def load_benchmark(fixtures: str) -> Dict[str, dict]:
    path = os.path.join(fixtures, BENCHMARK)
    problems: Dict[str, dict] = {}
    for n, row in read_json_lines(path, FixtureError):
        if not all(isinstance(row.get(k), str)
                   for k in ("name", "header", "formal_statement", "goal")):
            raise FixtureError(f"{path}:{n}: needs name, header, formal_statement and goal")
        problems[row["name"]] = row
    return problems


def load_proofs(fixtures: str) -> Dict[str, List[List[Step]]]:
    """Every recorded proof with states, per theorem, in file order."""
    files = sorted(glob.glob(os.path.join(fixtures, RESULTS_DIR, "*", "*.json")))
    if not files:
        raise FixtureError(f"{os.path.join(fixtures, RESULTS_DIR)}: no result files")
    proofs: Dict[str, List[List[Step]]] = {}
    for path in files:
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except json.JSONDecodeError as e:
            raise FixtureError(f"{path}: not JSON: {e}") from e
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise FixtureError(f"{path}: no \"results\" list")
        for result in data["results"]:
            for attempt in result.get("attempt_results", []):
                if not attempt.get("success"):
                    continue
                steps = steps_of(attempt, path)
                if steps:
                    proofs.setdefault(attempt["theorem"], []).append(steps)
    return proofs


def statement_of(formal_statement: str) -> str:
    """The declaration up to its `:=` (the graph's `statement`)."""
    head, sep, _ = formal_statement.rpartition(":=")
    if not sep:
        raise FixtureError(f"a formal statement without `:=`: {formal_statement[:80]!r}")
    return head.rstrip()


def build(fixtures: str, max_steps: int) -> dict:
    problems = load_benchmark(fixtures)
    recorded = load_proofs(fixtures)
    candidates: Dict[str, List[List[Step]]] = {}
    for name in sorted(recorded):
        problem = problems.get(name)
        if problem is None:
            continue
        kept = [p for p in recorded[name]
                if p[0][0] == problem["goal"] and len(p) <= max_steps
                and not any("\n" in tactic for _, tactic, _ in p)]
        if kept:
            candidates[name] = kept
    # A transition recorded with two different results cannot be replayed
    # faithfully: drop it and the proofs that use it.
    results: Dict[Tuple[str, str], set] = {}
    for proofs in candidates.values():
        for proof in proofs:
            for before, tactic, after in proof:
                results.setdefault((before, tactic), set()).add(after)
    conflicting = {k for k, v in results.items() if len(v) > 1}
    theorems, states, kept_proofs = [], {}, {}
    for name, proofs in candidates.items():
        proofs = [p for p in proofs if not any((b, t) in conflicting for b, t, _ in p)]
        # The same proof found by several provers is one proof.
        unique: List[List[Step]] = []
        for p in proofs:
            if p not in unique:
                unique.append(p)
        if not unique:
            continue
        problem = problems[name]
        theorems.append({"name": name, "header": problem["header"],
                         "formal_statement": problem["formal_statement"]})
        kept_proofs[name] = [[{"state_before": b, "tactic": t, "state_after": a}
                              for b, t, a in p] for p in unique]
        for proof in unique:
            for before, tactic, after in proof:
                entry = states.setdefault(before, {"goals": goals_of(before), "tactics": {}})
                entry["tactics"][tactic] = {"goals": goals_of(after)}
    graph = {
        "description": "miniF2F theorems and the proof states InternLM2-Math provers recorded "
                       "through LeanDojo (search-results-internlm-minif2f), with the real "
                       "initial goals of benchmarks/minif2f.jsonl; built by scripts/make_demo.py",
        "theorems": [{"statement": statement_of(problems[t["name"]]["formal_statement"]),
                      "goal": problems[t["name"]]["goal"]} for t in theorems],
        "states": list(states.values()),
    }
    pairs = []
    seen = set()
    for proofs in kept_proofs.values():
        for proof in proofs:
            for step in proof:
                pair = (step["state_before"], step["tactic"])
                if pair not in seen:
                    seen.add(pair)
                    pairs.append({"state": pair[0], "tactic": pair[1]})
    return {"graph": graph, "theorems": theorems, "pairs": pairs, "proofs": kept_proofs,
            "dropped_conflicts": len(conflicting)}


def write_atomically(path: str, text: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fixtures", required=True, help="the fixtures folder")
    parser.add_argument("-o", "--output", required=True, help="folder to write into")
    parser.add_argument("--max-steps", type=int, default=2,
                        help="keep recorded proofs of at most this many tactics (default 2)")
    args = parser.parse_args()
    if args.max_steps < 1:
        print("make_demo: --max-steps must be at least 1", file=sys.stderr)
        return 2
    for part in (RESULTS_DIR, BENCHMARK):
        if not os.path.exists(os.path.join(args.fixtures, part)):
            print(f"make_demo: {os.path.join(args.fixtures, part)} is missing; "
                  "scripts/fetch-fixtures.sh downloads it", file=sys.stderr)
            return 1
    try:
        demo = build(args.fixtures, args.max_steps)
    except (FixtureError, OSError, UnicodeDecodeError) as e:
        print(f"make_demo: {e}", file=sys.stderr)
        return 1
    os.makedirs(args.output, exist_ok=True)
    out = args.output
    write_atomically(os.path.join(out, "graph.json"),
                     json.dumps(demo["graph"], ensure_ascii=False, indent=1) + "\n")
    write_atomically(os.path.join(out, "theorems.jsonl"),
                     "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in demo["theorems"]))
    write_atomically(os.path.join(out, "pairs.jsonl"),
                     "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in demo["pairs"]))
    write_atomically(os.path.join(out, "proofs.json"),
                     json.dumps(demo["proofs"], ensure_ascii=False, indent=1) + "\n")
    print(f"make_demo: {len(demo['theorems'])} theorems, {len(demo['graph']['states'])} recorded "
          f"proof states, {len(demo['pairs'])} (state, tactic) pairs"
          + (f"; {demo['dropped_conflicts']} contradictory transitions dropped"
             if demo["dropped_conflicts"] else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
