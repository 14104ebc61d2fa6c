#!/usr/bin/env bash
# Builds tatami and runs the test suite under ctest.
#   scripts/test.sh            # RelWithDebInfo build in build/
#   scripts/test.sh --asan     # ASan+UBSan build in build-asan/
# Extra arguments after -- go to ctest (e.g. -- -L unit, -- -R Framing).
set -euo pipefail
cd "$(dirname "$0")/.."

build=build
cmake_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --asan) build=build-asan; cmake_args+=(-DTATAMI_SANITIZE=ON -DTATAMI_BUILD_BENCH=OFF) ;;
    --) shift; break ;;
    *) echo "test.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
# Rebuilds (and CI runs on a machine that built before) reuse compiled objects.
if command -v ccache >/dev/null 2>&1; then
  cmake_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # Paths relative to the checkout, so that another clone hits the same cache.
  export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
fi
cmake -S . -B "$build" "${generator[@]}" "${cmake_args[@]}"
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" "$@"
