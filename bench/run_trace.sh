#!/usr/bin/env bash
# `tatami trace` throughput, memory and re-run cost on a generated project
# served by the REPL test double. Run through scripts/bench.sh trace
# [--files N] [--response-kb K] [--workers W].
#
# The project: N files (default 1000; Mathlib has about 5000), each the text of a file real Lean
# answered in the REPL's recorded test suite (repl-transcripts/file.lean and
# file2.lean, alternately); the double answers each with that recorded
# response (--replay-by-code), padded to K KiB (default 1024, the order of a
# Mathlib file's allTactics + infotree answer) with its `huge` fault.
# files_s:      files traced per second, first run (W workers, default 2).
# rerun_ratio:  time of a second run on the unchanged project / first run
#               (target <= 0.02); rerun_cpu_s: that run's CPU time (user +
#               system), of which process start-up is a fixed part.
# peak_rss_mb:  tatami's peak resident memory on N files; peak_rss_mb_quarter
#               on N/4 files, run side by side: flat memory means equal figures.
# Needs the fixtures ($TATAMI_FIXTURES, default ../shared/fixtures).
set -euo pipefail
cd "$(dirname "$0")/.."

files=1000
response_kb=1024
workers=2
while [ $# -gt 0 ]; do
  case "$1" in
    --files) files="$2"; shift 2 ;;
    --response-kb) response_kb="$2"; shift 2 ;;
    --workers) workers="$2"; shift 2 ;;
    *) echo "run_trace.sh: unknown argument '$1' (expected --files N, --response-kb K, --workers W)" >&2
       exit 2 ;;
  esac
done

build="${TATAMI_BUILD_DIR:-build-bench}"
if [ -d "$build" ]; then build="$(cd "$build" && pwd)"; fi
tatami="$build/apps/tatami"
double="$build/tests/repl_double/tatami-repl-double"
for f in "$tatami" "$double"; do
  if [ ! -x "$f" ]; then echo "run_trace.sh: $f not built (run through scripts/bench.sh trace)" >&2; exit 1; fi
done
fixtures="${TATAMI_FIXTURES:-../shared/fixtures}"
t="$fixtures/repl-transcripts"
for f in file.lean file.in file.expected.out file2.lean file2.in file2.expected.out; do
  if [ ! -f "$t/$f" ]; then echo "run_trace.sh: fixture $t/$f missing (set TATAMI_FIXTURES)" >&2; exit 1; fi
done
t="$(cd "$t" && pwd)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat > "$work/manifest.json" <<JSON
{"recordings": [{"requests": "$t/file.in", "responses": "$t/file.expected.out"},
                {"requests": "$t/file2.in", "responses": "$t/file2.expected.out"}]}
JSON
make_project() {  # DIR N
  mkdir -p "$1/Gen"
  echo "leanprover/lean4:v4.33.0-rc2" > "$1/lean-toolchain"
  for i in $(seq 1 "$2"); do
    if [ $((i % 2)) -eq 0 ]; then cp "$t/file.lean" "$1/Gen/F$i.lean"; else cp "$t/file2.lean" "$1/Gen/F$i.lean"; fi
  done
}
make_project "$work/big" "$files"
make_project "$work/quarter" $((files / 4))
repl_cmd="$double --replay-by-code $work/manifest.json --fault-rate 1 --faults huge --huge-bytes $((response_kb * 1024))"

run() {  # PROJECT OUT -> prints "seconds peak_kb cpu_seconds"
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f "%M %U %S" -o "$work/rss" "$tatami" trace "$1" -o "$2" --workers "$workers" \
    --repl-cmd "$repl_cmd" --no-progress 2>"$work/log" || { cat "$work/log" >&2; exit 1; }
  end=$(date +%s.%N)
  read -r kb user sys < <(tail -n 1 "$work/rss")
  echo "$(echo "$end - $start" | bc -l) $kb $(echo "$user + $sys" | bc -l)"
}

echo "== $files files, ${response_kb} KiB responses, $workers workers" >&2
read -r first first_kb first_cpu < <(run "$work/big" "$work/out-big")
tail -n 1 "$work/log" >&2
read -r rerun _ rerun_cpu < <(run "$work/big" "$work/out-big")
tail -n 1 "$work/log" >&2
read -r _ quarter_kb _ < <(run "$work/quarter" "$work/out-quarter")

files_s=$(echo "$files / $first" | bc -l)
ratio=$(echo "$rerun / $first" | bc -l)
printf "first run %.2f s (tatami's CPU %.2f s), re-run %.3f s (CPU %.3f s); peak RSS %d KiB (%d files), %d KiB (%d files)\n" \
  "$first" "$first_cpu" "$rerun" "$rerun_cpu" "$first_kb" "$files" "$quarter_kb" $((files / 4)) >&2
printf "files=%d response_kb=%d workers=%d files_s=%.1f rerun_ratio=%.4f rerun_cpu_s=%.3f peak_rss_mb=%.1f peak_rss_mb_quarter=%.1f\n" \
  "$files" "$response_kb" "$workers" "$files_s" "$ratio" "$rerun_cpu" "$(echo "$first_kb / 1024" | bc -l)" \
  "$(echo "$quarter_kb / 1024" | bc -l)"
