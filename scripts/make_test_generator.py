#!/usr/bin/python3
"""Makes a small, deterministic TorchScript tactic generator for tests.

The model is a randomly initialised T5 encoder-decoder (the architecture of
ReProver's ByT5 tactic generator, t5_generator.py) with tiny dimensions,
wrapped in tatami's generator contract (docs/generator.md); it builds in a
second or two. Its tactics mean nothing, but they are a pure function of the
input, the seed and the sizes. Its output layer is scaled up so that its
next-token distributions are peaked and sequences end (</s>) at varied
lengths, as a trained model's do.

    /usr/bin/python3 scripts/make_test_generator.py -o gen.pt [--seed 0] [--max-output-length 24]
        [--size tiny|demo|byt5-small]

--variant makes modules that break the contract in one way, for the tests of
tatami's checks:
    ok                the contract (default)
    no-decode-step    has encode but no decode_step
    wrong-version     contract_version = 2
    bad-logits        decode_step returns logits of width vocab_size - 1
    fails             decode_step raises an exception
"""

import os
import sys
from typing import List, Tuple

import torch
from torch import Tensor, nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import t5_encoder  # noqa: E402
import t5_generator  # noqa: E402
import tiny_models  # noqa: E402

VARIANTS = ["ok", "no-decode-step", "wrong-version", "bad-logits", "fails"]


class EncodeOnly(nn.Module):
    def __init__(self, inner: t5_generator.TacticGenerator):
        super().__init__()
        self.inner = inner
        self.contract_version = inner.contract_version
        self.tokenizer = "byt5"

    @torch.jit.export
    def encode(self, input_ids: Tensor, attention_mask: Tensor) -> List[Tensor]:
        return self.inner.encode(input_ids, attention_mask)


class Broken(nn.Module):
    """The contract with one fault."""

    def __init__(self, inner: t5_generator.TacticGenerator, fault: str):
        super().__init__()
        self.inner = inner
        self.fault = fault
        self.contract_version = 2 if fault == "wrong-version" else inner.contract_version
        self.tokenizer = "byt5"
        self.vocab_size = inner.vocab_size
        self.max_input_length = inner.max_input_length
        self.max_output_length = inner.max_output_length
        self.decoder_start_token_id = inner.decoder_start_token_id
        self.eos_token_id = inner.eos_token_id
        self.pad_token_id = inner.pad_token_id

    @torch.jit.export
    def encode(self, input_ids: Tensor, attention_mask: Tensor) -> List[Tensor]:
        return self.inner.encode(input_ids, attention_mask)

    @torch.jit.export
    def decode_step(self, tokens: Tensor, memory: List[Tensor],
                    cache: List[Tensor]) -> Tuple[Tensor, List[Tensor]]:
        logits, new_cache = self.inner.decode_step(tokens, memory, cache)
        if self.fault == "bad-logits":
            return logits[:, 1:], new_cache
        if self.fault == "fails":
            raise RuntimeError("injected failure")
        return logits, new_cache


# Model sizes: the tests' tiny model, the trained demo model's size
# (train_tactic_generator.py's defaults) and ReProver's (google/byt5-small),
# the last two for timing.
SIZES = {
    "tiny": dict(d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4, num_decoder_layers=2),
    "demo": dict(d_model=64, d_kv=16, d_ff=128, num_layers=2, num_heads=4, num_decoder_layers=2),
    "byt5-small": dict(d_model=1472, d_kv=64, d_ff=3584, num_layers=12, num_heads=6,
                       num_decoder_layers=4),
}


def make(seed: int, max_input_length: int, max_output_length: int,
         variant: str = "ok", size: str = "tiny") -> torch.jit.ScriptModule:
    torch.manual_seed(seed)
    config = t5_generator.T5GeneratorConfig(**SIZES[size])
    model = t5_generator.TacticGenerator(config, max_input_length, max_output_length)
    tiny_models.spread_weights(model.shared, [model.encoder, model.decoder])
    with torch.no_grad():
        model.lm_head.weight.normal_(0.0, 1.5)
        # Printable ASCII and </s> likelier than the rest, so that tactics are
        # mostly readable and end; the other bytes still occur (invalid UTF-8
        # included) and exercise the decoding of ids to text.
        model.lm_head.weight[t5_encoder.BYT5_BYTE_OFFSET + 32:t5_encoder.BYT5_BYTE_OFFSET + 127] *= 1.6
        model.lm_head.weight[t5_generator.EOS] *= 1.8
    model.eval()
    if variant == "ok":
        return torch.jit.script(model)
    if variant == "no-decode-step":
        return torch.jit.script(EncodeOnly(model).eval())
    return torch.jit.script(Broken(model, variant).eval())


def main() -> int:
    parser = tiny_models.parser(__doc__, VARIANTS)
    parser.add_argument("--max-input-length", type=int,
                        default=t5_generator.REPROVER_MAX_INPUT_LENGTH,
                        help="input token budget, </s> included (default ReProver's 2300)")
    parser.add_argument("--max-output-length", type=int, default=24,
                        help="decoder length budget, start token included (default 24)")
    parser.add_argument("--size", choices=sorted(SIZES), default="tiny",
                        help="model dimensions (default tiny; demo and byt5-small for timing)")
    args = parser.parse_args()
    return tiny_models.save(
        "make_test_generator",
        lambda: make(args.seed, args.max_input_length, args.max_output_length, args.variant,
                     args.size), args.output)


if __name__ == "__main__":
    sys.exit(main())
