#!/usr/bin/env bash
# The bundled example: builds the `tatami` CLI and the REPL test double, then
# runs `tatami repl` on examples/nat_add.in. The double answers from the
# scripted proof-state graph tests/repl_double/examples/nat_add.json in the
# REPL's response shapes; it is a stand-in for Lean, not Lean.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
fi
cmake -S . -B "$build" "${generator[@]}" "${launcher[@]}" >/dev/null
cmake --build "$build" -j "$(nproc)" --target tatami tatami-repl-double >/dev/null

double="$build/tests/repl_double/tatami-repl-double"
echo "== tatami repl, serving examples/nat_add.in through the REPL test double" >&2
"$build/apps/tatami" repl --timeout 10 \
  --repl-cmd "$double --script tests/repl_double/examples/nat_add.json" \
  < examples/nat_add.in
