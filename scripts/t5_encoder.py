"""The T5 encoder in plain PyTorch, and tatami's TorchScript encoder contract.

Used by make_test_encoder.py (a tiny random model for tests and examples) and
convert_reprover.py (ReProver's ByT5-small retriever). No `transformers`
dependency: the architecture is written out here, with the parameter names of
Hugging Face's T5EncoderModel so that its state dicts load without renaming
(beyond the "encoder." prefix).

The T5 v1.1 / ByT5 encoder:
  * shared token embedding (no scaling), dropout off (inference);
  * every block: pre-norm self-attention then pre-norm feed-forward, each added
    to the residual stream; norms are T5's RMS norm (scale only, no mean, no
    bias), computed in float32;
  * attention has no 1/sqrt(d_kv) scaling (T5 folds it into the weights) and
    a learned relative position bias: bidirectional buckets (half per
    direction; the first half of each exact, the rest logarithmic up to
    max_distance), held by block 0 and shared by every block;
  * feed-forward is gated GELU (tanh approximation) for "gated-gelu"
    (wi_0, wi_1, wo) or ReLU for the original T5's "relu" (wi, wo); no biases;
  * a final RMS norm.

The retrieval embedding is ReProver's: the mean of the final hidden states over
non-padding positions, L2-normalised.

The contract (docs/retrieval.md) the exported module satisfies:
  encode(texts: List[str]) -> Tensor[n, d]                    (tokenises itself)
  encode_tokens(input_ids: Tensor[n, L] int64,
                attention_mask: Tensor[n, L] int64) -> Tensor[n, d]
  tokenizer: str = "byt5", max_length: int, embedding_dim: int,
  contract_version: int = 1
"""

import math
import os
import tempfile
from dataclasses import dataclass
from typing import List

import torch
import torch.nn.functional as F
from torch import Tensor, nn

CONTRACT_VERSION = 1
BYT5_PAD, BYT5_EOS, BYT5_BYTE_OFFSET = 0, 1, 3
REPROVER_MAX_LENGTH = 1024  # ReProver's max_seq_len for LeanDojo Benchmark 4


@dataclass
class T5Config:
    """Encoder hyper-parameters, named as in a Hugging Face config.json.

    The defaults are google/byt5-small's (ReProver's retriever)."""

    vocab_size: int = 384
    d_model: int = 1472
    d_kv: int = 64
    d_ff: int = 3584
    num_layers: int = 12
    num_heads: int = 6
    relative_attention_num_buckets: int = 32
    relative_attention_max_distance: int = 128
    layer_norm_epsilon: float = 1e-6
    feed_forward_proj: str = "gated-gelu"

    @classmethod
    def from_json(cls, data: dict) -> "T5Config":
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**fields)

    def gated(self) -> bool:
        if self.feed_forward_proj in ("gated-gelu", "gated-gelu_new"):
            return True
        if self.feed_forward_proj == "relu":
            return False
        raise ValueError(f"unsupported feed_forward_proj {self.feed_forward_proj!r} "
                         "(supported: gated-gelu, relu)")


class T5LayerNorm(nn.Module):
    """RMS norm: scale by the root mean square; no mean subtraction, no bias."""

    def __init__(self, d_model: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d_model))
        self.eps = eps

    def forward(self, x: Tensor) -> Tensor:
        variance = x.to(torch.float32).pow(2).mean(-1, keepdim=True)
        x = x * torch.rsqrt(variance + self.eps)
        return self.weight * x.to(self.weight.dtype)


def gelu_tanh(x: Tensor) -> Tensor:
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


class T5DenseGatedGelu(nn.Module):
    def __init__(self, config: T5Config):
        super().__init__()
        self.wi_0 = nn.Linear(config.d_model, config.d_ff, bias=False)
        self.wi_1 = nn.Linear(config.d_model, config.d_ff, bias=False)
        self.wo = nn.Linear(config.d_ff, config.d_model, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.wo(gelu_tanh(self.wi_0(x)) * self.wi_1(x))


class T5DenseRelu(nn.Module):
    def __init__(self, config: T5Config):
        super().__init__()
        self.wi = nn.Linear(config.d_model, config.d_ff, bias=False)
        self.wo = nn.Linear(config.d_ff, config.d_model, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.wo(F.relu(self.wi(x)))


class T5LayerFF(nn.Module):
    def __init__(self, config: T5Config):
        super().__init__()
        self.DenseReluDense = T5DenseGatedGelu(config) if config.gated() else T5DenseRelu(config)
        self.layer_norm = T5LayerNorm(config.d_model, config.layer_norm_epsilon)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.DenseReluDense(self.layer_norm(x))


def relative_position_bucket(relative_position: Tensor, num_buckets: int,
                             max_distance: int, bidirectional: bool = True) -> Tensor:
    """T5's bucketing of key_position - query_position.

    Bidirectional (the encoder): half the buckets per direction. Otherwise (the
    decoder, whose queries only see earlier keys): every bucket for keys at or
    before the query."""
    if bidirectional:
        num_buckets = num_buckets // 2
        buckets = (relative_position > 0).to(torch.long) * num_buckets
        distance = torch.abs(relative_position)
    else:
        buckets = torch.zeros_like(relative_position)
        distance = -torch.clamp(relative_position, max=0)
    max_exact = num_buckets // 2
    # log(0) is -inf for the exact (small) distances; torch.where discards it.
    scaled = torch.log(distance.to(torch.float32).clamp(min=1.0) / max_exact)
    scaled = scaled / math.log(max_distance / max_exact) * (num_buckets - max_exact)
    large = max_exact + scaled.to(torch.long)
    large = torch.clamp(large, max=num_buckets - 1)
    return buckets + torch.where(distance < max_exact, distance, large)


class T5Attention(nn.Module):
    def __init__(self, config: T5Config, has_relative_attention_bias: bool):
        super().__init__()
        self.n_heads = config.num_heads
        self.d_kv = config.d_kv
        inner = config.num_heads * config.d_kv
        self.q = nn.Linear(config.d_model, inner, bias=False)
        self.k = nn.Linear(config.d_model, inner, bias=False)
        self.v = nn.Linear(config.d_model, inner, bias=False)
        self.o = nn.Linear(inner, config.d_model, bias=False)
        self.num_buckets = config.relative_attention_num_buckets
        self.max_distance = config.relative_attention_max_distance
        self.has_relative_attention_bias = has_relative_attention_bias
        if has_relative_attention_bias:
            self.relative_attention_bias = nn.Embedding(self.num_buckets, self.n_heads)

    def forward(self, x: Tensor, position_bias: Tensor) -> Tensor:
        b, length = x.size(0), x.size(1)
        q = self.q(x).view(b, length, self.n_heads, self.d_kv).transpose(1, 2)
        k = self.k(x).view(b, length, self.n_heads, self.d_kv).transpose(1, 2)
        v = self.v(x).view(b, length, self.n_heads, self.d_kv).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(3, 2)) + position_bias
        weights = F.softmax(scores.float(), dim=-1).type_as(scores)
        out = torch.matmul(weights, v).transpose(1, 2).contiguous()
        return self.o(out.view(b, length, self.n_heads * self.d_kv))


class T5LayerSelfAttention(nn.Module):
    def __init__(self, config: T5Config, has_relative_attention_bias: bool):
        super().__init__()
        self.SelfAttention = T5Attention(config, has_relative_attention_bias)
        self.layer_norm = T5LayerNorm(config.d_model, config.layer_norm_epsilon)

    def forward(self, x: Tensor, position_bias: Tensor) -> Tensor:
        return x + self.SelfAttention(self.layer_norm(x), position_bias)


class T5Block(nn.Module):
    def __init__(self, config: T5Config, has_relative_attention_bias: bool):
        super().__init__()
        self.layer = nn.ModuleList([
            T5LayerSelfAttention(config, has_relative_attention_bias),
            T5LayerFF(config),
        ])

    def forward(self, x: Tensor, position_bias: Tensor) -> Tensor:
        x = self.layer[0](x, position_bias)
        return self.layer[1](x)


class T5Encoder(nn.Module):
    """The encoder stack; state-dict names match T5EncoderModel's "encoder." part."""

    def __init__(self, config: T5Config):
        super().__init__()
        self.embed_tokens = nn.Embedding(config.vocab_size, config.d_model)
        self.block = nn.ModuleList([T5Block(config, i == 0) for i in range(config.num_layers)])
        self.final_layer_norm = T5LayerNorm(config.d_model, config.layer_norm_epsilon)
        self.num_buckets = config.relative_attention_num_buckets
        self.max_distance = config.relative_attention_max_distance
        self.d_model = config.d_model

    def position_bias(self, length: int) -> Tensor:
        positions = torch.arange(length, dtype=torch.long)
        relative = positions[None, :] - positions[:, None]  # key - query
        buckets = relative_position_bucket(relative, self.num_buckets, self.max_distance)
        bias = self.block[0].layer[0].SelfAttention.relative_attention_bias(buckets)
        return bias.permute([2, 0, 1]).unsqueeze(0)  # [1, heads, query, key]

    def forward(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        x = self.embed_tokens(input_ids)
        # Padding keys get the most negative float, as in T5.
        blocked = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -3.4028234663852886e38
        bias = self.position_bias(input_ids.size(1)) + blocked
        for block in self.block:
            x = block(x, bias)
        return self.final_layer_norm(x)


class RetrievalEncoder(nn.Module):
    """tatami's encoder contract around a T5 encoder (see module docstring)."""

    def __init__(self, encoder: T5Encoder, max_length: int = REPROVER_MAX_LENGTH):
        super().__init__()
        if max_length < 1:
            raise ValueError("max_length must be at least 1")
        self.encoder = encoder
        self.tokenizer = "byt5"
        self.max_length = max_length
        self.embedding_dim = encoder.d_model
        self.contract_version = CONTRACT_VERSION

    def forward(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        return self.encode_tokens(input_ids, attention_mask)

    @torch.jit.export
    def encode_tokens(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        hidden = self.encoder(input_ids, attention_mask)
        mask = attention_mask.unsqueeze(2).to(hidden.dtype)
        lengths = attention_mask.sum(dim=1, keepdim=True).to(hidden.dtype)
        return F.normalize((hidden * mask).sum(dim=1) / lengths, dim=1)

    @torch.jit.export
    def encode(self, texts: List[str]) -> Tensor:
        # Under TorchScript a str is its UTF-8 bytes: len() counts bytes and
        # indexing yields one byte, so ord() gives the byte values ByT5 uses.
        # (In eager Python it would give code points: use the scripted module.)
        rows: List[List[int]] = []
        longest = 0
        for text in texts:
            n = min(len(text), self.max_length - 1)
            ids: List[int] = []
            for i in range(n):
                ids.append(ord(text[i]) + 3)
            ids.append(1)
            rows.append(ids)
            longest = max(longest, len(ids))
        input_ids = torch.zeros([len(rows), longest], dtype=torch.long)
        attention_mask = torch.zeros([len(rows), longest], dtype=torch.long)
        for r, ids in enumerate(rows):
            input_ids[r, :len(ids)] = torch.tensor(ids, dtype=torch.long)
            attention_mask[r, :len(ids)] = 1
        if len(rows) == 0:
            return torch.zeros([0, self.embedding_dim], dtype=torch.float32)
        return self.encode_tokens(input_ids, attention_mask)


def byt5_ids(text: str, max_length: int = REPROVER_MAX_LENGTH) -> List[int]:
    """ByT5 ids of one text in Python (for tests and checks)."""
    data = text.encode("utf-8")[: max_length - 1]
    return [b + BYT5_BYTE_OFFSET for b in data] + [BYT5_EOS]


def save_atomically(module: torch.jit.ScriptModule, path: str) -> None:
    """torch.jit.save to a temporary file beside `path`, then rename."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".pt", dir=directory)
    os.close(fd)
    try:
        torch.jit.save(module, tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def check_contract(module, texts: List[str], atol: float = 1e-4) -> Tensor:
    """Runs both entry points on `texts` and checks the contract; returns encode()'s output."""
    out = module.encode(texts)
    if out.dim() != 2 or out.size(0) != len(texts) or out.size(1) != module.embedding_dim:
        raise AssertionError(f"encode returned shape {list(out.shape)}, expected "
                             f"[{len(texts)}, {module.embedding_dim}]")
    if out.dtype != torch.float32:
        raise AssertionError(f"encode returned {out.dtype}, expected float32")
    norms = out.norm(dim=1)
    if not torch.allclose(norms, torch.ones_like(norms), atol=1e-4):
        raise AssertionError(f"embeddings are not L2-normalised: norms {norms.tolist()}")
    rows = [byt5_ids(t, module.max_length) for t in texts]
    longest = max(len(r) for r in rows)
    ids = torch.zeros([len(rows), longest], dtype=torch.long)
    mask = torch.zeros([len(rows), longest], dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = torch.tensor(r)
        mask[i, :len(r)] = 1
    by_tokens = module.encode_tokens(ids, mask)
    if not torch.allclose(out, by_tokens, atol=atol):
        raise AssertionError("encode and encode_tokens disagree (tokenisation mismatch)")
    return out
