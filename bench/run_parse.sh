#!/usr/bin/env bash
# REPL response-parsing throughput: tatami's parser (simdjson, straight into
# the typed protocol values) against Python's json.loads on the same bytes,
# real recorded responses (Mathlib transcripts, Kimina check responses, info
# trees) from $TATAMI_FIXTURES (default ../shared/fixtures). Also reports the
# tree-based path (nlohmann::json, then the typed values) for reference.
# Run through scripts/bench.sh parse [--rounds N] [--seconds S] [--nice N].
#
# Each round runs ours, python and tree one after another (order rotated
# every round) for --seconds each; the figures are the medians over rounds
# and `ratio` is ours / python of the medians.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=5
seconds=2
nice_level=-10
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --nice) nice_level="$2"; shift 2 ;;
    *) echo "run_parse.sh: unknown argument '$1' (expected --rounds N, --seconds S, --nice N)" >&2
       exit 2 ;;
  esac
done
if ! [ "$rounds" -gt 0 ] 2>/dev/null; then
  echo "run_parse.sh: --rounds must be a positive integer" >&2; exit 2
fi

build="${TATAMI_BUILD_DIR:-build-bench}"
bench="$build/bench/tatami-bench-parse"
python=/usr/bin/python3
fixtures="${TATAMI_FIXTURES:-../shared/fixtures}"
for f in "$bench" "$python"; do
  [ -x "$f" ] || { echo "run_parse.sh: $f not found (run via scripts/bench.sh parse)" >&2; exit 1; }
done
[ -d "$fixtures" ] || { echo "run_parse.sh: fixtures folder '$fixtures' not found" \
  "(set TATAMI_FIXTURES or run scripts/fetch-fixtures.sh)" >&2; exit 1; }

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
corpus_info="$("$bench" --fixtures "$fixtures" --write-corpus "$out/corpus")"

echo "REPL response parsing: $corpus_info (Mathlib transcripts, Kimina check responses," \
  "info trees); $rounds rounds of ${seconds}s per parser"
if [ "$nice_level" != 0 ] && renice -n "$nice_level" -p $$ >/dev/null 2>&1; then
  priority="nice $nice_level"
else
  priority="normal (nice 0)"
fi
echo "priority: $priority; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
order=(ours python tree)
for ((r = 0; r < rounds; r++)); do
  for ((k = 0; k < 3; k++)); do
    parser="${order[(k + r) % 3]}"
    if [ "$parser" = python ]; then
      line="$("$python" bench/parse_bench.py --corpus "$out/corpus" --seconds "$seconds")"
    else
      line="$("$bench" --corpus "$out/corpus" --parser "$parser" --seconds "$seconds")"
    fi
    echo "$parser ${line%% *}" | sed 's/mb_s=//' >>"$out/figures"
  done
done

"$python" - "$out/figures" <<'PY'
import statistics, sys
figures = {}
for line in open(sys.argv[1]):
    name, value = line.split()
    figures.setdefault(name, []).append(float(value))
med = {k: statistics.median(v) for k, v in figures.items()}
print("MB/s per round:")
for k in ("ours", "tree", "python"):
    print(f"  {k:7s} " + " ".join(f"{v:8.1f}" for v in figures[k]) + f"   median {med[k]:.1f}")
print(f"ours / python = {med['ours'] / med['python']:.2f} (target >= 5); "
      f"ours / tree = {med['ours'] / med['tree']:.2f}")
print(f"ours_mb_s={med['ours']:.1f} python_mb_s={med['python']:.1f} tree_mb_s={med['tree']:.1f} "
      f"ratio={med['ours'] / med['python']:.2f} ratio_tree={med['ours'] / med['tree']:.2f}")
PY
