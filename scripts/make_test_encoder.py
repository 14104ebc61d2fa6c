#!/usr/bin/python3
"""Makes a small, deterministic TorchScript encoder for tests and examples.

The model is a randomly initialised T5 encoder (the architecture of
ReProver's ByT5 retriever, t5_encoder.py) with tiny dimensions, wrapped in
tatami's encoder contract; it builds in a second or two. Its embeddings carry
no meaning, but they are a pure function of the text, the seed and the
dimensions, so results computed with it are reproducible.

    /usr/bin/python3 scripts/make_test_encoder.py -o enc.pt [--dim 32] [--seed 0]

--variant makes encoders that break the contract in one specific way, for
the tests of tatami's checks:
    ok              the contract (default)
    text-only       only encode(List[str]): tatami passes texts, the module tokenises
    f16             returns float16 (allowed: tatami widens it)
    f64             returns float64 (refused)
    rank3           returns Tensor[1, n, d]
    extra-row       returns n + 1 rows
    unnormalised    returns rows of norm 2
    nan             returns NaN in row 0
    wrong-dim-attr  declares embedding_dim = dim + 1
    fails           raises an exception when called
"""

import os
import sys
from typing import List

import torch
from torch import Tensor, nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import t5_encoder  # noqa: E402
import tiny_models  # noqa: E402

VARIANTS = ["ok", "text-only", "f16", "f64", "rank3", "extra-row", "unnormalised", "nan",
            "wrong-dim-attr", "fails"]


class TextOnly(nn.Module):
    """Only encode(List[str]); no tokenizer attribute, no encode_tokens."""

    def __init__(self, inner: t5_encoder.RetrievalEncoder):
        super().__init__()
        self.inner = inner

    @torch.jit.export
    def encode(self, texts: List[str]) -> Tensor:
        return self.inner.encode(texts)


class Broken(nn.Module):
    """The contract with one fault injected into every output."""

    def __init__(self, inner: t5_encoder.RetrievalEncoder, fault: str):
        super().__init__()
        self.inner = inner
        self.fault = fault
        self.tokenizer = "byt5"
        self.max_length = inner.max_length
        self.embedding_dim = inner.embedding_dim + (1 if fault == "wrong-dim-attr" else 0)

    def corrupt(self, out: Tensor) -> Tensor:
        if self.fault == "f16":
            return out.to(torch.float16)
        if self.fault == "f64":
            return out.to(torch.float64)
        if self.fault == "rank3":
            return out.unsqueeze(0)
        if self.fault == "extra-row":
            return torch.cat([out, out[:1]], dim=0)
        if self.fault == "unnormalised":
            return out * 2.0
        if self.fault == "nan":
            out = out.clone()
            out[0, 0] = float("nan")
            return out
        if self.fault == "fails":
            raise RuntimeError("injected failure")
        return out

    @torch.jit.export
    def encode_tokens(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        return self.corrupt(self.inner.encode_tokens(input_ids, attention_mask))

    @torch.jit.export
    def encode(self, texts: List[str]) -> Tensor:
        return self.corrupt(self.inner.encode(texts))


def make(dim: int, seed: int, max_length: int, variant: str) -> torch.jit.ScriptModule:
    if dim % 4 != 0 or dim < 4:
        raise ValueError("--dim must be a positive multiple of 4 (4 heads)")
    torch.manual_seed(seed)
    config = t5_encoder.T5Config(d_model=dim, d_kv=dim // 4, d_ff=2 * dim, num_layers=2,
                                 num_heads=4)
    encoder = t5_encoder.T5Encoder(config)
    tiny_models.spread_weights(encoder.embed_tokens, [encoder])
    model = t5_encoder.RetrievalEncoder(encoder, max_length).eval()
    if variant == "ok":
        return torch.jit.script(model)
    if variant == "text-only":
        return torch.jit.script(TextOnly(model).eval())
    return torch.jit.script(Broken(model, variant).eval())


def main() -> int:
    parser = tiny_models.parser(__doc__, VARIANTS)
    parser.add_argument("--dim", type=int, default=32, help="embedding width (default 32)")
    parser.add_argument("--max-length", type=int, default=t5_encoder.REPROVER_MAX_LENGTH,
                        help="ByT5 token budget per text, </s> included (default 1024)")
    args = parser.parse_args()

    def make_checked() -> torch.jit.ScriptModule:
        module = make(args.dim, args.seed, args.max_length, args.variant)
        if args.variant == "ok":
            t5_encoder.check_contract(module, ["\u22a2 True", "theorem foo : 1 + 1 = 2 := rfl"])
        return module

    return tiny_models.save("make_test_encoder", make_checked, args.output)


if __name__ == "__main__":
    sys.exit(main())
