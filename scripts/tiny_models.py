"""What make_test_encoder.py and make_test_generator.py share: the command
line every maker of a tiny random model takes, the weight spreading that keeps
such a model's outputs apart, and saving with a one-line error."""

import argparse
import sys
from typing import Callable, Iterable, List

import torch
from torch import nn

import t5_encoder


def parser(doc: str, variants: List[str]) -> argparse.ArgumentParser:
    """A parser with the options every maker takes: -o, --seed, --variant."""
    p = argparse.ArgumentParser(description=doc,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-o", "--output", required=True, help="where to write the .pt file")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--variant", choices=variants, default="ok")
    return p


def spread_weights(embedding: nn.Embedding, stacks: Iterable[nn.Module]) -> None:
    """Default initialisations leave a tiny T5's outputs nearly identical for
    every input; larger token embeddings and relative attention biases (the
    first block of each stack owns them) make them spread out."""
    with torch.no_grad():
        embedding.weight.normal_(0.0, 1.0)
        for stack in stacks:
            bias = stack.block[0].layer[0].SelfAttention.relative_attention_bias
            bias.weight.normal_(0.0, 1.0)


def save(name: str, make: Callable[[], torch.jit.ScriptModule], output: str) -> int:
    """Makes the module and writes it atomically to `output`; returns the exit
    code, with a one-line message `name: why` for a bad option or file."""
    try:
        t5_encoder.save_atomically(make(), output)
    except (ValueError, OSError) as e:
        print(f"{name}: {e}", file=sys.stderr)
        return 1
    return 0
