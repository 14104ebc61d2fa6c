#!/usr/bin/python3
"""Converts ReProver's tactic generator to tatami's TorchScript generator contract.

ReProver's tactic generator is a ByT5-small encoder-decoder (Hugging Face
T5ForConditionalGeneration, from google/byt5-small). This script rebuilds it
in plain PyTorch (t5_generator.py on t5_encoder.py; no `transformers`
needed), loads the weights and writes a TorchScript module with tatami's
generator contract (docs/generator.md):

    /usr/bin/python3 scripts/convert_reprover_generator.py CHECKPOINT -o reprover-generator.pt

CHECKPOINT is any of:
  * a Hugging Face model directory (e.g. a download of
    kaiyuy/leandojo-lean4-tacgen-byt5-small): config.json plus
    pytorch_model.bin or model.safetensors;
  * a single pytorch_model.bin / *.safetensors file (the config is then taken
    from --config, or inferred from the tensor shapes);
  * a PyTorch Lightning checkpoint (*.ckpt) of ReProver's
    RetrievalAugmentedGenerator, whose "state_dict" holds the
    T5ForConditionalGeneration under "generator." (a retriever stored beside
    it is ignored).

Parameter names are T5ForConditionalGeneration's: shared.weight,
encoder.block.N.layer.{0,1}..., decoder.block.N.layer.{0,1,2}... (layer.1 is
EncDecAttention), relative_attention_bias only in block 0 of each stack,
{encoder,decoder}.final_layer_norm.weight and lm_head.weight (absent when the
embeddings are tied, as in the original T5). Every parameter must be present
with the expected shape; anything missing is an error that names it.

After writing, the module is loaded back and checked: the contract's methods
and attributes, and that decoding step by step with the cache gives the eager
model's logits.

What was verified without the real checkpoint: names and shapes (against
byt5-small's layout), the loading paths and that the module computes what an
independent loop-per-position T5 computes (scripts/tests/). What could not be
verified here (no network, no `transformers`, no weights): that its tactics
equal ReProver's on the real weights. Check that before trusting results:
with `transformers` elsewhere, compare a few beam searches.
"""

import argparse
import json
import os
import re
import sys
from typing import Dict, Optional

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convert_reprover  # noqa: E402
import t5_encoder  # noqa: E402
import t5_generator  # noqa: E402
from convert_reprover import ConversionError  # noqa: E402
from t5_generator import T5GeneratorConfig  # noqa: E402


def model_parameters(state: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """The encoder-decoder's tensors with the T5ForConditionalGeneration names
    (any prefix such as Lightning's "generator." removed)."""
    prefixes = sorted({m.group(1) for k in state
                       for m in [re.match(r"^(.*?)decoder\.block\.0\.layer\.1\.EncDecAttention\."
                                          r"q\.weight$", k)] if m}, key=len)
    if not prefixes:
        raise ConversionError("no T5 decoder found: no parameter named "
                              "'[generator.]decoder.block.0.layer.1.EncDecAttention.q.weight'")
    prefix = prefixes[0]
    return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}


def infer_config(params: Dict[str, torch.Tensor], base: Optional[dict]) -> T5GeneratorConfig:
    """The encoder's config (convert_reprover's rules), the decoder's layer
    count and whether the embeddings are tied, checked against config.json."""
    encoder = convert_reprover.encoder_parameters(params)
    enc = convert_reprover.infer_config(encoder, base)
    decoder_layers = 1 + max(int(m.group(1)) for k in params
                             for m in [re.match(r"^decoder\.block\.(\d+)\.", k)] if m)
    tied = "lm_head.weight" not in params
    fields = {k: getattr(enc, k) for k in t5_encoder.T5Config.__dataclass_fields__}
    config = T5GeneratorConfig(**fields, num_decoder_layers=decoder_layers,
                               tie_word_embeddings=tied)
    if base is not None:
        declared = T5GeneratorConfig.from_json(base)
        if "num_decoder_layers" in base and declared.num_decoder_layers != decoder_layers:
            raise ConversionError(f"config.json says num_decoder_layers="
                                  f"{declared.num_decoder_layers} but the weights have "
                                  f"{decoder_layers} decoder blocks")
        if "tie_word_embeddings" in base and declared.tie_word_embeddings != tied:
            raise ConversionError(f"config.json says tie_word_embeddings="
                                  f"{declared.tie_word_embeddings} but the checkpoint "
                                  f"{'has no' if tied else 'has an'} lm_head.weight")
        for key in ("decoder_start_token_id", "eos_token_id", "pad_token_id"):
            if key in base:
                setattr(config, key, int(base[key]))
    return config


def source_of(name: str, params: Dict[str, torch.Tensor],
              encoder: Dict[str, torch.Tensor]) -> Optional[torch.Tensor]:
    """The checkpoint tensor for parameter `name` of t5_generator.TacticGenerator."""
    if name in ("shared.weight", "encoder.embed_tokens.weight", "decoder.embed_tokens.weight"):
        return encoder["embed_tokens.weight"]
    if name.startswith("encoder."):
        return encoder.get(name[len("encoder."):])
    if name == "lm_head.weight" and name not in params:
        return encoder["embed_tokens.weight"]  # tied
    return params.get(name)


def load_model(params: Dict[str, torch.Tensor], config: T5GeneratorConfig, max_input_length: int,
               max_output_length: int) -> t5_generator.TacticGenerator:
    model = t5_generator.TacticGenerator(config, max_input_length, max_output_length)
    encoder = convert_reprover.encoder_parameters(params)
    expected = model.state_dict()
    loaded, missing = {}, []
    for name, tensor in expected.items():
        source = source_of(name, params, encoder)
        if source is None:
            missing.append(name)
            continue
        if tuple(source.shape) != tuple(tensor.shape):
            raise ConversionError(f"parameter {name} has shape {list(source.shape)}, "
                                  f"expected {list(tensor.shape)}")
        if not source.is_floating_point():
            raise ConversionError(f"parameter {name} has dtype {source.dtype}")
        loaded[name] = source.to(torch.float32)
    if missing:
        shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
        raise ConversionError(f"checkpoint lacks {len(missing)} parameters: {shown}")
    known = {n[len("encoder."):] for n in expected if n.startswith("encoder.")}
    extra = sorted([k for k in params if k.startswith("decoder.") and k not in expected] +
                   ["encoder." + k for k in encoder if k not in known])
    if extra:
        raise ConversionError(f"checkpoint has parameters this T5 does not: {', '.join(extra[:8])}")
    model.load_state_dict(loaded, strict=True)
    return model.eval()


SELF_CHECK_STATES = ["n : \u2115\n\u22a2 n + 0 = n", "\u22a2 True"]


def check_against_eager(model: t5_generator.TacticGenerator, scripted) -> None:
    """Steps of the saved module, with its cache, equal the eager teacher-forced logits."""
    ids, mask = t5_generator.byt5_batch(SELF_CHECK_STATES, model.max_input_length)
    targets = torch.tensor([[model.decoder_start_token_id, 118, 111, 117],
                            [model.decoder_start_token_id, 119, 108, 1]])
    eager = model(ids, mask, targets)
    memory = scripted.encode(ids, mask)
    cache = []
    for t in range(targets.size(1)):
        logits, cache = scripted.decode_step(targets[:, t], memory, cache)
        if not torch.allclose(logits, eager[:, t], atol=1e-4, rtol=1e-4):
            raise ConversionError("the TorchScript module disagrees with the eager model "
                                  f"at step {t}")


def convert(checkpoint: str, output: str, config_path: Optional[str] = None,
            max_input_length: int = t5_generator.REPROVER_MAX_INPUT_LENGTH,
            max_output_length: int = t5_generator.REPROVER_MAX_OUTPUT_LENGTH) -> T5GeneratorConfig:
    weights, found_config = convert_reprover.locate_checkpoint(checkpoint)
    config_path = config_path or found_config
    base = None
    if config_path:
        with open(config_path, encoding="utf-8") as f:
            base = json.load(f)
    params = model_parameters(convert_reprover.read_state_dict(weights))
    config = infer_config(params, base)
    model = load_model(params, config, max_input_length, max_output_length)
    with torch.no_grad():
        scripted = torch.jit.script(model)
        t5_encoder.save_atomically(scripted, output)
        reloaded = torch.jit.load(output)
        t5_generator.check_contract(reloaded)
        check_against_eager(model, reloaded)
    return config


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", help="model directory, .bin, .safetensors or .ckpt")
    parser.add_argument("-o", "--output", required=True, help="TorchScript file to write")
    parser.add_argument("--config", help="config.json (default: next to the checkpoint)")
    parser.add_argument("--max-input-length", type=int,
                        default=t5_generator.REPROVER_MAX_INPUT_LENGTH,
                        help="input token budget, </s> included (default: ReProver's 2300)")
    parser.add_argument("--max-output-length", type=int,
                        default=t5_generator.REPROVER_MAX_OUTPUT_LENGTH,
                        help="decoder length budget, start token included "
                             "(default: ReProver's 512)")
    args = parser.parse_args()
    try:
        config = convert(args.checkpoint, args.output, args.config, args.max_input_length,
                         args.max_output_length)
    except (ConversionError, OSError, ValueError) as e:
        print(f"convert_reprover_generator: {e}", file=sys.stderr)
        return 1
    print(f"wrote {args.output}: T5 encoder-decoder, {config.num_layers}+"
          f"{config.num_decoder_layers} layers, d_model {config.d_model}, {config.num_heads} heads, "
          f"{config.feed_forward_proj}, {'tied' if config.tie_word_embeddings else 'separate'} "
          f"output layer; inputs {args.max_input_length}, outputs {args.max_output_length}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
