#!/usr/bin/env bash
# Installs the built tree into a temporary prefix, then configures, builds and
# runs a separate project that uses find_package(tatami), tatami::dojo and tatami::env.
set -euo pipefail
build_dir="$1" source_dir="$2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build_dir" --prefix "$tmp/prefix" >/dev/null
test -f "$tmp/prefix/include/tatami/dojo/framing.h"
cmake -S "$source_dir/tests/install/consumer" -B "$tmp/build" \
  -DCMAKE_PREFIX_PATH="$tmp/prefix" ${CMAKE_GENERATOR:+-G "$CMAKE_GENERATOR"} >/dev/null
cmake --build "$tmp/build" >/dev/null
"$tmp/build/consumer"
