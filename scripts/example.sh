#!/usr/bin/env bash
# The bundled example: `tatami prove` (best-first proof search) on miniF2F
# theorems, guided by a small TorchScript tactic generator, against the REPL
# test double serving a proof-state graph made of REAL recorded Lean states.
#
#   1. scripts/make_demo.py builds, from the fixtures (recorded Lean results,
#      never part of the repository), the graph, the theorems and the
#      (state, tactic) training pairs into build/demo/;
#   2. scripts/train_tactic_generator.py trains the generator on those pairs
#      (deterministic in its seed; cached in build/demo/, retrained only when
#      the pairs, the training scripts or the settings change);
#   3. tatami prove searches every theorem; results JSON Lines and the search
#      trees (JSON and Graphviz DOT) go to build/demo/.
#
# The double replays recorded Lean results and the model has seen these
# proofs: the example shows the machinery, not proving ability.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
demo="$build/demo"
python=/usr/bin/python3  # Debian's, which has torch (scripts/setup.sh)
fixtures="${TATAMI_FIXTURES:-../shared/fixtures}"

# The training budget and the search settings (docs/search.md, "The bundled
# example"): with 600 steps the model finds 83 of the 84 proofs, with 300 69.
max_steps=2       # theorems whose recorded proofs have at most this many tactics
# One torch thread: this small model gains little from a second one, and on a
# machine busy with other work two threads spin-wait (5x the CPU time per
# step was measured at load 20).
train_args=(--steps 600 --seed 0 --d-model 64 --heads 4 --layers 2 --batch-size 16 --threads 1)
num_tactics=8     # beam width = candidates per expansion
max_expansions=16 # per theorem

if [ ! -d "$fixtures/search-results-internlm-minif2f" ] || [ ! -f "$fixtures/benchmarks/minif2f.jsonl" ]; then
  cat >&2 <<EOF
example.sh: the recorded Lean results this example replays are missing:
  $fixtures/search-results-internlm-minif2f/ and $fixtures/benchmarks/minif2f.jsonl
Download them with scripts/fetch-fixtures.sh (into ../shared/fixtures next to
the repository), or point TATAMI_FIXTURES at a folder that has them.
EOF
  exit 1
fi

generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
fi
echo "== building tatami, the REPL test double and the TorchScript generator plugin" >&2
cmake -S . -B "$build" "${generator[@]}" "${launcher[@]}" >/dev/null
cmake --build "$build" -j "$(nproc)" --target tatami tatami-repl-double tatami_torch_generator >/dev/null

echo "== building the demo from the recorded results in $fixtures" >&2
mkdir -p "$demo"
"$python" scripts/make_demo.py --fixtures "$fixtures" -o "$demo" --max-steps "$max_steps"

# The cached model is reused while its inputs are the same.
key=$(cat "$demo/pairs.jsonl" scripts/train_tactic_generator.py scripts/t5_generator.py \
          scripts/t5_encoder.py <(echo "${train_args[*]}") | sha256sum | cut -d' ' -f1)
if [ -f "$demo/model.pt" ] && [ "$(cat "$demo/model.key" 2>/dev/null)" = "$key" ]; then
  echo "== reusing the trained generator $demo/model.pt" >&2
else
  echo "== training the tactic generator on the recorded (state, tactic) pairs (once; a few minutes on 2 cores)" >&2
  rm -f "$demo/model.key"
  "$python" scripts/train_tactic_generator.py "$demo/pairs.jsonl" -o "$demo/model.pt" \
    "${train_args[@]}" --check 20
  echo "$key" > "$demo/model.key"
fi

cat >&2 <<'EOF'
== tatami prove: best-first search on miniF2F theorems
   NOTE: the environment REPLAYS RECORDED LEAN RESULTS (states that InternLM2-Math
   provers reached in real Lean through LeanDojo; any other tactic gets Lean's
   recorded "unknown tactic" error), and the model was TRAINED ON THESE PROOFS.
   This shows the machinery (search, batching, model, workers), not proving ability.
EOF
rm -f "$demo/results.jsonl"
rm -rf "$demo/trees"
double="$build/tests/repl_double/tatami-repl-double"
"$build/apps/tatami" prove "$demo/theorems.jsonl" -o "$demo/results.jsonl" \
  --tree-dir "$demo/trees" --generator "torchscript:$demo/model.pt" \
  --repl-cmd "$double --script $demo/graph.json" \
  --jobs 2 --num-tactics "$num_tactics" --max-expansions "$max_expansions" --timeout 60

"$python" - "$demo/results.jsonl" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
proved = [r for r in rows if r["status"] == "proved"]
print(f"\nproved {len(proved)} / {len(rows)} miniF2F theorems (recorded environment, "
      "model trained on these proofs)")
# A few proofs, the longest first.
for r in sorted(proved, key=lambda r: (-len(r["proof"]), r["name"]))[:5]:
    print(f"  {r['name']} ({r['expansions']} expansions, {r['states']} states):")
    for tactic in r["proof"]:
        print(f"    {tactic}")
EOF
echo "results: $demo/results.jsonl; search trees (JSON, DOT): $demo/trees/" >&2
