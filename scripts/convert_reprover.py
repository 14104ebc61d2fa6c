#!/usr/bin/python3
"""Converts ReProver's premise retriever to tatami's TorchScript encoder contract.

ReProver's retriever is a ByT5-small encoder (Hugging Face T5EncoderModel,
from google/byt5-small) whose embedding is the mean of the final hidden states
over non-padding tokens, L2-normalised. This script rebuilds that encoder in
plain PyTorch (t5_encoder.py; no `transformers` needed), loads the weights and
writes a TorchScript module with tatami's contract (docs/retrieval.md):

    /usr/bin/python3 scripts/convert_reprover.py CHECKPOINT -o reprover-retriever.pt

CHECKPOINT is any of:
  * a Hugging Face model directory (e.g. a download of
    kaiyuy/leandojo-lean4-retriever-byt5-small): config.json plus
    pytorch_model.bin or model.safetensors;
  * a single pytorch_model.bin / *.safetensors file (the config is then taken
    from --config, or inferred from the tensor shapes);
  * a PyTorch Lightning checkpoint (*.ckpt) of ReProver's PremiseRetriever,
    whose "state_dict" holds the T5EncoderModel under "encoder.".

Parameter names may carry the prefixes of T5EncoderModel ("shared.",
"encoder."), of the Lightning module ("encoder.shared.", "encoder.encoder.")
or of a full T5 model (decoder and lm_head weights are ignored). Every encoder
parameter must be present with the expected shape; anything missing is an
error that names it.

After writing, the module is loaded back and checked: both entry points agree,
outputs are float32 and L2-normalised, and they match the eager model.

What was verified without the real checkpoint: parameter names and shapes
(against ReProver's byt5-small layout), the loading paths (.bin, .safetensors,
Lightning), the contract, and that the TorchScript module computes the same
as this file's eager PyTorch. What could not be verified here (no network, no
`transformers`): that the embeddings equal Hugging Face's T5EncoderModel +
ReProver's pooling on the real weights, i.e. that retrieval quality matches
ReProver's published numbers. Check that before trusting results: with
`transformers` installed elsewhere, compare this module's encode() with
ReProver's `_encode` on a few premises (cosine similarity should be > 0.9999).
"""

import argparse
import json
import os
import re
import struct
import sys
from typing import Dict, Optional, Tuple

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import t5_encoder  # noqa: E402
from t5_encoder import T5Config  # noqa: E402


class ConversionError(Exception):
    pass


# --- reading checkpoints ----------------------------------------------------

_SAFETENSORS_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
}


def read_safetensors(path: str) -> Dict[str, torch.Tensor]:
    """Reads a .safetensors file: an 8-byte little-endian header size, a JSON
    header {name: {dtype, shape, data_offsets: [begin, end]}} and the raw
    little-endian tensor bytes, offsets relative to the end of the header."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ConversionError(f"{path}: too short to be a safetensors file")
    (header_size,) = struct.unpack("<Q", data[:8])
    if header_size > len(data) - 8:
        raise ConversionError(f"{path}: header size {header_size} exceeds the file")
    try:
        header = json.loads(data[8:8 + header_size].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ConversionError(f"{path}: bad safetensors header: {e}") from e
    base = 8 + header_size
    buffer = bytearray(data)  # writable, so torch.frombuffer does not warn
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = _SAFETENSORS_DTYPES.get(info.get("dtype"))
        if dtype is None:
            raise ConversionError(f"{path}: tensor {name} has unsupported dtype {info.get('dtype')}")
        shape = [int(s) for s in info["shape"]]
        begin, end = (int(o) for o in info["data_offsets"])
        count = 1
        for s in shape:
            count *= s
        itemsize = torch.tensor([], dtype=dtype).element_size()
        if begin < 0 or end < begin or base + end > len(data) or end - begin != count * itemsize:
            raise ConversionError(f"{path}: tensor {name} has inconsistent offsets {begin}..{end}")
        if count == 0:
            tensors[name] = torch.zeros(shape, dtype=dtype)
            continue
        flat = torch.frombuffer(buffer, dtype=dtype, count=count, offset=base + begin)
        tensors[name] = flat.reshape(shape).clone()
    return tensors


def read_state_dict(path: str) -> Dict[str, torch.Tensor]:
    if path.endswith(".safetensors"):
        return read_safetensors(path)
    try:
        obj = torch.load(path, map_location="cpu")
    except Exception as e:  # torch raises many types for a bad file
        raise ConversionError(f"{path}: cannot read as a PyTorch checkpoint: {e}") from e
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]  # PyTorch Lightning
    if not isinstance(obj, dict):
        raise ConversionError(f"{path}: expected a state dict, found {type(obj).__name__}")
    return {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}


def locate_checkpoint(path: str) -> Tuple[str, Optional[str]]:
    """(weights file, config.json or None) for a file or a model directory."""
    if os.path.isdir(path):
        config = os.path.join(path, "config.json")
        for name in ("model.safetensors", "pytorch_model.bin"):
            weights = os.path.join(path, name)
            if os.path.isfile(weights):
                return weights, config if os.path.isfile(config) else None
        raise ConversionError(f"{path}: no model.safetensors or pytorch_model.bin in the directory"
                              " (sharded checkpoints are not supported)")
    if not os.path.isfile(path):
        raise ConversionError(f"{path}: no such file or directory")
    sibling = os.path.join(os.path.dirname(path), "config.json")
    return path, sibling if os.path.isfile(sibling) else None


# --- mapping names ----------------------------------------------------------

def encoder_parameters(state: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """The encoder's tensors keyed as in t5_encoder.T5Encoder (block.0..., embed_tokens...)."""
    # Find where the encoder stack lives: "<prefix>block.0.layer.0.SelfAttention.q.weight".
    prefixes = sorted({m.group(1) for k in state
                       for m in [re.match(r"^(.*?)block\.0\.layer\.0\.SelfAttention\.q\.weight$", k)]
                       if m and "decoder" not in m.group(1)}, key=len)
    if not prefixes:
        raise ConversionError("no T5 encoder found: no parameter named "
                              "'[encoder.]block.0.layer.0.SelfAttention.q.weight'")
    prefix = prefixes[0]
    out = {k[len(prefix):]: v for k, v in state.items()
           if k.startswith(prefix) and k[len(prefix):].startswith(("block.", "final_layer_norm."))}
    # The token embedding is shared: stored as <model>.shared.weight and/or
    # <stack>.embed_tokens.weight (Hugging Face saves one of them when tied).
    outer = prefix[:-len("encoder.")] if prefix.endswith("encoder.") else prefix
    for name in (prefix + "embed_tokens.weight", outer + "shared.weight", "shared.weight"):
        if name in state:
            out["embed_tokens.weight"] = state[name]
            break
    else:
        raise ConversionError(f"no token embedding found (looked for {prefix}embed_tokens.weight "
                              f"and {outer}shared.weight)")
    return out


def infer_config(params: Dict[str, torch.Tensor], base: Optional[dict]) -> T5Config:
    """The config from config.json when given, checked against the shapes;
    otherwise inferred from the shapes, with T5 defaults for what shapes do
    not tell (max distance 128, epsilon 1e-6)."""
    vocab, d_model = params["embed_tokens.weight"].shape
    layers = 1 + max(int(k.split(".")[1]) for k in params if k.startswith("block."))
    buckets, heads = params["block.0.layer.0.SelfAttention.relative_attention_bias.weight"].shape
    inner = params["block.0.layer.0.SelfAttention.q.weight"].shape[0]
    gated = "block.0.layer.1.DenseReluDense.wi_0.weight" in params
    d_ff = params["block.0.layer.1.DenseReluDense." + ("wi_0" if gated else "wi") + ".weight"].shape[0]
    inferred = dict(vocab_size=vocab, d_model=d_model, num_layers=layers, num_heads=heads,
                    d_kv=inner // heads, d_ff=d_ff, relative_attention_num_buckets=buckets,
                    feed_forward_proj="gated-gelu" if gated else "relu")
    if base is None:
        return T5Config(**inferred)
    config = T5Config.from_json(base)
    for key, value in inferred.items():
        if key == "feed_forward_proj":
            if config.gated() != gated:
                raise ConversionError(f"config.json says feed_forward_proj={config.feed_forward_proj}"
                                      f" but the weights are {'gated' if gated else 'not gated'}")
        elif getattr(config, key) != value:
            raise ConversionError(f"config.json says {key}={getattr(config, key)} but the weights "
                                  f"imply {value}")
    return config


def load_encoder(params: Dict[str, torch.Tensor], config: T5Config) -> t5_encoder.T5Encoder:
    encoder = t5_encoder.T5Encoder(config)
    expected = encoder.state_dict()
    missing = sorted(set(expected) - set(params))
    if missing:
        shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
        raise ConversionError(f"checkpoint lacks {len(missing)} encoder parameters: {shown}")
    extra = sorted(set(params) - set(expected))
    if extra:
        raise ConversionError(f"checkpoint has encoder parameters this T5 does not: {', '.join(extra[:8])}")
    for name, tensor in expected.items():
        if tuple(params[name].shape) != tuple(tensor.shape):
            raise ConversionError(f"parameter {name} has shape {list(params[name].shape)}, "
                                  f"expected {list(tensor.shape)}")
        if not params[name].is_floating_point():
            raise ConversionError(f"parameter {name} has dtype {params[name].dtype}")
    encoder.load_state_dict({k: v.to(torch.float32) for k, v in params.items()}, strict=True)
    return encoder.eval()


# --- conversion -------------------------------------------------------------

SELF_CHECK_TEXTS = [
    "n : \u2115\n\u22a2 n + 0 = n",
    "theorem <a>Nat.add_zero</a> (n : Nat) : n + 0 = n := rfl",
    "",
]


def convert(checkpoint: str, output: str, config_path: Optional[str] = None,
            max_length: int = t5_encoder.REPROVER_MAX_LENGTH) -> T5Config:
    weights, found_config = locate_checkpoint(checkpoint)
    config_path = config_path or found_config
    base = None
    if config_path:
        with open(config_path, encoding="utf-8") as f:
            base = json.load(f)
    params = encoder_parameters(read_state_dict(weights))
    config = infer_config(params, base)
    encoder = load_encoder(params, config)
    model = t5_encoder.RetrievalEncoder(encoder, max_length).eval()
    with torch.no_grad():
        scripted = torch.jit.script(model)
        t5_encoder.save_atomically(scripted, output)
        reloaded = torch.jit.load(output)
        got = t5_encoder.check_contract(reloaded, SELF_CHECK_TEXTS)
        ids = [t5_encoder.byt5_ids(t, max_length) for t in SELF_CHECK_TEXTS]
        for i, row in enumerate(ids):
            eager = model.encode_tokens(torch.tensor([row]), torch.ones(1, len(row), dtype=torch.long))
            if not torch.allclose(eager[0], got[i], atol=1e-5):
                raise ConversionError("the TorchScript module disagrees with the eager model")
    return config


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", help="model directory, .bin, .safetensors or .ckpt")
    parser.add_argument("-o", "--output", required=True, help="TorchScript file to write")
    parser.add_argument("--config", help="config.json (default: next to the checkpoint)")
    parser.add_argument("--max-length", type=int, default=t5_encoder.REPROVER_MAX_LENGTH,
                        help="ByT5 token budget per text, </s> included (default: ReProver's 1024)")
    args = parser.parse_args()
    try:
        config = convert(args.checkpoint, args.output, args.config, args.max_length)
    except (ConversionError, OSError, ValueError) as e:
        print(f"convert_reprover: {e}", file=sys.stderr)
        return 1
    print(f"wrote {args.output}: T5 encoder, {config.num_layers} layers, d_model {config.d_model}, "
          f"{config.num_heads} heads, {config.feed_forward_proj}; max_length {args.max_length}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
