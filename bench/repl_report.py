"""Summarises the latency samples written by bench/run_repl.sh.

Reads DIR/{pinned,unpinned}-{floor,ours,typed,blocking,python}.ns (one latency in
nanoseconds per line), prints a table per configuration and, as the last line,
key=value figures: pinned ones unprefixed, unpinned ones prefixed `unpinned_`.
ratio_floor = ours / floor and ratio_python = python / ours, both on medians.
"""

import argparse
import math
import os
import sys

CLIENTS = [
    ("floor", "floor: fork/exec + blocking pipes, no JSON"),
    ("ours", "ours: ReplProcess (async, io_context)"),
    ("typed", "ours + InterpretTactic (typed result)"),
    ("blocking", "ours: ReplClient::Send (blocking wrapper)"),
    ("python", "python: asyncio subprocess + json"),
]
CONFIGS = [("pinned", "pinned: client and child on CPU 0"), ("unpinned", "unpinned")]


def percentile(sorted_values, q):
    """Nearest-rank percentile, the same for every client."""
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


def load(path):
    with open(path) as f:
        values = sorted(int(line) for line in f if line.strip())
    if not values:
        raise ValueError(f"{path}: no samples")
    return values


def summarise(values):
    return {
        "n": len(values),
        "median_us": percentile(values, 0.5) / 1000.0,
        "p99_us": percentile(values, 0.99) / 1000.0,
        "mean_us": sum(values) / len(values) / 1000.0,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir")
    args = parser.parse_args()

    results = {}
    for config, _ in CONFIGS:
        for client, _ in CLIENTS:
            path = os.path.join(args.dir, f"{config}-{client}.ns")
            if os.path.exists(path):
                results[(config, client)] = summarise(load(path))

    figures = []
    for config, title in CONFIGS:
        rows = [(c, t, results[(config, c)]) for c, t in CLIENTS if (config, c) in results]
        if not rows:
            continue
        floor = results.get((config, "floor"))
        print(f"\n{title}")
        print(f"  {'client':<44} {'n':>8} {'median us':>10} {'p99 us':>9} {'mean us':>9} "
              f"{'x floor':>8}")
        for _, text, r in rows:
            ratio = f"{r['median_us'] / floor['median_us']:.2f}" if floor else "-"
            print(f"  {text:<44} {r['n']:>8} {r['median_us']:>10.2f} {r['p99_us']:>9.2f} "
                  f"{r['mean_us']:>9.2f} {ratio:>8}")
        ours = results.get((config, "ours"))
        python = results.get((config, "python"))
        prefix = "" if config == "pinned" else "unpinned_"
        kv = {}
        if floor:
            kv["floor_us"] = floor["median_us"]
        if ours:
            kv["ours_median_us"] = ours["median_us"]
            kv["ours_p99_us"] = ours["p99_us"]
        if python:
            kv["python_median_us"] = python["median_us"]
        if floor and ours:
            kv["ratio_floor"] = ours["median_us"] / floor["median_us"]
        if python and ours:
            kv["ratio_python"] = python["median_us"] / ours["median_us"]
        if (config, "typed") in results:
            kv["typed_median_us"] = results[(config, "typed")]["median_us"]
        if (config, "blocking") in results:
            kv["blocking_median_us"] = results[(config, "blocking")]["median_us"]
        if "ratio_floor" in kv:
            verdict = "met" if kv["ratio_floor"] <= 1.2 else "NOT met"
            print(f"  target ours <= 1.2x floor: {verdict} ({kv['ratio_floor']:.2f}x)")
        if "ratio_python" in kv:
            verdict = "met" if kv["ratio_python"] >= 5 else "NOT met"
            print(f"  target ours >= 5x faster than python: {verdict} "
                  f"({kv['ratio_python']:.2f}x)")
        figures += [f"{prefix}{k}={v:.3f}" if isinstance(v, float) else f"{prefix}{k}={v}"
                    for k, v in kv.items()]
    instructions_path = os.path.join(args.dir, "instructions.txt")
    if os.path.exists(instructions_path):
        with open(instructions_path) as f:
            counts = dict((c, int(n)) for c, n in (line.split() for line in f if line.strip()))
        print("\nclient-side instructions per round trip (callgrind)")
        for client, text in CLIENTS:
            if client in counts:
                print(f"  {text:<44} {counts[client]:>8}")
                figures.append(f"{client}_instructions={counts[client]}")
    if not figures:
        print(f"repl_report.py: no samples in {args.dir}", file=sys.stderr)
        return 1
    print()
    print(" ".join(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
