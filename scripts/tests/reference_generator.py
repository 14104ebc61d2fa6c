#!/usr/bin/python3
"""A reference for tatami's TorchScript generator: Hugging Face's beam search,
as ReProver calls generate() (num_beams = num_return_sequences, length_penalty
0, early_stopping False, do_sample False), written out in plain PyTorch over
the module's encode/decode_step, one request at a time as ReProver does.

    reference_generator.py --model gen.pt --requests requests.json -o expected.json

requests.json: {"requests": [{"state": str, "premises": [str], "num_candidates": int}],
                "max_input_length": int (optional), "max_output_length": int (optional)}
expected.json: {"candidates": [[[tactic, logprob], ...], ...]} (one list per request)
"""

import argparse
import json
import os
import sys
from typing import List, Tuple

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import t5_generator  # noqa: E402


class BeamHypotheses:
    """The finished hypotheses of one input (Hugging Face's class of this name)."""

    def __init__(self, num_beams: int):
        self.num_beams = num_beams
        self.beams: List[Tuple[float, List[int]]] = []
        self.worst_score = 1e9

    def add(self, hyp: List[int], sum_logprobs: float) -> None:
        score = sum_logprobs / (max(len(hyp), 1) ** 0.0)  # length_penalty 0
        if len(self.beams) < self.num_beams or score > self.worst_score:
            self.beams.append((score, hyp))
            if len(self.beams) > self.num_beams:
                ranked = sorted([(s, i) for i, (s, _) in enumerate(self.beams)])
                del self.beams[ranked[0][1]]
                self.worst_score = ranked[1][0]
            else:
                self.worst_score = min(score, self.worst_score)

    def is_done(self, best_sum_logprobs: float) -> bool:
        if len(self.beams) < self.num_beams:
            return False
        return self.worst_score >= best_sum_logprobs


def augmented_state(state: str, premises: List[str], max_len: int) -> str:
    """ReProver's format_augmented_state without dropping."""
    budget = max_len - len(state.encode("utf-8"))
    text, length = "", 0
    for p in premises:
        p_str = f"{p}\n\n"
        n = len(p_str.encode("utf-8"))
        if length + n > budget:
            continue
        length += n
        text = p_str + text
    return text + state


def beam_search(module, text: str, num_beams: int, max_input_length: int,
                max_length: int) -> List[Tuple[str, float]]:
    start, eos = module.decoder_start_token_id, module.eos_token_id
    ids, mask = t5_generator.byt5_batch([text], max_input_length)
    memory = [m.repeat_interleave(num_beams, dim=0) for m in module.encode(ids, mask)]
    input_ids = torch.full([num_beams, 1], start, dtype=torch.long)
    beam_scores = torch.zeros(num_beams, dtype=torch.float32)
    beam_scores[1:] = -1e9
    hyps = BeamHypotheses(num_beams)
    cache: List[torch.Tensor] = []
    done = False
    while True:
        logits, cache = module.decode_step(input_ids[:, -1], memory, cache)
        scores = F.log_softmax(logits, dim=-1) + beam_scores[:, None]
        vocab = scores.size(1)
        top_scores, top_ids = torch.topk(scores.view(-1), 2 * num_beams, largest=True, sorted=True)
        next_scores, next_tokens, next_beams = [], [], []
        for rank, (score, flat) in enumerate(zip(top_scores.tolist(), top_ids.tolist())):
            beam, token = flat // vocab, flat % vocab
            if token == eos:
                if rank >= num_beams:
                    continue
                hyps.add(input_ids[beam].tolist(), score)
            else:
                next_scores.append(score)
                next_tokens.append(token)
                next_beams.append(beam)
            if len(next_scores) == num_beams:
                break
        done = done or hyps.is_done(top_scores.max().item())
        beam_index = torch.tensor(next_beams, dtype=torch.long)
        beam_scores = torch.tensor(next_scores, dtype=torch.float32)
        input_ids = torch.cat([input_ids[beam_index], torch.tensor(next_tokens)[:, None]], dim=1)
        cache = [c.index_select(0, beam_index) for c in cache]
        if done or input_ids.size(1) >= max_length:
            break
    if not done:
        for b in range(num_beams):
            hyps.add(input_ids[b].tolist(), beam_scores[b].item())
    ranked = sorted(hyps.beams, key=lambda x: x[0])
    out, seen = [], set()
    for _ in range(num_beams):
        score, hyp = ranked.pop()
        tactic = t5_generator.decode_bytes(hyp[1:]).replace("<a>", "").replace("</a>", "")
        if tactic not in seen:
            seen.add(tactic)
            out.append((tactic, score))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--requests", required=True)
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args()
    module = torch.jit.load(args.model)
    with open(args.requests, encoding="utf-8") as f:
        spec = json.load(f)
    max_input = spec.get("max_input_length") or module.max_input_length
    max_output = spec.get("max_output_length") or module.max_output_length
    result = []
    with torch.inference_mode():
        for request in spec["requests"]:
            k = request.get("num_candidates", 64)
            if k <= 0:
                result.append([])
                continue
            text = augmented_state(request["state"], request.get("premises", []), max_input)
            result.append(beam_search(module, text, k, max_input, max_output))
    with open(args.output, "w", encoding="utf-8") as f:
        json.dump({"candidates": result}, f, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
