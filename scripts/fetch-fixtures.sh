#!/usr/bin/env bash
# Fetches the public originals of the recorded Lean behaviour that tatami's
# tests use as ground truth, for users who have internet access.
#
# It fetches repl-transcripts/ (with history/), check-transcripts-kimina/,
# search-results-internlm-minif2f/, benchmarks/ and
# leandojo-benchmark4-sample/. It does NOT fetch lean-messages/: that folder
# is a curated set of single messages copied from test outputs of several
# repositories (leanprover/lean4, leanprover/reference-manual,
# leanprover-community/mathlib4 and aesop, lean-ja/lean-by-example,
# VCA-EPFL/graphiti), each entry citing its source file and commit, and no
# script can rebuild it from one origin. Tests that need it skip (or fail in
# CI) when it is absent; obtain it together with the other fixtures.
#
#   scripts/fetch-fixtures.sh [DEST]
#
# DEST defaults to $TATAMI_FIXTURES, else ../shared/fixtures next to the
# repository (the directory the build looks in by default). Each source is
# pinned to the commit the tests were written against.
set -euo pipefail
repo_root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${1:-${TATAMI_FIXTURES:-$repo_root/../shared/fixtures}}"

REPL_COMMIT=8948401ab4924499421c94b7facdfca5ff27d81d         # Lean v4.33.0-rc2
REPL_V4_19_COMMIT=d920817f334e1d8d27c8ca35e52c736a8c8818b0   # Lean v4.19.0
REPL_V4_9_COMMIT=3b27c8543a48444ffab4077f47526d91849cca3d    # Lean v4.9.0
KIMINA_COMMIT=fb2393de3461db35eda4c714e3fd21187e92ec90
INTERNLM_COMMIT=eaead17
DEEPSEEK_COMMIT=2c4ba91
# LeanDojo Benchmark 4 built from mathlib4 @ 29dcec07 (LeanDojo 2.0.0). Zenodo
# keeps every version under one concept DOI (10.5281/zenodo.8040109); set
# LEANDOJO_BENCHMARK_URL to the tarball of the version you want.
LEANDOJO_MATHLIB_COMMIT=29dcec074de168ac2bf835a77ef68bbe069194c5
LEANDOJO_BENCHMARK_URL="${LEANDOJO_BENCHMARK_URL:-https://zenodo.org/records/12740403/files/leandojo_benchmark_4.tar.gz?download=1}"

die() { echo "fetch-fixtures: $*" >&2; exit 1; }
for tool in git curl python3 unzip tar; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is required but not installed"
done
# Fail fast, with a message that says why, when there is no network.
if ! curl -sS --head --max-time 8 https://github.com >/dev/null 2>&1; then
  die "cannot reach github.com: this script needs internet access (nothing was changed)"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$dest"

clone_at() {  # clone_at URL COMMIT DIR
  git init -q "$3"
  git -C "$3" remote add origin "$1"
  git -C "$3" fetch -q --depth 1 origin "$2" || git -C "$3" fetch -q origin
  git -C "$3" checkout -q "$2"
}

copy_transcripts() {  # copy_transcripts SRC_TEST_DIR OUT_DIR
  mkdir -p "$2"
  find "$1" -maxdepth 1 -type f \( -name '*.in' -o -name '*.expected.out' -o -name '*.lean' \) \
    -exec cp {} "$2"/ \;
  if [ -d "$1/Mathlib" ]; then cp -r "$1/Mathlib" "$2/"; fi
}

echo "fetch-fixtures: REPL transcripts (leanprover-community/repl)"
clone_at https://github.com/leanprover-community/repl "$REPL_COMMIT" "$work/repl"
copy_transcripts "$work/repl/test" "$dest/repl-transcripts"
cp "$work/repl/LICENSE" "$dest/repl-transcripts/LICENSE.upstream"
for pair in "v4.19.0:$REPL_V4_19_COMMIT" "v4.9.0:$REPL_V4_9_COMMIT"; do
  version="${pair%%:*}" commit="${pair#*:}"
  git -C "$work/repl" fetch -q --depth 1 origin "$commit" || true
  git -C "$work/repl" checkout -q "$commit"
  out="$dest/repl-transcripts/history/$version"
  copy_transcripts "$work/repl/test" "$out"
  cp "$work/repl/lean-toolchain" "$out/lean-toolchain"
  echo "$commit" >"$out/COMMIT"
done

echo "fetch-fixtures: whole-proof check transcripts (project-numina/kimina-lean-server)"
clone_at https://github.com/project-numina/kimina-lean-server "$KIMINA_COMMIT" "$work/kimina"
mkdir -p "$dest/check-transcripts-kimina"
cp -r "$work/kimina/tests/match" "$dest/check-transcripts-kimina/"
cp "$work/kimina/LICENSE" "$dest/check-transcripts-kimina/LICENSE.upstream"

echo "fetch-fixtures: search results (InternLM/InternLM-Math)"
clone_at https://github.com/InternLM/InternLM-Math "$INTERNLM_COMMIT" "$work/internlm"
mkdir -p "$dest/search-results-internlm-minif2f"
unzip -q -o "$work/internlm/minif2f/output.zip" -d "$work/internlm-out"
find "$work/internlm-out" -mindepth 1 -maxdepth 2 -type d -name '*minif2f_test' \
  -exec cp -r {} "$dest/search-results-internlm-minif2f/" \;
cp "$work/internlm/LICENSE" "$dest/search-results-internlm-minif2f/LICENSE.upstream"

echo "fetch-fixtures: miniF2F / ProofNet statements (deepseek-ai/DeepSeek-Prover-V1.5)"
clone_at https://github.com/deepseek-ai/DeepSeek-Prover-V1.5 "$DEEPSEEK_COMMIT" "$work/deepseek"
mkdir -p "$dest/benchmarks"
cp "$work/deepseek/datasets/"{minif2f.jsonl,minif2f_valid_few_shot.jsonl,proofnet.jsonl} "$dest/benchmarks/"
cp "$work/deepseek/LICENSE" "$dest/benchmarks/LICENSE.deepseek-prover"

echo "fetch-fixtures: LeanDojo Benchmark 4 sample (zenodo)"
curl -fL --retry 3 -o "$work/ldb4.tar.gz" "$LEANDOJO_BENCHMARK_URL" \
  || die "could not download LeanDojo Benchmark 4 from $LEANDOJO_BENCHMARK_URL"
tar -xzf "$work/ldb4.tar.gz" -C "$work"
ldb="$(dirname "$(find "$work" -path '*random/test.json' | head -n 1)")/.."
[ -f "$ldb/random/test.json" ] || die "the LeanDojo tarball has no random/test.json"
mkdir -p "$dest/leandojo-benchmark4-sample/random"
cp "$ldb/metadata.json" "$dest/leandojo-benchmark4-sample/"
[ -d "$ldb/licenses" ] && cp -r "$ldb/licenses" "$dest/leandojo-benchmark4-sample/"
python3 - "$ldb/random/test.json" "$dest/leandojo-benchmark4-sample/random/test.prefix.json" <<'PY'
import json, sys
theorems = json.load(open(sys.argv[1], encoding="utf-8"))
json.dump(theorems[:23], open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
PY
if ! grep -q "$LEANDOJO_MATHLIB_COMMIT" "$dest/leandojo-benchmark4-sample/metadata.json"; then
  echo "fetch-fixtures: warning: this LeanDojo Benchmark 4 version was not built from mathlib4 @" \
       "$LEANDOJO_MATHLIB_COMMIT; tests written against that version may disagree" >&2
fi

echo "fetch-fixtures: done; fixtures are in $dest"
if [ ! -d "$dest/lean-messages" ]; then
  echo "fetch-fixtures: note: lean-messages/ is not fetched by this script (a curated set of" \
       "messages from several repositories); tests that read it skip until it is in $dest" >&2
fi
echo "fetch-fixtures: if that is not ../shared/fixtures next to the repository, export TATAMI_FIXTURES=$dest"
