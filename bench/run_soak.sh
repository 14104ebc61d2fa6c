#!/usr/bin/env bash
# Full-size soak of ReplProcess: 16 workers on one io_context x 10,000 requests
# each, 5% injected faults (crash, hang, garbage) from the REPL test double.
# Runs the soak test (tests/soak) at full size and reports its figures.
# Run through scripts/bench.sh soak [--workers N] [--requests N]
#   [--fault-rate P] [--timeout-ms N].
set -euo pipefail
cd "$(dirname "$0")/.."

export TATAMI_SOAK_WORKERS=16
export TATAMI_SOAK_REQUESTS=10000
export TATAMI_SOAK_FAULT_RATE=0.05
export TATAMI_SOAK_TIMEOUT_MS=200
while [ $# -gt 0 ]; do
  case "$1" in
    --workers) TATAMI_SOAK_WORKERS="$2"; shift 2 ;;
    --requests) TATAMI_SOAK_REQUESTS="$2"; shift 2 ;;
    --fault-rate) TATAMI_SOAK_FAULT_RATE="$2"; shift 2 ;;
    --timeout-ms) TATAMI_SOAK_TIMEOUT_MS="$2"; shift 2 ;;
    *) echo "run_soak.sh: unknown argument '$1' (expected --workers N, --requests N," \
         "--fault-rate P, --timeout-ms N)" >&2; exit 2 ;;
  esac
done

build="${TATAMI_BUILD_DIR:-build-bench}"
test_binary="$build/tests/soak/repl_process_soak_test"
[ -x "$test_binary" ] || { echo "run_soak.sh: $test_binary not found (run via scripts/bench.sh soak)" >&2; exit 1; }

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
"$test_binary" 2>&1 | tee "$log" || status=$?
figures="$(grep -E '^soak: ' "$log" | tail -1 | sed 's/^soak: //')"
if [ "$status" -ne 0 ] || [ -z "$figures" ]; then
  echo "run_soak.sh: the soak test failed (exit $status)" >&2
  echo "passed=0 ${figures}"
  exit 1
fi
echo "passed=1 ${figures}"
