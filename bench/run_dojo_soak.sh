#!/usr/bin/env bash
# Dojo soak: 100,000 run_tac calls over 32 concurrent theorems against the
# scripted REPL double with random crashes, hangs, garbage and memory-cap
# kills. Run as scripts/bench.sh dojo_soak [flags of tatami-bench-dojo-soak].
set -euo pipefail
build="${TATAMI_BUILD_DIR:?run through scripts/bench.sh}"
exec "$build/bench/tatami-bench-dojo-soak" --double "$build/tests/repl_double/tatami-repl-double" "$@"
