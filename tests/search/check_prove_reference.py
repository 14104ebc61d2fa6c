"""The "done when" check of proof search: on random proof-state graphs
(merges, cycles, dead ends, errors, ties), `tatami prove --generator
scripted:...` against the REPL double agrees with reference_search.py on
every theorem: status, proof, expansions and states.

usage: check_prove_reference.py --tatami BIN --double BIN [--seeds 1,2] [--theorems N]
Exit 0 when everything agrees; otherwise one line per difference.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import random_graphs  # noqa: E402
import reference_search  # noqa: E402

# (num_tactics, max_expansions): everything, and truncated lists with a limit.
CONFIGS = [(64, 0), (3, 4)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tatami", required=True)
    ap.add_argument("--double", required=True)
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument("--theorems", type=int, default=40)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    failures, compared, kinds = 0, 0, {}
    with tempfile.TemporaryDirectory(prefix="tatami_search_ref_") as tmp:
        for seed in [int(s) for s in args.seeds.split(",")]:
            graph, scripted, inputs, paths = random_graphs.write(tmp, seed, args.theorems)
            env = reference_search.GraphEnv(graph)
            roots = {f"rand_{seed}_{t}": [th["goal"]] for t, th in enumerate(graph["theorems"])}
            for num_tactics, max_expansions in CONFIGS:
                out = os.path.join(tmp, f"out_{seed}_{num_tactics}_{max_expansions}.jsonl")
                cmd = [args.tatami, "prove", paths["theorems"], "-o", out,
                       "--generator", "scripted:" + paths["scripted"],
                       "--num-tactics", str(num_tactics), "--max-expansions", str(max_expansions),
                       "--jobs", str(args.jobs), "--no-progress",
                       "--repl-cmd", f"{args.double} --script {paths['graph']}"]
                run = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
                if run.returncode != 0:
                    print(f"seed {seed}: tatami prove exited {run.returncode}:\n{run.stderr}")
                    return 1
                got = {}
                with open(out) as f:
                    for line in f:
                        j = json.loads(line)
                        got[j["name"]] = j
                for name, goals in roots.items():
                    want = reference_search.search(env, scripted, goals, num_tactics, max_expansions)
                    kinds[want["status"]] = kinds.get(want["status"], 0) + 1
                    compared += 1
                    have = got.get(name)
                    if have is None:
                        print(f"{name} (num_tactics {num_tactics}, max {max_expansions}): no output line")
                        failures += 1
                        continue
                    for key in ("status", "proof", "expansions", "states"):
                        if have.get(key) != want[key]:
                            print(f"{name} (num_tactics {num_tactics}, max {max_expansions}): "
                                  f"{key}: tatami {have.get(key)!r}, reference {want[key]!r}")
                            failures += 1
    print(f"compared {compared} searches ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}); "
          f"{failures} difference(s)")
    # The graphs must exercise every outcome, or the comparison proves little.
    if any(kinds.get(k, 0) == 0 for k in ("proved", "failed", "open")):
        print("the random graphs did not produce every status")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
