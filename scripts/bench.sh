#!/usr/bin/env bash
# Runs one benchmark: scripts/bench.sh NAME [args...]
# Builds an optimised tree in build-bench/ and runs bench/run_NAME.sh, whose
# last line of output is `key=value` figures.
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:-}"
if [ -z "$name" ] || [ ! -f "bench/run_${name}.sh" ]; then
  echo "usage: scripts/bench.sh NAME [args...]" >&2
  echo "benchmarks:" $(ls bench/run_*.sh 2>/dev/null | sed 's|bench/run_||; s|\.sh$||') >&2
  exit 2
fi
shift
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
cmake -S . -B build-bench "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DTATAMI_BUILD_TESTS=ON \
  -DTATAMI_BUILD_BENCH=ON >/dev/null
cmake --build build-bench -j "$(nproc)" >/dev/null
export TATAMI_BUILD_DIR="$PWD/build-bench"
exec bash "bench/run_${name}.sh" "$@"
