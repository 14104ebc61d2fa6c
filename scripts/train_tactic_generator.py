#!/usr/bin/python3
"""Trains a small tactic generator of tatami's TorchScript contract on
(proof state, tactic) pairs.

The model is a T5 encoder-decoder over ByT5 bytes (t5_generator.py, the
architecture of ReProver's tactic generator) with small dimensions, trained
from scratch with Adam on the cross-entropy of each tactic given its state,
as ReProver trains its generator. It is meant for demos and tests on a CPU:
on a few hundred pairs it learns them in minutes on two cores. It will not
prove new theorems.

    /usr/bin/python3 scripts/train_tactic_generator.py DATA... -o model.pt [--steps 600]

DATA are files or directories (searched for *.json and *.jsonl) in any of
these formats:
  * JSON Lines: one {"state": str, "tactic": str} per line;
  * LeanDojo Benchmark (a split file): a JSON list of theorems whose
    "traced_tactics" hold {"state_before", "tactic"};
  * InternLM-Math / LeanDojo search results: {"results": [{"attempt_results":
    [{"sstrace" or "trace": [{"state_before", "tactic"}, ...]}]}]}.
Duplicate pairs are kept once; steps whose state is "no goals" are skipped.

Training is deterministic in --seed and the data (on one machine; it stops
early only when --minutes runs out). At the end it reports how many training
pairs greedy decoding reproduces exactly.
"""

import argparse
import json
import os
import random
import sys
import time
from typing import Iterable, List, Tuple

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import t5_encoder  # noqa: E402
import t5_generator  # noqa: E402
from json_lines import read_json_lines  # noqa: E402

Pair = Tuple[str, str]


class DataError(Exception):
    pass


def pairs_from_json(data, source: str) -> List[Pair]:
    out: List[Pair] = []

    def add(step) -> None:
        if isinstance(step, dict) and isinstance(step.get("state_before"), str) and \
                isinstance(step.get("tactic"), str):
            out.append((step["state_before"], step["tactic"]))

    if isinstance(data, list):  # LeanDojo Benchmark split
        for theorem in data:
            if not isinstance(theorem, dict) or "traced_tactics" not in theorem:
                raise DataError(f"{source}: a JSON list but not a LeanDojo split (an element "
                                "without traced_tactics)")
            for step in theorem["traced_tactics"]:
                add(step)
        return out
    if isinstance(data, dict) and isinstance(data.get("results"), list):  # search results
        for result in data["results"]:
            for attempt in result.get("attempt_results", []):
                for step in attempt.get("sstrace") or attempt.get("trace") or []:
                    add(step)
        return out
    raise DataError(f"{source}: not a LeanDojo split or search results file")


def pairs_from_jsonl(path: str) -> List[Pair]:
    out: List[Pair] = []
    for n, row in read_json_lines(path, DataError):
        if not isinstance(row, dict) or not isinstance(row.get("state"), str) or \
                not isinstance(row.get("tactic"), str):
            raise DataError(f"{path}:{n}: expected {{\"state\": str, \"tactic\": str}}")
        out.append((row["state"], row["tactic"]))
    return out


def data_files(paths: Iterable[str]) -> List[str]:
    files: List[str] = []
    for path in paths:
        if os.path.isdir(path):
            for root, _, names in sorted(os.walk(path)):
                files += [os.path.join(root, n) for n in sorted(names)
                          if n.endswith((".json", ".jsonl"))]
        elif os.path.isfile(path):
            files.append(path)
        else:
            raise DataError(f"{path}: no such file or directory")
    return files


def load_pairs(paths: Iterable[str]) -> List[Pair]:
    seen, pairs = set(), []
    for path in data_files(paths):
        if path.endswith(".jsonl"):
            found = pairs_from_jsonl(path)
        else:
            try:
                with open(path, encoding="utf-8") as f:
                    data = json.load(f)
            except json.JSONDecodeError as e:
                raise DataError(f"{path}: not JSON: {e}") from e
            found = pairs_from_json(data, path)
        for pair in found:
            if pair[0].strip() == "no goals" or pair in seen:
                continue
            seen.add(pair)
            pairs.append(pair)
    return pairs


def greedy(module, state: str) -> str:
    """The model's most likely tactic, one token at a time."""
    ids, mask = t5_generator.byt5_batch([state], module.max_input_length)
    memory = module.encode(ids, mask)
    token = torch.tensor([module.decoder_start_token_id])
    cache: List[torch.Tensor] = []
    out: List[int] = []
    for _ in range(module.max_output_length - 1):
        logits, cache = module.decode_step(token, memory, cache)
        next_id = int(logits[0].argmax())
        if next_id == module.eos_token_id:
            break
        out.append(next_id)
        token = torch.tensor([next_id])
    return t5_generator.decode_bytes(out)


def length_bucketed_batches(pairs: List[Pair], batch_size: int,
                            rng: random.Random) -> List[List[Pair]]:
    """One epoch of batches in random order, each of pairs of similar state
    length (a batch is padded to its longest state: mixing lengths wastes
    most of the work)."""
    order = list(range(len(pairs)))
    rng.shuffle(order)
    batches: List[List[Pair]] = []
    window = batch_size * 16
    for begin in range(0, len(order), window):
        chunk = sorted(order[begin:begin + window], key=lambda i: len(pairs[i][0].encode()))
        batches += [[pairs[i] for i in chunk[b:b + batch_size]]
                    for b in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def train(pairs: List[Pair], args) -> torch.nn.Module:
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    config = t5_generator.T5GeneratorConfig(
        d_model=args.d_model, d_kv=args.d_model // args.heads, d_ff=2 * args.d_model,
        num_layers=args.layers, num_decoder_layers=args.layers, num_heads=args.heads)
    model = t5_generator.TacticGenerator(config, args.max_input_length, args.max_output_length)
    # Training inputs are cut shorter than the model's limit: long states are
    # rare, and their tails cost time a small demo model cannot use.
    model.max_input_length = min(args.max_input_length, args.train_input_length)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr,
                                                   total_steps=args.steps, pct_start=0.1)
    batches: List[List[Pair]] = []
    started = time.monotonic()
    model.train()
    for step in range(1, args.steps + 1):
        if not batches:
            batches = length_bucketed_batches(pairs, args.batch_size, rng)
        batch = batches.pop()
        loss = t5_generator.sequence_loss(model, [s for s, _ in batch], [t for _, t in batch])
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        elapsed = time.monotonic() - started
        if step % 50 == 0 or step == args.steps:
            print(f"step {step}/{args.steps}  loss {loss.item():.4f}  {elapsed:.0f} s", flush=True)
        if args.minutes and elapsed > 60 * args.minutes:
            print(f"stopping at step {step}: --minutes {args.minutes} reached", flush=True)
            break
    model.max_input_length = args.max_input_length
    return model.eval()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", nargs="+", help="training data files or directories")
    parser.add_argument("-o", "--output", required=True, help="TorchScript file to write")
    parser.add_argument("--steps", type=int, default=600, help="optimizer steps (default 600)")
    parser.add_argument("--minutes", type=float, default=0,
                        help="stop after this much training time (default: no limit)")
    parser.add_argument("--batch-size", type=int, default=16, help="pairs per step (default 16)")
    parser.add_argument("--lr", type=float, default=3e-3, help="peak learning rate (default 3e-3)")
    parser.add_argument("--d-model", type=int, default=64, help="model width (default 64)")
    parser.add_argument("--heads", type=int, default=4, help="attention heads (default 4)")
    parser.add_argument("--layers", type=int, default=2,
                        help="encoder and decoder blocks each (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--max-input-length", type=int,
                        default=t5_generator.REPROVER_MAX_INPUT_LENGTH,
                        help="the model's input budget, </s> included (default ReProver's 2300)")
    parser.add_argument("--max-output-length", type=int, default=256,
                        help="the model's decoder budget, start token included (default 256)")
    parser.add_argument("--train-input-length", type=int, default=256,
                        help="inputs are cut to this many tokens while training (default 256)")
    parser.add_argument("--threads", type=int, default=0,
                        help="torch threads (default 0: one per core)")
    parser.add_argument("--check", type=int, default=50,
                        help="training pairs checked by greedy decoding at the end (default 50)")
    args = parser.parse_args()
    if args.d_model % args.heads != 0:
        print("train_tactic_generator: --d-model must be a multiple of --heads", file=sys.stderr)
        return 2
    if args.steps < 1 or args.batch_size < 1:
        print("train_tactic_generator: --steps and --batch-size must be positive", file=sys.stderr)
        return 2
    try:
        pairs = load_pairs(args.data)
    except (DataError, OSError, UnicodeDecodeError) as e:
        print(f"train_tactic_generator: {e}", file=sys.stderr)
        return 1
    if not pairs:
        print("train_tactic_generator: no (state, tactic) pairs in the data", file=sys.stderr)
        return 1
    print(f"{len(pairs)} distinct (state, tactic) pairs", flush=True)
    torch.set_num_threads(args.threads if args.threads > 0 else max(1, os.cpu_count() or 1))
    model = train(pairs, args)
    with torch.no_grad():
        scripted = torch.jit.script(model)
        t5_encoder.save_atomically(scripted, args.output)
        module = torch.jit.load(args.output)
        t5_generator.check_contract(module)
        checked = pairs[:args.check]
        exact = sum(greedy(module, s) == t for s, t in checked)
    print(f"wrote {args.output}: greedy decoding reproduces {exact} of the first "
          f"{len(checked)} training pairs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
