"""Tests of scripts/t5_generator.py, make_test_generator.py,
convert_reprover_generator.py and train_tactic_generator.py.

Run: /usr/bin/python3 scripts/tests/test_generator_scripts.py
Exits with 77 (skipped, for ctest) when this Python has no torch.

The converter is tested on randomly initialised state dicts that use the
parameter names and shapes of ReProver's tactic generator (Hugging Face
T5ForConditionalGeneration from google/byt5-small, alone or inside ReProver's
Lightning module) with reduced sizes, and its output is compared with a
straightforward loop-per-position T5 encoder-decoder written here
independently of t5_encoder.py and t5_generator.py.
"""

import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

try:
    import torch
except ImportError:
    print("SKIPPED: this Python cannot import torch (install python3-torch)")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.dirname(HERE)
sys.path.insert(0, SCRIPTS)
sys.path.insert(0, HERE)
import convert_reprover  # noqa: E402
import convert_reprover_generator  # noqa: E402
import t5_encoder  # noqa: E402
import t5_generator  # noqa: E402
import train_tactic_generator  # noqa: E402
from test_encoder_scripts import ref_bucket, reprover_state_dict, write_safetensors  # noqa: E402

SMALL = dict(vocab_size=384, d_model=24, d_kv=6, d_ff=40, num_layers=2, num_heads=4,
             relative_attention_num_buckets=32, relative_attention_max_distance=128,
             layer_norm_epsilon=1e-6, feed_forward_proj="gated-gelu")
SMALL_DECODER_LAYERS = 3
# google/byt5-small, as its config.json publishes it (ReProver's generator).
BYT5_SMALL = dict(vocab_size=384, d_model=1472, d_kv=64, d_ff=3584, num_layers=12, num_heads=6,
                  relative_attention_num_buckets=32)
BYT5_SMALL_DECODER_LAYERS = 4


def generator_state_dict(c: dict, decoder_layers: int, gen: torch.Generator, prefix: str = "",
                         device: str = "cpu", tied: bool = False) -> dict:
    """Random tensors under the names T5ForConditionalGeneration uses."""
    def t(*shape):
        if device == "meta":
            return torch.empty(shape, device="meta")
        return torch.randn(shape, generator=gen) * 0.3

    sd = reprover_state_dict(c, gen, prefix, device)
    inner = c["num_heads"] * c["d_kv"]
    sd[prefix + "decoder.embed_tokens.weight"] = sd[prefix + "shared.weight"]
    for i in range(decoder_layers):
        b = f"{prefix}decoder.block.{i}.layer."
        for att, n in (("SelfAttention", 0), ("EncDecAttention", 1)):
            for w in "qkv":
                sd[f"{b}{n}.{att}.{w}.weight"] = t(inner, c["d_model"])
            sd[f"{b}{n}.{att}.o.weight"] = t(c["d_model"], inner)
            sd[f"{b}{n}.layer_norm.weight"] = 1 + t(c["d_model"])
        if i == 0:
            sd[f"{b}0.SelfAttention.relative_attention_bias.weight"] = \
                t(c["relative_attention_num_buckets"], c["num_heads"]) * 3
        sd[f"{b}2.DenseReluDense.wi_0.weight"] = t(c["d_ff"], c["d_model"])
        sd[f"{b}2.DenseReluDense.wi_1.weight"] = t(c["d_ff"], c["d_model"])
        sd[f"{b}2.DenseReluDense.wo.weight"] = t(c["d_model"], c["d_ff"])
        sd[f"{b}2.layer_norm.weight"] = 1 + t(c["d_model"])
    sd[prefix + "decoder.final_layer_norm.weight"] = 1 + t(c["d_model"])
    if not tied:
        sd[prefix + "lm_head.weight"] = t(c["vocab_size"], c["d_model"])
    return sd


# --- an independent reference T5 encoder-decoder ------------------------------

def ref_log_probs(sd: dict, c: dict, decoder_layers: int, ids: list, targets: list,
                  prefix: str = "", tied: bool = False) -> torch.Tensor:
    """log p(next token) after each decoder input in `targets` (start token
    first), for one unpadded input, computed position by position in float64."""
    def w(name):
        return sd[prefix + name].double()

    def rms(x, weight):
        return weight * x / torch.sqrt((x * x).mean() + 1e-6)

    def gelu(x):
        return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))

    def ff(s, b):
        x = rms(s, w(b + "layer_norm.weight"))
        hidden = gelu(w(b + "DenseReluDense.wi_0.weight") @ x) * (w(b + "DenseReluDense.wi_1.weight") @ x)
        return s + w(b + "DenseReluDense.wo.weight") @ hidden

    def attend(queries, keys, values, bias):
        h, dk = c["num_heads"], c["d_kv"]
        out = []
        for i, q in enumerate(queries):
            heads = []
            for hh in range(h):
                sl = slice(hh * dk, (hh + 1) * dk)
                scores = torch.tensor([float(q[sl] @ k[sl]) + bias(i, j, hh)
                                       for j, k in enumerate(keys)], dtype=torch.float64)
                p = torch.softmax(scores, 0)
                heads.append(sum(p[j] * values[j][sl] for j in range(len(keys))))
            out.append(torch.cat(heads))
        return out

    def self_attention(states, b, rel_bias, bidirectional):
        normed = [rms(s, w(b + "layer_norm.weight")) for s in states]
        q = [w(b + "SelfAttention.q.weight") @ x for x in normed]
        k = [w(b + "SelfAttention.k.weight") @ x for x in normed]
        v = [w(b + "SelfAttention.v.weight") @ x for x in normed]

        def bias(i, j, hh):
            if bidirectional:
                return float(rel_bias[ref_bucket(j - i, 32, 128), hh])
            if j > i:
                return -1e30
            n = i - j  # unidirectional: 32 buckets, 16 exact
            bucket = n if n < 16 else min(16 + int(math.log(n / 16) / math.log(128 / 16) * 16), 31)
            return float(rel_bias[bucket, hh])
        attn = attend(q, k, v, bias)
        return [s + w(b + "SelfAttention.o.weight") @ a for s, a in zip(states, attn)]

    emb = sd[prefix + "shared.weight"].double()
    states = [emb[i] for i in ids]
    enc_bias = w("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight")
    for layer in range(c["num_layers"]):
        b = f"encoder.block.{layer}.layer."
        states = self_attention(states, b + "0.", enc_bias, True)
        states = [ff(s, b + "1.") for s in states]
    enc = [rms(s, w("encoder.final_layer_norm.weight")) for s in states]

    dec = [emb[i] for i in targets]
    dec_bias = w("decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight")
    for layer in range(decoder_layers):
        b = f"decoder.block.{layer}.layer."
        dec = self_attention(dec, b + "0.", dec_bias, False)
        normed = [rms(s, w(b + "1.layer_norm.weight")) for s in dec]
        q = [w(b + "1.EncDecAttention.q.weight") @ x for x in normed]
        k = [w(b + "1.EncDecAttention.k.weight") @ x for x in enc]
        v = [w(b + "1.EncDecAttention.v.weight") @ x for x in enc]
        attn = attend(q, k, v, lambda i, j, hh: 0.0)
        dec = [s + w(b + "1.EncDecAttention.o.weight") @ a for s, a in zip(dec, attn)]
        dec = [ff(s, b + "2.") for s in dec]
    final = [rms(s, w("decoder.final_layer_norm.weight")) for s in dec]
    if tied:
        logits = torch.stack([emb @ (x * c["d_model"] ** -0.5) for x in final])
    else:
        logits = torch.stack([w("lm_head.weight") @ x for x in final])
    return torch.log_softmax(logits, dim=-1).float()


STATES = ["n : \u2115\n\u22a2 n + 0 = n", "\u22a2 True"]
TARGETS = [[0, 104, 118, 114, 115], [0, 120, 107, 1, 50]]


class ConverterTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.gen = torch.Generator().manual_seed(4321)

    def tearDown(self):
        self.tmp.cleanup()

    def check_against_reference(self, out_path, sd, prefix="", tied=False):
        module = torch.jit.load(out_path)
        t5_generator.check_contract(module)
        self.assertEqual(module.max_input_length, 2300)
        self.assertEqual(module.max_output_length, 512)
        self.assertEqual(module.vocab_size, 384)
        self.assertEqual((module.decoder_start_token_id, module.eos_token_id), (0, 1))
        for state, targets in zip(STATES, TARGETS):
            ids, mask = t5_generator.byt5_batch([state], 2300)
            memory = module.encode(ids, mask)
            cache = []
            want = ref_log_probs(sd, SMALL, SMALL_DECODER_LAYERS, ids[0].tolist(), targets,
                                 prefix, tied)
            for t, token in enumerate(targets):
                logits, cache = module.decode_step(torch.tensor([token]), memory, cache)
                got = torch.log_softmax(logits[0], dim=-1)
                self.assertTrue(torch.allclose(got, want[t], atol=2e-4),
                                f"step {t}: max diff {(got - want[t]).abs().max()}")

    def test_hf_directory_with_pytorch_model_bin(self):
        sd = generator_state_dict(SMALL, SMALL_DECODER_LAYERS, self.gen)
        model_dir = os.path.join(self.dir, "hf")
        os.makedirs(model_dir)
        torch.save(sd, os.path.join(model_dir, "pytorch_model.bin"))
        with open(os.path.join(model_dir, "config.json"), "w") as f:
            json.dump({**SMALL, "architectures": ["T5ForConditionalGeneration"],
                       "num_decoder_layers": SMALL_DECODER_LAYERS,
                       "tie_word_embeddings": False, "decoder_start_token_id": 0,
                       "eos_token_id": 1, "pad_token_id": 0}, f)
        out = os.path.join(self.dir, "gen.pt")
        convert_reprover_generator.convert(model_dir, out)
        self.check_against_reference(out, sd)

    def test_lightning_checkpoint_with_a_retriever_beside(self):
        sd = generator_state_dict(SMALL, SMALL_DECODER_LAYERS, self.gen, prefix="generator.")
        sd.update(reprover_state_dict(SMALL, self.gen, prefix="retriever.encoder."))
        path = os.path.join(self.dir, "generator.ckpt")
        torch.save({"state_dict": sd, "hyper_parameters": {"model_name": "google/byt5-small"}},
                   path)
        out = os.path.join(self.dir, "gen.pt")
        config = convert_reprover_generator.convert(path, out)
        self.assertEqual(config.num_decoder_layers, SMALL_DECODER_LAYERS)
        self.assertFalse(config.tie_word_embeddings)
        self.check_against_reference(out, sd, prefix="generator.")

    def test_safetensors_bf16_tied_without_config(self):
        sd = generator_state_dict(SMALL, SMALL_DECODER_LAYERS, self.gen, tied=True)
        sd = {k: v.to(torch.bfloat16) for k, v in sd.items()}
        stored = {k: v for k, v in sd.items() if not k.endswith("embed_tokens.weight")}
        path = os.path.join(self.dir, "model.safetensors")
        write_safetensors(path, stored)
        out = os.path.join(self.dir, "gen.pt")
        config = convert_reprover_generator.convert(path, out)
        self.assertTrue(config.tie_word_embeddings)
        self.check_against_reference(out, {k: v.float() for k, v in sd.items()}, tied=True)

    def test_full_byt5_small_names_and_shapes(self):
        meta = generator_state_dict(BYT5_SMALL, BYT5_SMALL_DECODER_LAYERS, self.gen,
                                    device="meta")
        params = convert_reprover_generator.model_parameters(meta)
        config = convert_reprover_generator.infer_config(params, None)
        for key, value in BYT5_SMALL.items():
            self.assertEqual(getattr(config, key), value, key)
        self.assertEqual(config.num_decoder_layers, 4)
        self.assertFalse(config.tie_word_embeddings)
        # One full-width encoder and decoder block of our model have exactly these names and shapes.
        one = t5_generator.TacticGenerator(t5_generator.T5GeneratorConfig(
            **{**BYT5_SMALL, "num_layers": 1, "num_decoder_layers": 1}))
        for name, tensor in one.state_dict().items():
            if name.endswith("embed_tokens.weight"):
                name = "shared.weight"
            self.assertEqual(tuple(params[name].shape), tuple(tensor.shape), name)
        # shared + lm_head + encoder (12 x 9 + 2) + decoder (4 x 14 + 1 + 1 + 1 embed copy) ...
        self.assertEqual(len([k for k in params if k.startswith("decoder.block.")]), 4 * 14 + 1)

    def test_missing_and_misshapen_parameters_are_named(self):
        sd = generator_state_dict(SMALL, SMALL_DECODER_LAYERS, self.gen)
        del sd["decoder.block.2.layer.1.EncDecAttention.v.weight"]
        path = os.path.join(self.dir, "pytorch_model.bin")
        torch.save(sd, path)
        with self.assertRaisesRegex(convert_reprover.ConversionError,
                                    r"decoder\.block\.2\.layer\.1\.EncDecAttention\.v\.weight"):
            convert_reprover_generator.convert(path, os.path.join(self.dir, "x.pt"))
        sd = generator_state_dict(SMALL, SMALL_DECODER_LAYERS, self.gen)
        sd["lm_head.weight"] = torch.zeros(384, 23)
        torch.save(sd, path)
        with self.assertRaisesRegex(convert_reprover.ConversionError, r"lm_head\.weight"):
            convert_reprover_generator.convert(path, os.path.join(self.dir, "x.pt"))
        self.assertFalse(os.path.exists(os.path.join(self.dir, "x.pt")))

    def test_config_that_contradicts_the_weights(self):
        sd = generator_state_dict(SMALL, SMALL_DECODER_LAYERS, self.gen)
        path = os.path.join(self.dir, "pytorch_model.bin")
        torch.save(sd, path)
        config = os.path.join(self.dir, "other.json")
        with open(config, "w") as f:
            json.dump({**SMALL, "num_decoder_layers": 4}, f)
        with self.assertRaisesRegex(convert_reprover.ConversionError, "num_decoder_layers=4"):
            convert_reprover_generator.convert(path, os.path.join(self.dir, "x.pt"), config)

    def test_bad_files(self):
        only_encoder = os.path.join(self.dir, "pytorch_model.bin")
        torch.save(reprover_state_dict(SMALL, self.gen), only_encoder)
        with self.assertRaisesRegex(convert_reprover.ConversionError, "no T5 decoder"):
            convert_reprover_generator.convert(only_encoder, os.path.join(self.dir, "x.pt"))
        result = subprocess.run([sys.executable,
                                 os.path.join(SCRIPTS, "convert_reprover_generator.py"),
                                 os.path.join(self.dir, "missing.bin"), "-o",
                                 os.path.join(self.dir, "x.pt")],
                                capture_output=True, text=True)
        self.assertEqual(result.returncode, 1)
        self.assertIn("missing.bin: no such file", result.stderr)


class GeneratorModuleTest(unittest.TestCase):
    def test_steps_with_cache_equal_teacher_forcing(self):
        torch.manual_seed(0)
        config = t5_generator.T5GeneratorConfig(d_model=16, d_kv=4, d_ff=32, num_layers=1,
                                                num_heads=4, num_decoder_layers=2)
        model = t5_generator.TacticGenerator(config, 50, 30).eval()
        scripted = torch.jit.script(model)
        ids, mask = t5_generator.byt5_batch(["a long state here", "x"], 50)
        # 40 positions reach the logarithmic buckets (beyond 16) of the decoder bias.
        targets = torch.randint(3, 200, (2, 40))
        targets[:, 0] = 0
        full = model(ids, mask, targets)
        memory = scripted.encode(ids, mask)
        cache = []
        for t in range(targets.size(1)):
            logits, cache = scripted.decode_step(targets[:, t], memory, cache)
            self.assertTrue(torch.allclose(logits, full[:, t], atol=1e-5), t)
        # Reordered rows continue their own sequences.
        order = torch.tensor([1, 1])
        logits, _ = scripted.decode_step(targets[order, -1], [m[order] for m in memory],
                                         [c[order] for c in cache])
        self.assertTrue(torch.allclose(logits[0], logits[1]))

    def test_unidirectional_buckets(self):
        rel = torch.tensor([0, -1, -15, -16, -17, -40, -127, -500, 3])
        got = t5_encoder.relative_position_bucket(rel, 32, 128, False).tolist()
        self.assertEqual(got, [0, 1, 15, 16, 16, 23, 31, 31, 0])

    def test_test_generator_is_deterministic(self):
        with tempfile.TemporaryDirectory() as d:
            paths = [os.path.join(d, f"{i}.pt") for i in range(3)]
            for path, seed in zip(paths, [0, 0, 1]):
                subprocess.run([sys.executable, os.path.join(SCRIPTS, "make_test_generator.py"),
                                "-o", path, "--seed", str(seed)], check=True)
            a, b, c = (torch.jit.load(p) for p in paths)
            t5_generator.check_contract(a)
            ids, mask = t5_generator.byt5_batch(STATES, 100)
            start = torch.zeros(2, dtype=torch.long)
            la, _ = a.decode_step(start, a.encode(ids, mask), [])
            lb, _ = b.decode_step(start, b.encode(ids, mask), [])
            lc, _ = c.decode_step(start, c.encode(ids, mask), [])
            self.assertTrue(torch.equal(la, lb))
            self.assertFalse(torch.allclose(la, lc))

    def test_decode_bytes_is_hugging_faces(self):
        ids = [b + 3 for b in "\u22a2 x".encode()] + [1, 0, 2, 300] + [0xFF + 3, ord("y") + 3]
        self.assertEqual(t5_generator.decode_bytes(ids), "\u22a2 xy")


class TrainingTest(unittest.TestCase):
    def test_reads_the_three_formats(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "a.jsonl"), "w") as f:
                f.write(json.dumps({"state": "s1", "tactic": "t1"}) + "\n\n")
                f.write(json.dumps({"state": "s1", "tactic": "t1"}) + "\n")
            with open(os.path.join(d, "b.json"), "w") as f:
                json.dump([{"full_name": "x", "traced_tactics": [
                    {"tactic": "t2", "state_before": "s2", "state_after": "no goals"}]}], f)
            os.makedirs(os.path.join(d, "sub"))
            with open(os.path.join(d, "sub", "c.json"), "w") as f:
                json.dump({"results": [{"attempt_results": [
                    {"trace": [{"tactic": "t3", "state_before": "s3"}]},
                    {"trace": ["t4"], "sstrace": [{"tactic": "t4", "state_before": "s4"},
                                                   {"tactic": "t5", "state_before": "no goals"}]},
                    {"success": False}]}]}, f)
            pairs = train_tactic_generator.load_pairs([d])
            self.assertEqual(pairs, [("s1", "t1"), ("s2", "t2"), ("s3", "t3"), ("s4", "t4")])
            with open(os.path.join(d, "bad.jsonl"), "w") as f:
                f.write("{\"state\": 1}\n")
            with self.assertRaisesRegex(train_tactic_generator.DataError, r"bad\.jsonl:1"):
                train_tactic_generator.load_pairs([d])

    def test_learns_a_few_pairs(self):
        with tempfile.TemporaryDirectory() as d:
            data = os.path.join(d, "pairs.jsonl")
            pairs = [("\u22a2 1 + 1 = 2", "norm_num"), ("h : a = b\n\u22a2 b = a", "exact h.symm"),
                     ("\u22a2 True", "trivial")]
            with open(data, "w") as f:
                for s, t in pairs:
                    f.write(json.dumps({"state": s, "tactic": t}) + "\n")
            out = os.path.join(d, "model.pt")
            result = subprocess.run(
                [sys.executable, os.path.join(SCRIPTS, "train_tactic_generator.py"), data,
                 "-o", out, "--steps", "150", "--d-model", "32", "--layers", "1",
                 "--batch-size", "3", "--lr", "1e-2", "--max-output-length", "32"],
                capture_output=True, text=True)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn("reproduces 3 of the first 3", result.stdout)
            module = torch.jit.load(out)
            t5_generator.check_contract(module)
            self.assertEqual(module.max_output_length, 32)
            self.assertEqual(train_tactic_generator.greedy(module, pairs[1][0]), "exact h.symm")


if __name__ == "__main__":
    unittest.main()
