"""`tatami prove --index --encoder`: the generator sees the retrieved premises
before the state, in ReProver's order.

The generator is an "echo" TorchScript module of tatami's generator contract
(docs/generator.md) whose most likely output is the first line of its input.
ReProver's augmented input is "P_k\\n\\n...P_2\\n\\nP_1\\n\\nSTATE" (the best
premise nearest the state), so with two premises the echo proposes the text
of the SECOND best premise, and the scripted REPL double closes the goal with
that tactic only. The premises' ranking comes from `tatami retrieve` with the
same index and encoder (a test encoder from scripts/make_test_encoder.py over
a small synthetic corpus). Also: without --index the echo proposes the
state's first line and the theorem fails; a missing index, a mismatched
encoder, --index without --encoder and --index-in-memory without --index are
refused with exit status 2 and a message naming the problem; with
--index-in-memory (the index's embeddings copied into memory) the proof is
the same.

usage: prove_retrieval_test.py --tatami BIN --double BIN
Exit 0 on success, 1 on a failure, 77 when this Python has no torch.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from typing import List, Tuple

try:
    import torch
    from torch import Tensor, nn
except ImportError:
    print("SKIPPED: this Python has no torch (Debian: python3-torch)")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.join(HERE, "..", "..", "scripts")
STATE = "n : Nat\n⊢ n + 0 = n"
CORPUS_FILE = "Demo/Premises.lean"
# One-line premises: the echo proposes a whole premise.
PREMISES = [
    ("nat_add_zero_demo", "theorem nat_add_zero_demo (n : Nat) : n + 0 = n"),
    ("nat_zero_add_demo", "theorem nat_zero_add_demo (n : Nat) : 0 + n = n"),
    ("nat_mul_one_demo", "theorem nat_mul_one_demo (n : Nat) : n * 1 = n"),
    ("nat_succ_ne_zero_demo", "theorem nat_succ_ne_zero_demo (n : Nat) : n + 1 ≠ 0"),
]



class Echo(nn.Module):
    """Proposes the first line of its input (up to a newline or the end)."""

    def __init__(self):
        super().__init__()
        self.contract_version = 1
        self.tokenizer = "byt5"
        self.vocab_size = 384
        self.max_input_length = 2300
        self.max_output_length = 512
        self.decoder_start_token_id = 0
        self.eos_token_id = 1
        self.pad_token_id = 0

    def forward(self, input_ids: Tensor) -> Tensor:
        return input_ids

    @torch.jit.export
    def encode(self, input_ids: Tensor, attention_mask: Tensor) -> List[Tensor]:
        # A copy: the caller may free its input buffer once encode returns.
        return [input_ids.clone()]

    @torch.jit.export
    def decode_step(self, tokens: Tensor, memory: List[Tensor],
                    cache: List[Tensor]) -> Tuple[Tensor, List[Tensor]]:
        ids = memory[0]
        m = tokens.size(0)
        position = 0 if len(cache) == 0 else cache[0].size(1)
        if position < ids.size(1):
            nxt = ids[:, position]
        else:
            nxt = torch.full([m], 1, dtype=torch.long)
        stop = (nxt == 13) | (nxt == 0)  # 13: the newline byte (ByT5 ids are bytes + 3)
        nxt = torch.where(stop, torch.ones_like(nxt), nxt)
        logits = torch.zeros([m, 384])
        logits.scatter_(1, nxt.unsqueeze(1), 20.0)
        step = tokens.unsqueeze(1)
        new_cache = [step] if len(cache) == 0 else [torch.cat([cache[0], step], 1)]
        return logits, new_cache


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tatami", required=True)
    ap.add_argument("--double", required=True)
    args = ap.parse_args()
    failures = []

    def check(ok, text):
        if not ok:
            failures.append(text)
            print("FAIL: " + text)

    with tempfile.TemporaryDirectory(prefix="tatami_prove_retrieval_") as tmp:
        path = lambda name: os.path.join(tmp, name)  # noqa: E731
        echo = torch.jit.script(Echo().eval())
        echo.save(path("echo.pt"))
        for name, seed in (("enc.pt", "0"), ("other.pt", "1")):
            r = run([sys.executable, os.path.join(SCRIPTS, "make_test_encoder.py"),
                     "-o", path(name), "--seed", seed])
            if r.returncode != 0:
                print(f"make_test_encoder.py failed: {r.stderr}")
                return 1
        premises = [{"full_name": n, "code": c, "start": [i + 1, 0], "end": [i + 1, len(c)],
                     "kind": "commanddeclaration"} for i, (n, c) in enumerate(PREMISES)]
        with open(path("corpus.jsonl"), "w", encoding="utf-8") as f:
            f.write(json.dumps({"path": CORPUS_FILE, "imports": [], "premises": premises},
                               ensure_ascii=False) + "\n")
        r = run([args.tatami, "index", "build", "--corpus", path("corpus.jsonl"),
                 "--encoder", path("enc.pt"), "-o", path("premises.idx")])
        if r.returncode != 0:
            print(f"tatami index build failed: {r.stderr}")
            return 1
        # The ranking, as `tatami retrieve` gives it where every premise is accessible.
        r = run([args.tatami, "retrieve", "--index", path("premises.idx"),
                 "--encoder", path("enc.pt"), "--file", CORPUS_FILE, "--line", "100",
                 "--column", "0", "--k", "4", "--json", STATE])
        ranked = [p["full_name"] for p in json.loads(r.stdout)["premises"]]
        check(sorted(ranked) == sorted(n for n, _ in PREMISES), f"retrieve gave {ranked}")
        code = dict(PREMISES)
        second = ranked[1]
        # The generator's input marks the premise's name (<a>NAME</a>, PremiseText);
        # tactics come out with the marks removed, as ReProver's remove_marks does.
        expected = code[second]

        graph = {"theorems": [{"statement": "theorem demo_add_zero (n : Nat) : n + 0 = n",
                               "goal": STATE}],
                 "states": [{"goals": [STATE], "tactics": {expected: {"goals": []}}}]}
        with open(path("graph.json"), "w", encoding="utf-8") as f:
            json.dump(graph, f, ensure_ascii=False)
        with open(path("in.jsonl"), "w", encoding="utf-8") as f:
            f.write(json.dumps({"name": "demo_add_zero", "header": "",
                                "formal_statement": "theorem demo_add_zero (n : Nat) : "
                                                    "n + 0 = n := by sorry"}) + "\n")

        def prove(out, *extra):
            return run([args.tatami, "prove", path("in.jsonl"), "-o", path(out),
                        "--no-progress", "--num-tactics", "4", "--max-expansions", "2",
                        "--generator", "torchscript:" + path("echo.pt"),
                        "--repl-cmd", f"{args.double} --script {path('graph.json')}", *extra])

        def result(out):
            with open(path(out), encoding="utf-8") as f:
                return json.loads(f.readline())

        r = prove("with.jsonl", "--index", path("premises.idx"), "--encoder", path("enc.pt"),
                  "--num-premises", "2", "--tree-dir", path("trees"))
        check(r.returncode == 0, f"prove with --index exited {r.returncode}: {r.stderr}")
        if r.returncode == 0:
            line = result("with.jsonl")
            check(line["status"] == "proved" and line["proof"] == [expected],
                  f"with two premises: {line}, expected the proof [{expected!r}]")
            if line["proof"] != [expected]:
                with open(path("trees/demo_add_zero.json"), encoding="utf-8") as f:
                    print("the search tree: " + f.read())
            check(line["generator"].endswith("+retrieval"), f"generator {line['generator']}")

        r = prove("in_memory.jsonl", "--index", path("premises.idx"), "--encoder",
                  path("enc.pt"), "--num-premises", "2", "--index-in-memory")
        check(r.returncode == 0, f"prove --index-in-memory exited {r.returncode}: {r.stderr}")
        if r.returncode == 0:
            line = result("in_memory.jsonl")
            check(line["status"] == "proved" and line["proof"] == [expected],
                  f"with --index-in-memory: {line}, expected the proof [{expected!r}]")

        # Per theorem premises, from a LeanDojo split file: two theorems with
        # the same goal searched at once (their states may share model batches),
        # one in the premises' file after them (all four accessible: proved
        # as above), one in a file of the index that has none and imports
        # nothing (no premises: the echo proposes the state's first line,
        # which fails).
        os.makedirs(path("project/Demo"))
        for rel, name in (("Demo/Premises.lean", "demo_after"), ("Demo/Early.lean", "demo_early")):
            with open(path("project/" + rel), "w", encoding="utf-8") as f:
                f.write(f"theorem {name} (n : Nat) : n + 0 = n := by\n  sorry\n")
        with open(path("corpus2.jsonl"), "w", encoding="utf-8") as f:
            f.write(json.dumps({"path": CORPUS_FILE, "imports": [], "premises": premises},
                               ensure_ascii=False) + "\n")
            f.write(json.dumps({"path": "Demo/Early.lean", "imports": [], "premises": []}) + "\n")
        r = run([args.tatami, "index", "build", "--corpus", path("corpus2.jsonl"),
                 "--encoder", path("enc.pt"), "-o", path("premises2.idx")])
        check(r.returncode == 0, f"tatami index build (two files) failed: {r.stderr}")
        with open(path("split.json"), "w", encoding="utf-8") as f:
            json.dump([{"file_path": CORPUS_FILE, "full_name": "demo_after", "start": [100, 0]},
                       {"file_path": "Demo/Early.lean", "full_name": "demo_early",
                        "start": [1, 0]}], f)
        graph2 = {"theorems": [{"statement": f"theorem {n} (n : Nat) : n + 0 = n", "goal": STATE}
                               for n in ("demo_after", "demo_early")],
                  "states": graph["states"]}
        with open(path("graph2.json"), "w", encoding="utf-8") as f:
            json.dump(graph2, f, ensure_ascii=False)
        r = run([args.tatami, "prove", path("split.json"), "-o", path("split_out.jsonl"),
                 "--no-progress", "--num-tactics", "4", "--max-expansions", "2", "--jobs", "2",
                 "--project", path("project"), "--generator", "torchscript:" + path("echo.pt"),
                 "--repl-cmd", f"{os.path.abspath(args.double)} --script {path('graph2.json')}",
                 "--index", path("premises2.idx"), "--encoder", path("enc.pt"),
                 "--num-premises", "2"])
        check(r.returncode == 0, f"prove on the split exited {r.returncode}: {r.stderr}")
        if r.returncode == 0:
            with open(path("split_out.jsonl"), encoding="utf-8") as f:
                lines = {j["name"]: j for j in map(json.loads, f)}
            after, early = lines.get("demo_after", {}), lines.get("demo_early", {})
            check(after.get("status") == "proved" and after.get("proof") == [expected],
                  f"the theorem after the premises: {after}, expected the proof [{expected!r}]")
            check(early.get("status") == "failed",
                  f"the theorem in a file with no premises: {early}, expected failed")

        # A rerun with another index keeps the earlier result, and says that
        # it was searched with other settings.
        r = prove("with.jsonl", "--index", path("premises2.idx"), "--encoder", path("enc.pt"),
                  "--num-premises", "2")
        check(r.returncode == 0, f"prove rerun with another index exited {r.returncode}: {r.stderr}")
        check("searched with other settings" in r.stderr and "premises2.idx" in r.stderr,
              f"a rerun with another index does not warn: {r.stderr}")
        with open(path("with.jsonl"), encoding="utf-8") as f:
            lines = [json.loads(l) for l in f]
        check(len(lines) == 1 and lines[0]["settings"]["index"] == path("premises.idx"),
              f"after the rerun: {lines}")

        r = prove("without.jsonl")
        check(r.returncode == 0, f"prove without --index exited {r.returncode}: {r.stderr}")
        if r.returncode == 0:
            line = result("without.jsonl")
            check(line["status"] == "failed", f"without premises: {line}")

        for extra, needle, what in [
            (["--index", path("missing.idx"), "--encoder", path("enc.pt")], "missing.idx",
             "a missing index"),
            (["--index", path("premises.idx"), "--encoder", path("other.pt")],
             "was built with encoder", "a mismatched encoder"),
            (["--index", path("premises.idx")], "--index and --encoder go together",
             "--index alone"),
            (["--index-in-memory"], "--index-in-memory needs --index",
             "--index-in-memory alone"),
            (["--index", path("premises.idx"), "--encoder", path("enc.pt"),
              "--num-premises", "0"], "--num-premises", "--num-premises 0"),
        ]:
            r = prove("refused.jsonl", *extra)
            check(r.returncode == 2 and needle in r.stderr,
                  f"{what}: exit {r.returncode}, stderr {r.stderr.strip()!r}")
            check(not os.path.exists(path("refused.jsonl")) or
                  os.path.getsize(path("refused.jsonl")) == 0,
                  f"{what}: a result was written")

    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
