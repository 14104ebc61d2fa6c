#!/usr/bin/env bash
# What fixture-reading test binaries do when the fixtures are absent:
#   fixtures_policy_test.sh PARAM_SUITE_BINARY [OTHER_BINARY...]
# Each binary is run with TATAMI_FIXTURES pointing at an empty folder and at a
# missing one. Without CI/TATAMI_REQUIRE_FIXTURES it must pass with visible
# skips naming the folder; with TATAMI_REQUIRE_FIXTURES=1 or CI=true it must
# fail. The first binary has a parameterised suite built from the fixtures:
# its "found no cases" test must be among the skipped, then the failed.
# A filter naming no test of the binary (a stale ctest listing) must fail too.
set -uo pipefail

[ $# -ge 1 ] || { echo "usage: $0 PARAM_SUITE_BINARY [OTHER_BINARY...]" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/empty"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# run NAME FIXTURES [VAR=VALUE...] -- BINARY [ARGS...]: output in $tmp/NAME.out, status in $rc.
run() {
  local name=$1 fixtures=$2
  shift 2
  local vars=()
  while [ "$1" != -- ]; do vars+=("$1"); shift; done
  shift
  env -u CI -u TATAMI_REQUIRE_FIXTURES TATAMI_FIXTURES="$fixtures" "${vars[@]}" "$@" \
    >"$tmp/$name.out" 2>&1
  rc=$?
}

expect_in() {  # expect_in NAME TEXT: the output of run NAME contains TEXT
  grep -qF -- "$2" "$tmp/$1.out" || {
    fail "$1: output lacks '$2'"
    sed 's/^/    /' "$tmp/$1.out" | tail -n 30 >&2
  }
}

first=1
for bin in "$@"; do
  base=$(basename "$bin")
  for where in empty missing; do
    dir="$tmp/$where"
    # A user's machine: visible skips, a passing run, the folder named.
    run "$base.$where.user" "$dir" -- "$bin"
    [ "$rc" -eq 0 ] || fail "$base with $where fixtures, not required: exit $rc, expected 0"
    expect_in "$base.$where.user" "[  SKIPPED ]"
    expect_in "$base.$where.user" "fixtures not found at $dir"
    expect_in "$base.$where.user" "scripts/fetch-fixtures.sh"
    if grep -qF "[  FAILED  ]" "$tmp/$base.$where.user.out"; then
      fail "$base with $where fixtures, not required: a test failed"
    fi
    # CI, by either setting: a failing run.
    for setting in TATAMI_REQUIRE_FIXTURES=1 CI=true; do
      name="$base.$where.${setting%%=*}"
      run "$name" "$dir" "$setting" -- "$bin"
      [ "$rc" -ne 0 ] || fail "$base with $where fixtures and $setting: exit 0, expected failure"
      expect_in "$name" "[  FAILED  ]"
      expect_in "$name" "fixtures are required here"
    done
    if [ $first -eq 1 ]; then
      expect_in "$base.$where.user" "[  SKIPPED ] TranscriptConformanceCases.NotEmpty"
      expect_in "$base.$where.TATAMI_REQUIRE_FIXTURES" "[  FAILED  ] TranscriptConformanceCases.NotEmpty"
    fi
  done
  first=0
done

# A ctest entry whose test no longer exists in the binary.
run stale "$tmp/empty" -- "$1" --gtest_filter=NoSuchSuite.NoSuchTest
[ "$rc" -ne 0 ] || fail "a filter matching no test: exit 0, expected failure"
expect_in stale "no test matches --gtest_filter=NoSuchSuite.NoSuchTest"

if [ $failures -ne 0 ]; then
  echo "fixtures_policy_test: $failures failure(s)" >&2
  exit 1
fi
echo "fixtures_policy_test: ok ($# binaries)"
