#!/usr/bin/env bash
# Environment steps per second from Python: tatami.VecEnv (N = 1, 8) against a
# straightforward asyncio Python client of the REPL (bench/repl_latency.py's,
# one process per environment), both on the REPL double in --script mode on
# the demo graph. Run through scripts/bench.sh env [--steps 4000] [--rounds 7]
# [--sizes LIST] [--nice N].
#
# Both sides run the same episodes and check finished proofs from scratch
# (bench/env_bench.py says exactly what each does). Every (side, N) runs once
# per round, in an order rotated every round; steps/s are medians over
# rounds, ratios medians of the per-round ratios. --nice N (default -10;
# 0 = leave alone) raises the priority of the whole run when permitted.
set -euo pipefail
cd "$(dirname "$0")/.."

steps=4000
rounds=7
sizes=1,8
nice_level=-10
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) steps="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --sizes) sizes="$2"; shift 2 ;;
    --nice) nice_level="$2"; shift 2 ;;
    *) echo "run_env.sh: unknown argument '$1' (expected --steps N, --rounds N," \
         "--sizes 1,8, --nice N)" >&2; exit 2 ;;
  esac
done

build="${TATAMI_BUILD_DIR:-build-bench}"
double="$build/tests/repl_double/tatami-repl-double"
module_dir="$build/python"
if [ ! -x "$double" ]; then
  echo "run_env.sh: $double not built (run through scripts/bench.sh env)" >&2; exit 1
fi
if ! ls "$module_dir"/tatami/_tatami*.so >/dev/null 2>&1; then
  echo "run_env.sh: the tatami Python module is not built in $module_dir" \
       "(needs pybind11-dev and python3-dev: scripts/setup.sh)" >&2; exit 1
fi
if [ "$nice_level" != 0 ] && renice -n "$nice_level" -p $$ >/dev/null 2>&1; then
  priority="nice $nice_level"
else
  priority="normal (nice 0)"
fi
echo "priority: $priority; load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

PYTHONPATH="$module_dir" /usr/bin/python3 bench/env_bench.py --steps "$steps" --rounds "$rounds" \
  --sizes "$sizes" -- "$double" --script tests/repl_double/examples/nat_add.json 2> >(grep -v '^tatami-repl-double: Lean REPL test double' >&2)
