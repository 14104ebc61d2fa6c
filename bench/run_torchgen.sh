#!/usr/bin/env bash
# TorchScript tactic generator: time per candidate of beam search at batch 1
# and 16 (tatami-bench-torchgen), on a random model of a chosen size with the
# decoder budget fixed, so that every beam does the same work whatever the
# weights. Run through scripts/bench.sh torchgen [--size demo|byt5-small|tiny]
# [bench options...].
set -euo pipefail
cd "$(dirname "$0")/.."

build="${TATAMI_BUILD_DIR:-build-bench}"
bench="$build/bench/tatami-bench-torchgen"
python=/usr/bin/python3
size=demo
if [ "${1:-}" = "--size" ]; then
  size="$2"
  shift 2
fi
for f in "$bench" "$python"; do
  [ -x "$f" ] || { echo "run_torchgen.sh: $f not found (run via scripts/bench.sh torchgen)" >&2; exit 1; }
done
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$python" scripts/make_test_generator.py -o "$out/model.pt" --size "$size" --max-output-length 33
echo "model: random, size $size"
"$bench" --model "$out/model.pt" "$@"
