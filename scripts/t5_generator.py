"""The T5 encoder-decoder in plain PyTorch, and tatami's TorchScript tactic
generator contract (docs/generator.md).

Used by make_test_generator.py (a tiny random model for tests),
train_tactic_generator.py (a small model trained on (state, tactic) pairs) and
convert_reprover_generator.py (ReProver's ByT5-small tactic generator). The
encoder is t5_encoder.py's; the decoder below reuses its attention, norm and
feed-forward pieces. Parameter names are those of Hugging Face's
T5ForConditionalGeneration ("shared.", "encoder.", "decoder.", "lm_head."), so
its state dicts load without renaming.

The T5 v1.1 / ByT5 decoder, beyond what t5_encoder.py describes:
  * every block: causal self-attention (with a relative position bias held by
    block 0, unidirectional buckets), then attention over the encoder's final
    states (no position bias; padding keys blocked), then the feed-forward;
    each pre-norm and added to the residual stream; a final RMS norm;
  * the output projection `lm_head` is separate from the embedding (ByT5,
    tie_word_embeddings = false); with tied embeddings (the original T5) the
    shared embedding is used and the final states are scaled by d_model^-0.5.

The contract (version 1), all tensors on the CPU, float32:
  encode(input_ids: Tensor[n, L] int64, attention_mask: Tensor[n, L] int64)
      -> List[Tensor]            "memory": every tensor has n rows (dim 0)
  decode_step(tokens: Tensor[m] int64, memory: List[Tensor],
              cache: List[Tensor]) -> Tuple[Tensor[m, vocab_size], List[Tensor]]
      logits of the next token after `tokens`, and the new cache; memory rows
      and cache rows (dim 0 of every tensor) belong to the m hypotheses; the
      cache is empty at the first step (tokens = decoder_start_token_id)
  contract_version: int = 1, tokenizer: str = "byt5", vocab_size: int,
  max_input_length: int, max_output_length: int, decoder_start_token_id: int,
  eos_token_id: int, pad_token_id: int
The caller may select rows of memory and cache (index_select on dim 0) between
steps: that is how beams are reordered and finished requests dropped.
"""

import math
import os
import sys
from dataclasses import dataclass
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import t5_encoder  # noqa: E402
from t5_encoder import T5Config, T5LayerFF, T5LayerNorm  # noqa: E402

CONTRACT_VERSION = 1
# ReProver's generator: max_inp_seq_len and max_oup_seq_len (HF's max_length,
# which counts the decoder start token).
REPROVER_MAX_INPUT_LENGTH = 2300
REPROVER_MAX_OUTPUT_LENGTH = 512
PAD, EOS, UNK = 0, 1, 2


@dataclass
class T5GeneratorConfig(T5Config):
    """Encoder-decoder hyper-parameters, named as in a Hugging Face config.json.

    The defaults are google/byt5-small's (ReProver's tactic generator)."""

    num_decoder_layers: int = 4
    tie_word_embeddings: bool = False
    decoder_start_token_id: int = PAD
    eos_token_id: int = EOS
    pad_token_id: int = PAD


class T5DecoderSelfAttention(nn.Module):
    """layer.0 of a decoder block: causal self-attention with a key/value cache."""

    def __init__(self, config: T5Config, has_relative_attention_bias: bool):
        super().__init__()
        self.SelfAttention = t5_encoder.T5Attention(config, has_relative_attention_bias)
        self.layer_norm = T5LayerNorm(config.d_model, config.layer_norm_epsilon)

    def forward(self, x: Tensor, position_bias: Tensor, past_k: Optional[Tensor],
                past_v: Optional[Tensor]) -> Tuple[Tensor, Tensor, Tensor]:
        a = self.SelfAttention
        b, t = x.size(0), x.size(1)
        h = self.layer_norm(x)
        q = a.q(h).view(b, t, a.n_heads, a.d_kv).transpose(1, 2)
        k = a.k(h).view(b, t, a.n_heads, a.d_kv).transpose(1, 2)
        v = a.v(h).view(b, t, a.n_heads, a.d_kv).transpose(1, 2)
        if past_k is not None and past_v is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        scores = torch.matmul(q, k.transpose(3, 2)) + position_bias
        weights = F.softmax(scores.float(), dim=-1).type_as(scores)
        out = torch.matmul(weights, v).transpose(1, 2).contiguous()
        return x + a.o(out.view(b, t, a.n_heads * a.d_kv)), k, v


class T5CrossAttention(nn.Module):
    """layer.1 of a decoder block: attention over the encoder's final states.

    Its keys and values depend only on the input, so encode() computes them
    once (project) and they travel in the memory."""

    def __init__(self, config: T5Config):
        super().__init__()
        self.EncDecAttention = t5_encoder.T5Attention(config, False)
        self.layer_norm = T5LayerNorm(config.d_model, config.layer_norm_epsilon)

    def project(self, encoder_states: Tensor) -> Tuple[Tensor, Tensor]:
        a = self.EncDecAttention
        b, length = encoder_states.size(0), encoder_states.size(1)
        k = a.k(encoder_states).view(b, length, a.n_heads, a.d_kv).transpose(1, 2)
        v = a.v(encoder_states).view(b, length, a.n_heads, a.d_kv).transpose(1, 2)
        return k, v

    def forward(self, x: Tensor, k: Tensor, v: Tensor, blocked: Tensor) -> Tensor:
        a = self.EncDecAttention
        b, t = x.size(0), x.size(1)
        q = a.q(self.layer_norm(x)).view(b, t, a.n_heads, a.d_kv).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(3, 2)) + blocked
        weights = F.softmax(scores.float(), dim=-1).type_as(scores)
        out = torch.matmul(weights, v).transpose(1, 2).contiguous()
        return x + a.o(out.view(b, t, a.n_heads * a.d_kv))


class T5DecoderBlock(nn.Module):
    def __init__(self, config: T5Config, has_relative_attention_bias: bool):
        super().__init__()
        self.layer = nn.ModuleList([
            T5DecoderSelfAttention(config, has_relative_attention_bias),
            T5CrossAttention(config),
            T5LayerFF(config),
        ])


class T5Decoder(nn.Module):
    """The decoder stack; state-dict names match T5ForConditionalGeneration's "decoder." part."""

    def __init__(self, config: T5GeneratorConfig, embed_tokens: nn.Embedding):
        super().__init__()
        self.embed_tokens = embed_tokens
        self.block = nn.ModuleList(
            [T5DecoderBlock(config, i == 0) for i in range(config.num_decoder_layers)])
        self.final_layer_norm = T5LayerNorm(config.d_model, config.layer_norm_epsilon)
        self.num_buckets = config.relative_attention_num_buckets
        self.max_distance = config.relative_attention_max_distance

    def position_bias(self, start: int, queries: int) -> Tensor:
        """[1, heads, queries, start + queries]: queries at positions start.., keys
        at 0..; a key after its query is blocked."""
        query_pos = torch.arange(start, start + queries, dtype=torch.long)
        key_pos = torch.arange(start + queries, dtype=torch.long)
        relative = key_pos[None, :] - query_pos[:, None]
        buckets = t5_encoder.relative_position_bucket(relative, self.num_buckets,
                                                      self.max_distance, False)
        bias = self.block[0].layer[0].SelfAttention.relative_attention_bias(buckets)
        bias = bias.permute([2, 0, 1]).unsqueeze(0)
        # Blocked keys get the most negative float32, as in T5.
        future = (relative > 0).to(bias.dtype)[None, None, :, :] * -3.4028234663852886e38
        return bias + future

    def forward(self, tokens: Tensor, memory: List[Tensor],
                cache: List[Tensor]) -> Tuple[Tensor, List[Tensor]]:
        """Final states of `tokens` [m, t], which follow the len(cache) tokens
        already cached; memory = [blocked, k_0, v_0, k_1, v_1, ...] from
        encode(), cache = [self_k_0, self_v_0, ...] (empty at the start)."""
        start = 0
        if len(cache) > 0:
            start = cache[0].size(2)
        x = self.embed_tokens(tokens)
        bias = self.position_bias(start, tokens.size(1))
        blocked = memory[0]
        new_cache: List[Tensor] = []
        i = 0
        for block in self.block:
            past_k: Optional[Tensor] = None
            past_v: Optional[Tensor] = None
            if len(cache) > 0:
                past_k = cache[2 * i]
                past_v = cache[2 * i + 1]
            x, k, v = block.layer[0](x, bias, past_k, past_v)
            new_cache.append(k)
            new_cache.append(v)
            x = block.layer[1](x, memory[1 + 2 * i], memory[2 + 2 * i], blocked)
            x = block.layer[2](x)
            i += 1
        return self.final_layer_norm(x), new_cache


class TacticGenerator(nn.Module):
    """tatami's generator contract around a T5 encoder-decoder (see module docstring)."""

    def __init__(self, config: T5GeneratorConfig,
                 max_input_length: int = REPROVER_MAX_INPUT_LENGTH,
                 max_output_length: int = REPROVER_MAX_OUTPUT_LENGTH):
        super().__init__()
        if max_input_length < 1:
            raise ValueError("max_input_length must be at least 1")
        if max_output_length < 2:
            raise ValueError("max_output_length must be at least 2 (start token + one more)")
        self.shared = nn.Embedding(config.vocab_size, config.d_model)
        self.encoder = t5_encoder.T5Encoder(config)
        self.encoder.embed_tokens = self.shared
        self.decoder = T5Decoder(config, self.shared)
        self.lm_head = nn.Linear(config.d_model, config.vocab_size, bias=False)
        if config.tie_word_embeddings:
            self.lm_head.weight = self.shared.weight
        self.output_scale = config.d_model ** -0.5 if config.tie_word_embeddings else 1.0
        self.contract_version = CONTRACT_VERSION
        self.tokenizer = "byt5"
        self.vocab_size = config.vocab_size
        self.max_input_length = max_input_length
        self.max_output_length = max_output_length
        self.decoder_start_token_id = config.decoder_start_token_id
        self.eos_token_id = config.eos_token_id
        self.pad_token_id = config.pad_token_id

    def logits(self, hidden: Tensor) -> Tensor:
        return self.lm_head(hidden * self.output_scale)

    @torch.jit.export
    def encode(self, input_ids: Tensor, attention_mask: Tensor) -> List[Tensor]:
        states = self.encoder(input_ids, attention_mask)
        blocked = (1.0 - attention_mask[:, None, None, :].to(states.dtype)) * -3.4028234663852886e38
        memory: List[Tensor] = [blocked]
        for block in self.decoder.block:
            k, v = block.layer[1].project(states)
            memory.append(k)
            memory.append(v)
        return memory

    @torch.jit.export
    def decode_step(self, tokens: Tensor, memory: List[Tensor],
                    cache: List[Tensor]) -> Tuple[Tensor, List[Tensor]]:
        hidden, new_cache = self.decoder(tokens.unsqueeze(1), memory, cache)
        return self.logits(hidden[:, 0]), new_cache

    def forward(self, input_ids: Tensor, attention_mask: Tensor,
                decoder_input_ids: Tensor) -> Tensor:
        """Logits [n, t, vocab] of every next token (teacher forcing, for training)."""
        memory = self.encode(input_ids, attention_mask)
        hidden, _ = self.decoder(decoder_input_ids, memory, [])
        return self.logits(hidden)


def byt5_batch(texts: List[str], max_length: int) -> Tuple[Tensor, Tensor]:
    """ByT5 ids and attention mask of texts, padded to the longest."""
    rows = [t5_encoder.byt5_ids(t, max_length) for t in texts]
    longest = max(len(r) for r in rows)
    ids = torch.zeros([len(rows), longest], dtype=torch.long)
    mask = torch.zeros([len(rows), longest], dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = torch.tensor(r, dtype=torch.long)
        mask[i, :len(r)] = 1
    return ids, mask


def tactic_labels(tactics: List[str], max_output_length: int) -> Tensor:
    """Target ids (the tactic's bytes then </s>, at most max_output_length - 1
    of them, as the decoder can emit) padded with -100 (ignored by the loss)."""
    rows = [t5_encoder.byt5_ids(t, max_output_length - 1) for t in tactics]
    longest = max(len(r) for r in rows)
    labels = torch.full([len(rows), longest], -100, dtype=torch.long)
    for i, r in enumerate(rows):
        labels[i, :len(r)] = torch.tensor(r, dtype=torch.long)
    return labels


def shift_right(labels: Tensor, start: int) -> Tensor:
    """Decoder inputs for teacher forcing: the start token, then the labels but the last."""
    inputs = torch.full_like(labels, PAD)
    inputs[:, 0] = start
    inputs[:, 1:] = labels[:, :-1]
    return inputs.masked_fill(inputs == -100, PAD)


def sequence_loss(model: TacticGenerator, states: List[str], tactics: List[str]) -> Tensor:
    """Mean cross-entropy per target token (Hugging Face's T5 loss with labels)."""
    ids, mask = byt5_batch(states, model.max_input_length)
    labels = tactic_labels(tactics, model.max_output_length)
    logits = model(ids, mask, shift_right(labels, model.decoder_start_token_id))
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1),
                           ignore_index=-100)


def decode_bytes(ids: List[int]) -> str:
    """Text of generated ids as Hugging Face's ByT5 tokenizer decodes them with
    skip_special_tokens: specials and sentinels dropped, bytes that are not
    valid UTF-8 ignored."""
    data = bytes(i - t5_encoder.BYT5_BYTE_OFFSET for i in ids
                 if t5_encoder.BYT5_BYTE_OFFSET <= i < t5_encoder.BYT5_BYTE_OFFSET + 256)
    return data.decode("utf-8", errors="ignore")


def check_contract(module) -> None:
    """Raises AssertionError unless `module` has the contract's methods and attributes."""
    for name in ("contract_version", "tokenizer", "vocab_size", "max_input_length",
                 "max_output_length", "decoder_start_token_id", "eos_token_id", "pad_token_id"):
        if not hasattr(module, name):
            raise AssertionError(f"the module has no attribute {name}")
    if module.contract_version != CONTRACT_VERSION or module.tokenizer != "byt5":
        raise AssertionError("wrong contract_version or tokenizer")
    ids, mask = byt5_batch(["\u22a2 True", "n : \u2115\n\u22a2 n = n"], module.max_input_length)
    memory = module.encode(ids, mask)
    tokens = torch.full([2], module.decoder_start_token_id, dtype=torch.long)
    logits, cache = module.decode_step(tokens, memory, [])
    if list(logits.shape) != [2, module.vocab_size] or logits.dtype != torch.float32:
        raise AssertionError(f"decode_step returned logits {logits.dtype} {list(logits.shape)}")
    # A second step after reordering rows gives the rows' own continuations.
    order = torch.tensor([1, 0])
    memory = [m.index_select(0, order) for m in memory]
    cache = [c.index_select(0, order) for c in cache]
    step2, _ = module.decode_step(torch.tensor([40, 50]), memory, cache)
    if not torch.isfinite(step2).all():
        raise AssertionError("decode_step returned non-finite logits")
