"""Tests of scripts/t5_encoder.py, make_test_encoder.py and convert_reprover.py.

Run: /usr/bin/python3 -m unittest discover -s scripts/tests
Exits with 77 (skipped, for ctest) when this Python has no torch.

The converter is tested on randomly initialised state dicts that use
ReProver's parameter names (Hugging Face T5EncoderModel from
google/byt5-small, and the same inside ReProver's Lightning module) with a
reduced size, and its output is compared with a straightforward
loop-per-position T5 encoder written here independently of t5_encoder.py.
"""

import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import unittest

try:
    import torch
except ImportError:
    print("SKIPPED: this Python cannot import torch (install python3-torch)")
    sys.exit(77)

SCRIPTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, SCRIPTS)
import convert_reprover  # noqa: E402
import t5_encoder  # noqa: E402

SMALL = dict(vocab_size=384, d_model=24, d_kv=6, d_ff=40, num_layers=3, num_heads=4,
             relative_attention_num_buckets=32, relative_attention_max_distance=128,
             layer_norm_epsilon=1e-6, feed_forward_proj="gated-gelu")
# google/byt5-small's encoder, as its config.json publishes it.
BYT5_SMALL = dict(vocab_size=384, d_model=1472, d_kv=64, d_ff=3584, num_layers=12, num_heads=6,
                  relative_attention_num_buckets=32)


def reprover_state_dict(c: dict, gen: torch.Generator, prefix: str = "",
                        device: str = "cpu") -> dict:
    """Random tensors under the names T5EncoderModel uses (`prefix` + ...)."""
    def t(*shape):
        if device == "meta":
            return torch.empty(shape, device="meta")
        return torch.randn(shape, generator=gen) * 0.3

    inner = c["num_heads"] * c["d_kv"]
    shared = t(c["vocab_size"], c["d_model"]) * 3
    sd = {prefix + "shared.weight": shared, prefix + "encoder.embed_tokens.weight": shared}
    for i in range(c["num_layers"]):
        b = f"{prefix}encoder.block.{i}.layer."
        for w in "qkv":
            sd[f"{b}0.SelfAttention.{w}.weight"] = t(inner, c["d_model"])
        sd[f"{b}0.SelfAttention.o.weight"] = t(c["d_model"], inner)
        if i == 0:
            sd[f"{b}0.SelfAttention.relative_attention_bias.weight"] = \
                t(c["relative_attention_num_buckets"], c["num_heads"]) * 3
        sd[f"{b}0.layer_norm.weight"] = 1 + t(c["d_model"])
        sd[f"{b}1.DenseReluDense.wi_0.weight"] = t(c["d_ff"], c["d_model"])
        sd[f"{b}1.DenseReluDense.wi_1.weight"] = t(c["d_ff"], c["d_model"])
        sd[f"{b}1.DenseReluDense.wo.weight"] = t(c["d_model"], c["d_ff"])
        sd[f"{b}1.layer_norm.weight"] = 1 + t(c["d_model"])
    sd[prefix + "encoder.final_layer_norm.weight"] = 1 + t(c["d_model"])
    return sd


def write_safetensors(path: str, tensors: dict) -> None:
    """The safetensors layout: u64 header size, JSON header, raw bytes."""
    names = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, tensor in tensors.items():
        raw = tensor.contiguous().view(torch.uint8).numpy().tobytes() if tensor.numel() else b""
        header[name] = {"dtype": names[tensor.dtype], "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    encoded = json.dumps(header).encode("utf-8")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for blob in blobs:
            f.write(blob)


# --- an independent reference T5 encoder ------------------------------------

def ref_bucket(rel: int, num_buckets: int, max_distance: int) -> int:
    half = num_buckets // 2
    bucket = half if rel > 0 else 0
    n = abs(rel)
    exact = half // 2
    if n < exact:
        return bucket + n
    large = exact + int(math.log(n / exact) / math.log(max_distance / exact) * (half - exact))
    return bucket + min(large, half - 1)


def ref_encode(sd: dict, c: dict, ids: list, prefix: str = "") -> torch.Tensor:
    """ReProver's embedding of one unpadded id sequence, computed row by row."""
    def w(name):
        return sd[prefix + "encoder." + name].double()

    def rms(x, weight):
        return weight * x / torch.sqrt((x * x).mean() + c["layer_norm_epsilon"])

    def gelu(x):
        return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))

    n, h, dk = len(ids), c["num_heads"], c["d_kv"]
    rel_bias = w("block.0.layer.0.SelfAttention.relative_attention_bias.weight")
    states = [sd[prefix + "shared.weight"][i].double() for i in ids]
    for layer in range(c["num_layers"]):
        b = f"block.{layer}.layer."
        normed = [rms(s, w(b + "0.layer_norm.weight")) for s in states]
        q = [w(b + "0.SelfAttention.q.weight") @ x for x in normed]
        k = [w(b + "0.SelfAttention.k.weight") @ x for x in normed]
        v = [w(b + "0.SelfAttention.v.weight") @ x for x in normed]
        new_states = []
        for i in range(n):
            heads = []
            for hh in range(h):
                sl = slice(hh * dk, (hh + 1) * dk)
                scores = torch.tensor([
                    float(q[i][sl] @ k[j][sl]) + float(rel_bias[ref_bucket(j - i, 32, 128), hh])
                    for j in range(n)], dtype=torch.float64)
                p = torch.softmax(scores, 0)
                heads.append(sum(p[j] * v[j][sl] for j in range(n)))
            attn = w(b + "0.SelfAttention.o.weight") @ torch.cat(heads)
            new_states.append(states[i] + attn)
        states = new_states
        out = []
        for s in states:
            x = rms(s, w(b + "1.layer_norm.weight"))
            hidden = gelu(w(b + "1.DenseReluDense.wi_0.weight") @ x) * \
                (w(b + "1.DenseReluDense.wi_1.weight") @ x)
            out.append(s + w(b + "1.DenseReluDense.wo.weight") @ hidden)
        states = out
    final = [rms(s, w("final_layer_norm.weight")) for s in states]
    mean = sum(final) / n
    return (mean / mean.norm()).float()


TEXTS = ["n : \u2115\n\u22a2 n + 0 = n", "theorem foo : True := trivial", "", "ab"]


class RelativePositionBucketTest(unittest.TestCase):
    def test_t5_buckets(self):
        # key - query: 16 buckets per direction, 8 exact, logarithmic to 128.
        rel = torch.tensor([0, -1, 1, -7, 7, -8, 8, -15, 16, -20, 20, -127, -200, 200])
        got = t5_encoder.relative_position_bucket(rel, 32, 128).tolist()
        self.assertEqual(got, [ref_bucket(int(r), 32, 128) for r in rel])
        self.assertEqual(got, [0, 1, 17, 7, 23, 8, 24, 9, 26, 10, 26, 15, 15, 31])


class ConverterTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.gen = torch.Generator().manual_seed(1234)

    def tearDown(self):
        self.tmp.cleanup()

    def check_against_reference(self, out_path, sd, prefix="", config=SMALL):
        module = torch.jit.load(out_path)
        self.assertEqual(module.embedding_dim, config["d_model"])
        self.assertEqual(module.tokenizer, "byt5")
        self.assertEqual(module.max_length, 1024)
        self.assertEqual(module.contract_version, 1)
        got = module.encode(TEXTS)
        self.assertEqual(got.dtype, torch.float32)
        self.assertEqual(list(got.shape), [len(TEXTS), config["d_model"]])
        full = {**config, "layer_norm_epsilon": 1e-6}
        for i, text in enumerate(TEXTS):
            want = ref_encode(sd, full, t5_encoder.byt5_ids(text), prefix)
            self.assertTrue(torch.allclose(got[i], want, atol=2e-5),
                            f"text {i}: max diff {(got[i] - want).abs().max()}")

    def test_hf_directory_with_pytorch_model_bin(self):
        sd = reprover_state_dict(SMALL, self.gen)
        model_dir = os.path.join(self.dir, "hf")
        os.makedirs(model_dir)
        torch.save(sd, os.path.join(model_dir, "pytorch_model.bin"))
        with open(os.path.join(model_dir, "config.json"), "w") as f:
            json.dump({**SMALL, "architectures": ["T5EncoderModel"], "num_decoder_layers": 4}, f)
        out = os.path.join(self.dir, "enc.pt")
        convert_reprover.convert(model_dir, out)
        self.check_against_reference(out, sd)

    def test_safetensors_bf16_without_config_and_with_only_one_tied_copy(self):
        sd = reprover_state_dict(SMALL, self.gen)
        sd = {k: v.to(torch.bfloat16) for k, v in sd.items()}
        stored = {k: v for k, v in sd.items() if k != "shared.weight"}
        path = os.path.join(self.dir, "model.safetensors")
        write_safetensors(path, stored)
        out = os.path.join(self.dir, "enc.pt")
        config = convert_reprover.convert(path, out)
        self.assertEqual(config.num_layers, 3)
        self.assertEqual(config.d_kv, 6)
        self.assertEqual(config.d_ff, 40)
        self.check_against_reference(out, {k: v.float() for k, v in sd.items()})

    def test_lightning_checkpoint(self):
        sd = reprover_state_dict(SMALL, self.gen, prefix="encoder.")
        path = os.path.join(self.dir, "retriever.ckpt")
        torch.save({"state_dict": sd, "hyper_parameters": {"model_name": "google/byt5-small"}}, path)
        out = os.path.join(self.dir, "enc.pt")
        convert_reprover.convert(path, out)
        self.check_against_reference(out, sd, prefix="encoder.")

    def test_full_byt5_small_names_and_shapes(self):
        meta = reprover_state_dict(BYT5_SMALL, self.gen, device="meta")
        params = convert_reprover.encoder_parameters(meta)
        config = convert_reprover.infer_config(params, None)
        for key, value in BYT5_SMALL.items():
            self.assertEqual(getattr(config, key), value, key)
        self.assertEqual(config.feed_forward_proj, "gated-gelu")
        # One full-width block of our encoder has exactly these names and shapes.
        one = t5_encoder.T5Encoder(t5_encoder.T5Config(**{**BYT5_SMALL, "num_layers": 1}))
        for name, tensor in one.state_dict().items():
            self.assertEqual(tuple(params[name].shape), tuple(tensor.shape), name)
        self.assertEqual(len(params), 12 * 9 + 1 + 2)

    def test_missing_and_misshapen_parameters_are_named(self):
        sd = reprover_state_dict(SMALL, self.gen)
        del sd["encoder.block.1.layer.1.DenseReluDense.wi_1.weight"]
        path = os.path.join(self.dir, "pytorch_model.bin")
        torch.save(sd, path)
        with self.assertRaisesRegex(convert_reprover.ConversionError,
                                    r"block\.1\.layer\.1\.DenseReluDense\.wi_1\.weight"):
            convert_reprover.convert(path, os.path.join(self.dir, "x.pt"))
        sd = reprover_state_dict(SMALL, self.gen)
        sd["encoder.block.2.layer.0.SelfAttention.o.weight"] = torch.zeros(24, 23)
        torch.save(sd, path)
        with self.assertRaisesRegex(convert_reprover.ConversionError, r"SelfAttention\.o\.weight"):
            convert_reprover.convert(path, os.path.join(self.dir, "x.pt"))
        self.assertFalse(os.path.exists(os.path.join(self.dir, "x.pt")))

    def test_config_that_contradicts_the_weights(self):
        sd = reprover_state_dict(SMALL, self.gen)
        path = os.path.join(self.dir, "pytorch_model.bin")
        torch.save(sd, path)
        config = os.path.join(self.dir, "other.json")
        with open(config, "w") as f:
            json.dump({**SMALL, "num_heads": 6, "d_kv": 4}, f)
        with self.assertRaisesRegex(convert_reprover.ConversionError, "num_heads=6"):
            convert_reprover.convert(path, os.path.join(self.dir, "x.pt"), config)

    def test_bad_files(self):
        bad = os.path.join(self.dir, "bad.safetensors")
        with open(bad, "wb") as f:
            f.write(struct.pack("<Q", 1 << 40) + b"{}")
        with self.assertRaisesRegex(convert_reprover.ConversionError, "header size"):
            convert_reprover.convert(bad, os.path.join(self.dir, "x.pt"))
        not_t5 = os.path.join(self.dir, "pytorch_model.bin")
        torch.save({"linear.weight": torch.zeros(2, 2)}, not_t5)
        with self.assertRaisesRegex(convert_reprover.ConversionError, "no T5 encoder"):
            convert_reprover.convert(not_t5, os.path.join(self.dir, "x.pt"))
        result = subprocess.run([sys.executable, os.path.join(SCRIPTS, "convert_reprover.py"),
                                 os.path.join(self.dir, "missing.bin"), "-o",
                                 os.path.join(self.dir, "x.pt")],
                                capture_output=True, text=True)
        self.assertEqual(result.returncode, 1)
        self.assertIn("missing.bin: no such file", result.stderr)


class TestEncoderScriptTest(unittest.TestCase):
    def test_deterministic_and_contract(self):
        with tempfile.TemporaryDirectory() as d:
            paths = [os.path.join(d, f"{i}.pt") for i in range(3)]
            for path, seed in zip(paths, [0, 0, 1]):
                subprocess.run([sys.executable, os.path.join(SCRIPTS, "make_test_encoder.py"),
                                "-o", path, "--seed", str(seed), "--dim", "16"], check=True)
            a, b, c = (torch.jit.load(p) for p in paths)
            t5_encoder.check_contract(a, TEXTS)
            self.assertTrue(torch.equal(a.encode(TEXTS), b.encode(TEXTS)))
            self.assertFalse(torch.allclose(a.encode(TEXTS), c.encode(TEXTS)))
            self.assertEqual(a.embedding_dim, 16)

    def test_module_tokenises_utf8_bytes_and_truncates(self):
        model = t5_encoder.RetrievalEncoder(
            t5_encoder.T5Encoder(t5_encoder.T5Config(**{**SMALL, "num_layers": 1})), max_length=5)
        scripted = torch.jit.script(model.eval())
        texts = ["\u22a2\u2115", "abcdefgh", "abcd"]
        # check_contract compares encode() with encode_tokens() on Python's UTF-8 bytes.
        out = t5_encoder.check_contract(scripted, texts)
        self.assertTrue(torch.allclose(out[1], out[2], atol=1e-6))  # both cut to "abcd</s>"


if __name__ == "__main__":
    unittest.main()
