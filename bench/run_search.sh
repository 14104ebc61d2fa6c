#!/usr/bin/env bash
# Proof-search benchmark, run through scripts/bench.sh search
#   [--theorems N] [--seed S] [--gen-ms MS] [--lean-ms MS] [--batch-wait-ms MS]
#   [--speculation-depth N] [--nice N]
#   (defaults 50, 7, 10, 2, the batch wait equal to --gen-ms, 3, and nice -10
#   when permitted, 0 = leave the priority alone)
#
# All on random proof-state graphs (tests/search/random_graphs.py) served by
# the REPL double in --script mode, with the scripted generator:
# ours/python: expansions per second of `tatami prove --jobs 1` and of
#          bench/search_baseline.py (ReProver's loop in asyncio Python), on
#          the same theorems, from the per-theorem search times (entering
#          included; the first theorem, which also waits for the double's
#          start, left out); their per-theorem results must be identical.
#          Measured unpinned (ratio_python) and with both sides and the
#          double pinned to one CPU (ratio_python_pinned).
# double_us_per_exp: the double's own CPU time per expansion in our run, and
#          ratio_ceiling: Python's time per expansion over it (the highest
#          ratio_python possible against this double).
# batch_eff_16: 16 theorems of 30 expansions, generator cost --gen-ms per call whatever the
#          batch (as a GPU): throughput with 16 searches at once over 16x the
#          throughput of one at a time.
# overlap: 16 at once, wall time with both Lean cost (the double waits
#          --lean-ms per request) and generator cost, over the sum of the
#          wall times with only one of them.
# Both with speculation (docs/search.md; --speculation-depth, default 3, as
# `tatami prove`); their references without it when that is faster.
# The last line holds every figure as key=value pairs.
set -euo pipefail
cd "$(dirname "$0")/.."

theorems=50
seed=7
max_exp=100   # per theorem, ours vs Python
conc_exp=30   # per theorem, batching and overlap
batch_wait_ms=""  # the batcher's longest wait for a fuller batch; default: --gen-ms
nice_level=-10    # as bench/run_repl.sh: load from elsewhere on the machine otherwise dominates
gen_ms=10
lean_ms=2
depth=3    # speculation depth: the queue's best nodes asked for ahead of need
while [ $# -gt 0 ]; do
  case "$1" in
    --theorems) theorems="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --gen-ms) gen_ms="$2"; shift 2 ;;
    --lean-ms) lean_ms="$2"; shift 2 ;;
    --batch-wait-ms) batch_wait_ms="$2"; shift 2 ;;
    --speculation-depth) depth="$2"; shift 2 ;;
    --nice) nice_level="$2"; shift 2 ;;
    *) echo "run_search.sh: unknown argument '$1' (expected --theorems N, --seed S," \
         "--gen-ms MS, --lean-ms MS, --batch-wait-ms MS, --speculation-depth N, --nice N)" >&2; exit 2 ;;
  esac
done

batch_wait_ms="${batch_wait_ms:-$gen_ms}"
build="${TATAMI_BUILD_DIR:-build-bench}"
tatami="$build/apps/tatami"
bench="$build/bench/tatami-bench-search"
double="$build/tests/repl_double/tatami-repl-double"
for f in "$tatami" "$bench" "$double"; do
  if [ ! -x "$f" ]; then echo "run_search.sh: $f not built (run through scripts/bench.sh search)" >&2; exit 1; fi
done
if [ "$nice_level" != 0 ] && renice -n "$nice_level" -p $$ >/dev/null 2>&1; then
  priority="nice $nice_level"
else
  priority="normal (nice 0)"
fi
echo "priority: $priority; load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Large graphs (300-400 states per theorem, 2-6 candidates per state): the
# ratio set has rare proofs, the concurrency set none, so that its searches
# run to the expansion limit and all 16 stay busy.
mkdir -p "$tmp/conc"
python3 - "$tmp" "$seed" "$theorems" <<'PY'
import sys
sys.path.insert(0, "tests/search")
import random_graphs
tmp, seed, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
big = dict(max_states=400, min_states=300, num_candidates=(2, 6))
random_graphs.write(tmp, seed, n, p_done=0.003, **big)
random_graphs.write(tmp + "/conc", seed + 1, 16, p_done=0.0, **big)
PY
repl="$double --script $tmp/graph.json"

ratio() {  # [command prefix, e.g. taskset -c 1] -> "expansions ours_exp_s python_exp_s"
  rm -f "$tmp/ours.jsonl"
  "$@" "$tatami" prove "$tmp/theorems.jsonl" -o "$tmp/ours.jsonl" --generator "scripted:$tmp/scripted.json" \
    --jobs 1 --no-progress --max-expansions "$max_exp" --repl-cmd "$repl" 2>"$tmp/ours.err"
  "$@" python3 bench/search_baseline.py --repl "$repl" --scripted "$tmp/scripted.json" \
    --theorems "$tmp/theorems.jsonl" --max-expansions "$max_exp" > "$tmp/python.jsonl"
  python3 - "$tmp" <<'PY2'
import json, sys
tmp = sys.argv[1]
ours = {j["name"]: j for j in map(json.loads, open(f"{tmp}/ours.jsonl"))}
lines = open(f"{tmp}/python.jsonl").read().splitlines()
py = {j["name"]: j for j in map(json.loads, lines[:-1])}
diff = [n for n in py if any(ours[n][k] != py[n][k] for k in ("status", "proof", "expansions", "states"))]
if diff or set(py) != set(ours):
    sys.exit(f"results differ on {len(diff)} theorems, e.g. {diff[:3]}")
# Per-theorem search times (entering included), the first theorem left out on
# both sides: it also waits for the double to start and load the graph.
names = [json.loads(l)["name"] for l in lines[:-1]][1:]
exp = sum(py[n]["expansions"] for n in names)
ours_s = sum(ours[n]["total_s"] for n in names)
py_s = sum(py[n]["total_s"] for n in names)
print(f"{exp} {exp / ours_s:.1f} {exp / py_s:.1f}")
PY2
}
# Unpinned, then both sides (client and double) pinned to one CPU, as
# bench/run_repl.sh does: a wake-up of the other process is then a plain
# context switch instead of a cross-CPU one.
pin_cpu=$(($(nproc) - 1))
echo "== ours vs Python: $theorems theorems, one at a time" >&2
read -r exp ours_exp_s python_exp_s < <(ratio)
ratio_python=$(python3 -c "print(f'{$ours_exp_s / $python_exp_s:.2f}')")
echo "  identical results; $exp expansions: ours $ours_exp_s/s, python $python_exp_s/s" >&2
read -r _ ours_pinned python_pinned < <(ratio taskset -c "$pin_cpu")
ratio_python_pinned=$(python3 -c "print(f'{$ours_pinned / $python_pinned:.2f}')")
echo "  pinned to CPU $pin_cpu: identical results; ours $ours_pinned/s, python $python_pinned/s" >&2

# The double's own CPU time per expansion in our run: a floor under our time
# per expansion (one search at a time waits for every answer of the double,
# which works in one thread), so Python's time per expansion over it is the
# highest ratio_python this double allows, were tatami's own side free. The
# double reports the CPU it spent after loading the graph (--report-cpu) at
# the end of its input; it runs in a session of its own (setsid -w), so that
# the pool's kill at shutdown does not take it before it reports.
echo "== the double's own CPU time" >&2
rm -f "$tmp/ours.jsonl" "$tmp/double_cpu"
"$tatami" prove "$tmp/theorems.jsonl" -o "$tmp/ours.jsonl" --generator "scripted:$tmp/scripted.json" \
  --jobs 1 --no-progress --max-expansions "$max_exp" \
  --repl-cmd "setsid -w $repl --report-cpu $tmp/double_cpu" 2>"$tmp/ours.err"
read -r double_us_per_exp ratio_ceiling < <(python3 - "$tmp" "$python_exp_s" <<'PY3'
import json, os, sys, time
tmp, python_exp_s = sys.argv[1], float(sys.argv[2])
# The double ends when the pool closes its pipes, just after tatami exits.
for _ in range(200):
    if os.path.exists(f"{tmp}/double_cpu"):
        break
    time.sleep(0.05)
serving = sum(float(l) for l in open(f"{tmp}/double_cpu"))
exp = sum(json.loads(l)["expansions"] for l in open(f"{tmp}/ours.jsonl"))
us = serving / exp * 1e6
print(f"{us:.1f} {1e6 / python_exp_s / us:.2f}")
PY3
)
echo "  $double_us_per_exp us of the double's CPU per expansion; Python takes" \
  "$(python3 -c "print(f'{1e6 / $python_exp_s:.1f}')") us: ceiling $ratio_ceiling" >&2

run() {  # jobs gen_ms lean_ms speculation_depth(0 = none) -> "expansions seconds"
  local r
  r=$("$bench" --repl-cmd "$double --script $tmp/conc/graph.json --latency-ms $3" \
       --scripted "$tmp/conc/scripted.json" --theorems "$tmp/conc/theorems.jsonl" \
       --jobs "$1" --gen-ms "$2" --max-expansions "$conc_exp" --batch-wait-ms "$batch_wait_ms" \
       --speculate "$4")
  echo "  jobs $1 gen ${2}ms lean ${3}ms speculation depth $4: $r" >&2
  python3 -c "import sys; d=dict(x.split('=') for x in sys.argv[1:]); print(d['expansions'], d['seconds'])" $r
}
best() { python3 -c "import sys; print(min(map(float, sys.argv[1:])))" "$@"; }
# Speculation (asking for the predicted next nodes while Lean works) is on for
# the run with both costs and for 16 searches in the batching figure; every
# reference run (one search at a time, each cost alone) takes the faster of
# with and without it, so that speculation cannot flatter a figure by slowing
# its reference down.
echo "== batching: generator ${gen_ms} ms per call, 16 theorems, $conc_exp expansions each" >&2
read -r e1 s1a < <(run 1 "$gen_ms" 0 0)
read -r _ s1b < <(run 1 "$gen_ms" 0 "$depth")
s1=$(best "$s1a" "$s1b")
read -r e16 s16 < <(run 16 "$gen_ms" 0 "$depth")
batch_eff_16=$(python3 -c "print(f'{($e16 / $s16) / (16 * $e1 / $s1):.2f}')")

echo "== overlap: 16 at once, generator ${gen_ms} ms per call, Lean ${lean_ms} ms per request" >&2
read -r _ sga < <(run 16 "$gen_ms" 0 0)
sg=$(best "$sga" "$s16")
read -r _ sla < <(run 16 0 "$lean_ms" 0)
read -r _ slb < <(run 16 0 "$lean_ms" "$depth")
sl=$(best "$sla" "$slb")
read -r _ sb < <(run 16 "$gen_ms" "$lean_ms" "$depth")
overlap=$(python3 -c "print(f'{$sb / ($sg + $sl):.2f}')")

echo "ours_exp_s=$ours_exp_s python_exp_s=$python_exp_s ratio_python=$ratio_python ratio_python_pinned=$ratio_python_pinned batch_eff_16=$batch_eff_16 overlap=$overlap expansions=$exp double_us_per_exp=$double_us_per_exp ratio_ceiling=$ratio_ceiling"
