#!/usr/bin/env bash
# REPL round-trip latency: ReplProcess against the physical floor and against a
# Python asyncio client, all talking to the REPL test double in --instant mode.
# Run through scripts/bench.sh repl [--requests N] [--warmup N] [--rounds N]
# [--clients LIST] [--nice N] [--instructions].
#
# Each configuration (pinned: client and child on CPU 0; unpinned) runs every
# client in --rounds rounds of requests/rounds measured round trips, in an
# order rotated every round, so that load changes on the machine hit all
# clients alike. Every client invocation starts a fresh child and does
# --warmup unmeasured round trips first. --nice N (default -10; 0 = leave
# alone) raises the priority of the whole run when permitted.
set -euo pipefail
cd "$(dirname "$0")/.."

requests=100000
warmup=2000
rounds=5
clients="floor ours typed blocking python"
nice_level=-10
instructions=0
while [ $# -gt 0 ]; do
  case "$1" in
    --requests) requests="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    --nice) nice_level="$2"; shift 2 ;;
    --instructions) instructions=1; shift ;;
    *) echo "run_repl.sh: unknown argument '$1' (expected --requests N, --warmup N," \
         "--rounds N, --clients 'floor ours typed blocking python', --nice N, --instructions)" >&2; exit 2 ;;
  esac
done
if ! [ "$requests" -gt 0 ] 2>/dev/null || ! [ "$rounds" -gt 0 ] 2>/dev/null \
   || ! [ "$warmup" -ge 0 ] 2>/dev/null; then
  echo "run_repl.sh: --requests and --rounds must be positive integers, --warmup >= 0" >&2
  exit 2
fi

build="${TATAMI_BUILD_DIR:-build-bench}"
bench="$build/bench/tatami-bench-repl-latency"
double="$build/tests/repl_double/tatami-repl-double"
python=/usr/bin/python3
for f in "$bench" "$double" "$python"; do
  [ -x "$f" ] || { echo "run_repl.sh: $f not found (run via scripts/bench.sh repl)" >&2; exit 1; }
done

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
request='{"tactic": "intro h", "proofState": 0}'
child=("$double" --instant)

run_client() {  # config client count
  local pin=()
  [ "$1" = pinned ] && pin=(taskset -c 0)
  local common=(--requests "$3" --warmup "$warmup" --samples "$out/$1-$2.ns" --request "$request")
  if [ "$2" = python ]; then
    "${pin[@]}" "$python" bench/repl_latency.py "${common[@]}" -- "${child[@]}"
  else
    "${pin[@]}" "$bench" --client "$2" "${common[@]}" -- "${child[@]}"
  fi
}

# On a machine shared with other work, wake-up latency behind other runnable
# processes dominates a round trip; a raised priority (inherited by every
# client and child alike) keeps the comparison about the clients.
if [ "$nice_level" != 0 ] && renice -n "$nice_level" -p $$ >/dev/null 2>&1; then
  priority="nice $nice_level"
else
  priority="normal (nice 0)"
fi

read -r -a order <<<"$clients"
echo "REPL round-trip latency: $requests requests per client and configuration" \
  "($rounds rounds, $warmup warm-up each), child: tatami-repl-double --instant"
echo "request: $request; priority: $priority; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for config in pinned unpinned; do
  for ((r = 0; r < rounds; r++)); do
    count=$((requests / rounds + (r < requests % rounds ? 1 : 0)))
    [ "$count" -gt 0 ] || continue
    for ((k = 0; k < ${#order[@]}; k++)); do
      client="${order[(k + r) % ${#order[@]}]}"
      # The double greets on stderr every start; keep that out of the report
      # but show it when a client fails.
      if ! run_client "$config" "$client" "$count" 2>"$out/stderr.log"; then
        echo "run_repl.sh: client '$client' ($config) failed:" >&2
        tail -n 20 "$out/stderr.log" >&2
        exit 1
      fi
    done
  done
done

# --instructions: client-side instructions per round trip under callgrind
# (valgrind), which the load on the machine does not disturb: the difference
# between runs of 11,000 and 1,000 requests, divided by 10,000, so that start-up
# and shutdown cancel out. Python is left out (the interpreter's count says
# little next to its wall time).
if [ "$instructions" = 1 ]; then
  command -v valgrind >/dev/null || { echo "run_repl.sh: --instructions needs valgrind" >&2; exit 1; }
  for client in floor ours typed blocking; do
    counts=()
    for n in 1000 11000; do
      valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bench" --client "$client" \
        --requests "$n" --warmup 0 --samples "$out/callgrind.ns" --request "$request" \
        -- "${child[@]}" 2>"$out/callgrind.log" >/dev/null
      counts+=("$(sed -n 's/.*Collected : *\([0-9]*\).*/\1/p' "$out/callgrind.log" | head -1)")
    done
    echo "$client $(( (counts[1] - counts[0]) / 10000 ))" >>"$out/instructions.txt"
  done
fi
"$python" bench/repl_report.py "$out"
