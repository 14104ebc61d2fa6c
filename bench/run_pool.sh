#!/usr/bin/env bash
# WorkerPool benchmark: warm vs cold header, and throughput scaling with 1, 2,
# 4 and 8 workers, against the REPL test double. Run through
# scripts/bench.sh pool [--import-delay-ms N] [--latency-ms N] [--work-us N]
#                       [--requests-per-worker N].
#
# warm:    one worker, the double's import takes --import-delay-ms (default
#          5000, like `import Mathlib`); cold = first request on a header,
#          warm = later requests on it. warm_over_cold is their ratio.
# latency: each request waits --latency-ms (default 20) in the double, as a
#          REPL waiting on Lean does; efficiency eff_N = thr_N / (N x thr_1).
# cpu:     each request burns --work-us of CPU (default 20000) in the double;
#          only measured when the double supports --work-us, and only up to
#          the number of cores (more CPU-bound workers than cores cannot scale).
# Scaling figures are the best of 3 interleaved rounds per worker count.
# The last line holds every figure as key=value pairs.
set -euo pipefail
cd "$(dirname "$0")/.."

import_delay_ms=5000
latency_ms=20
work_us=20000
per_worker=50
while [ $# -gt 0 ]; do
  case "$1" in
    --import-delay-ms) import_delay_ms="$2"; shift 2 ;;
    --latency-ms) latency_ms="$2"; shift 2 ;;
    --work-us) work_us="$2"; shift 2 ;;
    --requests-per-worker) per_worker="$2"; shift 2 ;;
    *) echo "run_pool.sh: unknown argument '$1' (expected --import-delay-ms N, --latency-ms N," \
         "--work-us N, --requests-per-worker N)" >&2; exit 2 ;;
  esac
done

build="${TATAMI_BUILD_DIR:-build-bench}"
bench="$build/bench/tatami-bench-pool"
double="$build/tests/repl_double/tatami-repl-double"
for f in "$bench" "$double"; do
  if [ ! -x "$f" ]; then echo "run_pool.sh: $f not built (run through scripts/bench.sh pool)" >&2; exit 1; fi
done
cores=$(nproc)
echo "machine: $cores cores; double: $double" >&2

echo "== warm vs cold header (import delay ${import_delay_ms} ms)" >&2
warm=$("$bench" --double "$double" --mode warm --import-delay-ms "$import_delay_ms" | tail -n 1)
echo "$warm" >&2

echo "== scaling, latency-bound (${latency_ms} ms per request)" >&2
latency=$("$bench" --double "$double" --mode scale --work latency --latency-ms "$latency_ms" \
  --requests-per-worker "$per_worker" --workers 1 2 4 8 | tail -n 1)
echo "$latency" >&2

cpu=""
if "$double" --instant --work-us 1 </dev/null >/dev/null 2>&1; then
  counts="1"
  for n in 2 4 8; do [ "$n" -le "$cores" ] && counts="$counts $n"; done
  echo "== scaling, CPU-bound (${work_us} us of CPU per request; workers: $counts)" >&2
  cpu=$("$bench" --double "$double" --mode scale --work cpu --work-us "$work_us" --label cpu_ \
    --requests-per-worker "$per_worker" --workers $counts | tail -n 1)
  echo "$cpu" >&2
else
  echo "== scaling, CPU-bound: skipped (this tatami-repl-double has no --work-us)" >&2
  cpu="cpu_bound=unmeasured"
fi

echo "cores=$cores $warm $latency $cpu"
