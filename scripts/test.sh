#!/usr/bin/env bash
# Builds tatami and runs its tests under ctest, in two stages:
#   1. the whole suite, RelWithDebInfo build in build/;
#   2. the `unit` label under AddressSanitizer + UndefinedBehaviorSanitizer,
#      build in build-asan/ (only the targets those tests need).
#
#   scripts/test.sh            # both stages (what .ci/run runs)
#   scripts/test.sh --normal   # stage 1 only
#   scripts/test.sh --asan     # stage 2 only
#
# Arguments after -- go to ctest in each stage and replace stage 2's default
# selection (`-L unit`); stage 2 then builds every target
# (e.g. scripts/test.sh -- -R Framing, scripts/test.sh --asan -- -L soak).
set -euo pipefail
cd "$(dirname "$0")/.."

normal=1
asan=1
while [ $# -gt 0 ]; do
  case "$1" in
    --normal) asan=0 ;;
    --asan) normal=0 ;;
    --) shift; break ;;
    *) echo "test.sh: unknown option $1 (expected --normal, --asan, or -- CTEST_ARGS...)" >&2; exit 2 ;;
  esac
  shift
done
if [ $normal -eq 0 ] && [ $asan -eq 0 ]; then
  echo "test.sh: --normal and --asan each select one stage; give at most one" >&2
  exit 2
fi
ctest_args=("$@")

jobs=$(nproc)
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
launcher=()
# Rebuilds (and CI runs on a machine that built before) reuse compiled objects.
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # Paths relative to the checkout, so that another clone hits the same cache.
  export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
fi

# stage NAME BUILD_DIR TARGET CMAKE_ARGS... -- CTEST_ARGS...
stage() {
  local name=$1 dir=$2 target=$3 start=$SECONDS
  shift 3
  local cmake_args=()
  while [ "$1" != -- ]; do cmake_args+=("$1"); shift; done
  shift
  echo "test.sh: stage '$name' in $dir"
  cmake -S . -B "$dir" "${generator[@]}" "${launcher[@]}" "${cmake_args[@]}"
  cmake --build "$dir" -j "$jobs" --target "$target"
  local built=$SECONDS
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" "$@"
  echo "test.sh: stage '$name' passed: build $((built - start)) s, tests $((SECONDS - built)) s"
}

if [ $normal -eq 1 ]; then
  stage normal build all -- "${ctest_args[@]}"
fi
if [ $asan -eq 1 ]; then
  # Sanitizer reports with a stack trace; the first UB error already aborts
  # (-fno-sanitize-recover), leaks are reported at exit.
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
  # Compiling dominates this stage and instrumented code compiles 1.1-3x slower
  # than stage 1's; -O1 -g1 is markedly cheaper than -O2 -g, runs fast enough
  # and keeps file:line in reports. No libtorch: its plugin is the slowest file
  # to compile, and the tests that load it run in stage 1 (here they skip,
  # naming why).
  asan_cmake=(-DTATAMI_SANITIZE=ON -DTATAMI_BUILD_BENCH=OFF -DTATAMI_WITH_TORCH=OFF
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG")
  if [ ${#ctest_args[@]} -eq 0 ]; then
    stage asan build-asan tatami_tests_unit "${asan_cmake[@]}" -- -L unit
  else
    stage asan build-asan all "${asan_cmake[@]}" -- "${ctest_args[@]}"
  fi
fi
