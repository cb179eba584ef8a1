"""CoLM and CoLM-Air in PyTorch, exactly as FORMAT.md 1.1 defines the forward pass of sub-model k.

Every parameter is stored PER CHAIN, so freezing chain i is `requires_grad_(False)` on
`model.chain_parameters(i)` and nothing else:

    embed.chunks[i]                          [V, D_i]           embedding column block of chain i
    layers[l].input_layernorm.weights[i]     [D_i]              chain RMSNorm (post_attention_layernorm too)
    layers[l].self_attn.q_proj.weights[i]    [q_i, cum_i(D)]    chain linear: chain i reads chains 1..i
    layers[l].self_attn.q_proj.biases[i]     [q_i]              when the config has biases
    layers[l].self_attn.k_proj / v_proj      chain linear; with kv_sharing a dense nn.Linear(D_1 -> h_kv*hd), chain 1's
    layers[l].self_attn.q_norm / k_norm      .weight [head_dim]  qwen3, shared by all heads: chain 1's
    layers[l].mlp.{gate,up,down}_proj        chain linears
    norm.weights[i]                          [D_i]              final chain RMSNorm
    lm_head.chunks[i]                        [V, D_i]           absent when tied (the embedding's chunks)

One trunk pass at the widest requested k gives the logits of every smaller k too: the hidden state of
sub-model k is the first d_k features of the wider one (chain i never reads chains after i), and the
attention heads of sub-model k are the first heads of the wider one (plain GQA per chain, or Air's
shared KV with the tiled map j mod h_kv). logits_k = sum over chains i < k of norm(x)_i . W_i^T.

Parameters live in whatever dtype the caller casts the model to; RMSNorms, RoPE and the softmax run
in float32. There are no buffers: RoPE frequencies are computed from the config, so `to_empty` after
building on the meta device needs only `init_weights()`.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .config import ColmConfig

try:  # P2's op (Triton block-sparse kernel + torch fallback); the private fallback below until it exists
    from .ops import chain_linear as _ops_chain_linear
except ImportError:  # pragma: no cover - only while ops/ is being written
    _ops_chain_linear = None


def chain_linear_reference(x: torch.Tensor, weights, biases, k: int) -> torch.Tensor:
    """Output chain i < k = x[..., :cum_i] @ W_i^T (+ b_i), concatenated. Plain per-chain matmuls."""
    outs = []
    for i in range(k):
        w = weights[i]
        y = x[..., : w.shape[1]] @ w.t()
        if biases is not None:
            y = y + biases[i]
        outs.append(y)
    return outs[0] if k == 1 else torch.cat(outs, dim=-1)


def chain_linear(x, weights, biases, k: int, impl: str = "torch") -> torch.Tensor:
    if _ops_chain_linear is not None:
        return _ops_chain_linear(x, weights, biases, k, impl=impl)
    if impl != "torch":
        raise RuntimeError(f"chain linear kernel {impl!r} is not available (colm_torch.ops could not be imported)")
    return chain_linear_reference(x, weights, biases, k)


# -------------------------------------------------------------------------------------------------
# Building blocks
# -------------------------------------------------------------------------------------------------

class ChainLinear(nn.Module):
    """A block-lower-triangular linear map stored as per-chain blocks W_i [out_i, cum_in_i]."""

    def __init__(self, cum_in: list[int], cum_out: list[int], bias: bool, kernel: str = "torch"):
        super().__init__()
        n = len(cum_in) - 1
        self.cum_in, self.cum_out, self.kernel = list(cum_in), list(cum_out), kernel
        self.weights = nn.ParameterList(
            [nn.Parameter(torch.empty(cum_out[i + 1] - cum_out[i], cum_in[i + 1])) for i in range(n)])
        self.biases = nn.ParameterList(
            [nn.Parameter(torch.empty(cum_out[i + 1] - cum_out[i])) for i in range(n)]) if bias else None

    def forward(self, x: torch.Tensor, k: int) -> torch.Tensor:
        """x [..., >= cum_in[k]] -> [..., cum_out[k]]: chains 1..k only."""
        x = x[..., : self.cum_in[k]]
        biases = list(self.biases) if self.biases is not None else None
        return chain_linear(x, list(self.weights), biases, k, impl=self.kernel)

    def chain_parameters(self, i: int) -> list[nn.Parameter]:
        return [self.weights[i]] + ([self.biases[i]] if self.biases is not None else [])

    def dense_weight(self) -> torch.Tensor:
        """The whole [D_y, D_x] weight, zero outside the block lower-triangular mask."""
        W = self.weights[0].new_zeros(self.cum_out[-1], self.cum_in[-1])
        for i, w in enumerate(self.weights):
            W[self.cum_out[i]:self.cum_out[i + 1], : w.shape[1]] = w
        return W

    def extra_repr(self) -> str:
        return f"in={self.cum_in[1:]}, out={self.cum_out[1:]}, bias={self.biases is not None}, kernel={self.kernel}"


class ChainRMSNorm(nn.Module):
    """Each chain slice normalised by its own RMS (in float32), times its weights."""

    def __init__(self, cum: list[int], eps: float):
        super().__init__()
        self.cum, self.eps = list(cum), eps
        widths = [cum[i + 1] - cum[i] for i in range(len(cum) - 1)]
        self.equal = len(set(widths)) == 1
        self.weights = nn.ParameterList([nn.Parameter(torch.ones(w)) for w in widths])

    def forward(self, x: torch.Tensor, k: int) -> torch.Tensor:
        """x [..., >= cum[k]] -> [..., cum[k]]."""
        d = self.cum[k]
        xf = x[..., :d].float()
        if self.equal:  # one reshape instead of k slices
            w = self.cum[1]
            xs = xf.unflatten(-1, (k, w))
            y = (xs * torch.rsqrt(xs.pow(2).mean(-1, keepdim=True) + self.eps)).flatten(-2)
        else:
            parts = []
            for i in range(k):
                s = xf[..., self.cum[i]:self.cum[i + 1]]
                parts.append(s * torch.rsqrt(s.pow(2).mean(-1, keepdim=True) + self.eps))
            y = torch.cat(parts, dim=-1)
        w = torch.cat([p.float() for p in self.weights[:k]]) if k > 1 else self.weights[0].float()
        return (y * w).to(x.dtype)


class HeadRMSNorm(nn.Module):
    """Qwen3's q/k norm: RMSNorm of each head's vector (float32), weight [head_dim] shared by all heads."""

    def __init__(self, head_dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(head_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xf = x.float()
        y = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight.float()
        return y.to(x.dtype)


class ChainEmbedding(nn.Module):
    """The [V, D] table stored as column blocks chunks[i] [V, D_i]."""

    def __init__(self, vocab: int, cum: list[int]):
        super().__init__()
        self.cum = list(cum)
        self.chunks = nn.ParameterList(
            [nn.Parameter(torch.empty(vocab, cum[i + 1] - cum[i])) for i in range(len(cum) - 1)])

    def forward(self, ids: torch.Tensor, k: int) -> torch.Tensor:
        parts = [F.embedding(ids, self.chunks[i]) for i in range(k)]
        return parts[0] if k == 1 else torch.cat(parts, dim=-1)


class ChainHead(nn.Module):
    """The LM head [V, D] as column blocks chunks[i] [V, D_i] (untied models only)."""

    def __init__(self, vocab: int, cum: list[int]):
        super().__init__()
        self.chunks = nn.ParameterList(
            [nn.Parameter(torch.empty(vocab, cum[i + 1] - cum[i])) for i in range(len(cum) - 1)])


# -------------------------------------------------------------------------------------------------
# RoPE (HF rotate-half: pairs (i, i + head_dim/2)), frequencies in float64 from the config
# -------------------------------------------------------------------------------------------------

def rope_inv_freq(config: ColmConfig) -> torch.Tensor:
    hd = config.head_size
    inv = 1.0 / (config.rope_theta ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    s = config.rope_scaling
    if s is None:
        return inv
    if s["rope_type"] == "linear":
        return inv / float(s["factor"])
    factor, low, high = float(s["factor"]), float(s["low_freq_factor"]), float(s["high_freq_factor"])
    old = float(s["original_max_position_embeddings"])
    wavelen = 2 * math.pi / inv
    smooth = (old / wavelen - low) / (high - low)
    blended = (1 - smooth) * inv / factor + smooth * inv
    out = torch.where(wavelen > old / low, inv / factor, blended)
    return torch.where(wavelen < old / high, inv, out)


def rope_cos_sin(config: ColmConfig, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """positions [B, T] or [T] (long) -> cos, sin [B or 1, T, head_dim] in float32."""
    if positions.dim() == 1:
        positions = positions[None]
    inv = rope_inv_freq(config).to(positions.device)
    ang = positions.to(torch.float64)[..., None] * inv
    ang = torch.cat([ang, ang], dim=-1)
    return ang.cos().float(), ang.sin().float()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x [B, heads, T, hd]; cos/sin [B, T, hd]."""
    xf = x.float()
    half = xf.shape[-1] // 2
    rotated = torch.cat([-xf[..., half:], xf[..., :half]], dim=-1)
    return (xf * cos[:, None] + rotated * sin[:, None]).to(x.dtype)


# -------------------------------------------------------------------------------------------------
# Attention, FFN, block
# -------------------------------------------------------------------------------------------------

class Attention(nn.Module):
    def __init__(self, config: ColmConfig, window: int | None, kernel: str):
        super().__init__()
        c = config
        self.config, self.window = c, window
        self.hd, self.h_kv, self.air = c.head_size, c.kv_heads, c.kv_sharing
        self.cum_heads, self.cum_kv_heads = c.cum_heads, c.cum_kv_heads
        ch, cq, ckv = c.cum_hidden, c.cum_q, c.cum_kv
        self.q_proj = ChainLinear(ch, cq, c.qkv_bias, kernel)
        if self.air:  # dense, reads chain 1 only
            self.k_proj = nn.Linear(ch[1], c.kv_heads * self.hd, bias=c.qkv_bias)
            self.v_proj = nn.Linear(ch[1], c.kv_heads * self.hd, bias=c.qkv_bias)
        else:
            self.k_proj = ChainLinear(ch, ckv, c.qkv_bias, kernel)
            self.v_proj = ChainLinear(ch, ckv, c.qkv_bias, kernel)
        self.o_proj = ChainLinear(cq, ch, c.o_bias, kernel)
        if c.qk_norm:
            self.q_norm = HeadRMSNorm(self.hd, c.rms_norm_eps)
            self.k_norm = HeadRMSNorm(self.hd, c.rms_norm_eps)
        else:
            self.q_norm = self.k_norm = None

    def forward(self, a: torch.Tensor, k: int, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        B, T, _ = a.shape
        nq, hd = self.cum_heads[k], self.hd
        q = self.q_proj(a, k).view(B, T, nq, hd)
        if self.air:
            a1 = a[..., : self.k_proj.in_features]
            key, val = self.k_proj(a1), self.v_proj(a1)
        else:
            key, val = self.k_proj(a, k), self.v_proj(a, k)
        nkv = self.cum_kv_heads[k]
        key, val = key.view(B, T, nkv, hd), val.view(B, T, nkv, hd)
        if self.q_norm is not None:
            q, key = self.q_norm(q), self.k_norm(key)
        q = apply_rope(q.transpose(1, 2), cos, sin)          # [B, nq, T, hd]
        key = apply_rope(key.transpose(1, 2), cos, sin)      # [B, nkv, T, hd]
        val = val.transpose(1, 2)
        r = nq // nkv
        if self.air and r > 1 and nkv > 1:
            # Air: query head j reads KV head j mod h_kv (tiled). Reorder the query heads so the
            # grouped map (j div r) of SDPA's GQA gives the same pairs, then undo the reorder.
            q = q.unflatten(1, (r, nkv)).transpose(1, 2).flatten(1, 2)
        if self.window is None:
            out = F.scaled_dot_product_attention(q, key, val, is_causal=True, enable_gqa=r > 1)
        else:
            i = torch.arange(T, device=q.device)
            dist = i[:, None] - i[None, :]
            mask = (dist >= 0) & (dist < self.window)        # the last W positions, itself included
            out = F.scaled_dot_product_attention(q, key, val, attn_mask=mask, enable_gqa=r > 1)
        if self.air and r > 1 and nkv > 1:
            out = out.unflatten(1, (nkv, r)).transpose(1, 2).flatten(1, 2)
        out = out.transpose(1, 2).reshape(B, T, nq * hd)
        return self.o_proj(out, k)

    def chain_parameters(self, i: int) -> list[nn.Parameter]:
        ps = self.q_proj.chain_parameters(i) + self.o_proj.chain_parameters(i)
        if self.air:
            if i == 0:
                ps += list(self.k_proj.parameters()) + list(self.v_proj.parameters())
        else:
            ps += self.k_proj.chain_parameters(i) + self.v_proj.chain_parameters(i)
        if self.q_norm is not None and i == 0:
            ps += [self.q_norm.weight, self.k_norm.weight]
        return ps


class FeedForward(nn.Module):
    def __init__(self, config: ColmConfig, kernel: str):
        super().__init__()
        ch, cf, b = config.cum_hidden, config.cum_ffn, config.ffn_bias
        self.gate_proj = ChainLinear(ch, cf, b, kernel)
        self.up_proj = ChainLinear(ch, cf, b, kernel)
        self.down_proj = ChainLinear(cf, ch, b, kernel)

    def forward(self, x: torch.Tensor, k: int) -> torch.Tensor:
        return self.down_proj(F.silu(self.gate_proj(x, k)) * self.up_proj(x, k), k)

    def chain_parameters(self, i: int) -> list[nn.Parameter]:
        return sum((m.chain_parameters(i) for m in (self.gate_proj, self.up_proj, self.down_proj)), [])


class Block(nn.Module):
    """Pre-norm Transformer block of sub-model k (the width of x says nothing: k does)."""

    def __init__(self, config: ColmConfig, layer: int, kernel: str):
        super().__init__()
        self.layer = layer
        self.input_layernorm = ChainRMSNorm(config.cum_hidden, config.rms_norm_eps)
        self.self_attn = Attention(config, config.layer_windows[layer], kernel)
        self.post_attention_layernorm = ChainRMSNorm(config.cum_hidden, config.rms_norm_eps)
        self.mlp = FeedForward(config, kernel)

    def forward(self, x: torch.Tensor, k: int, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        x = x + self.self_attn(self.input_layernorm(x, k), k, cos, sin)
        return x + self.mlp(self.post_attention_layernorm(x, k), k)

    def chain_parameters(self, i: int) -> list[nn.Parameter]:
        return ([self.input_layernorm.weights[i], self.post_attention_layernorm.weights[i]]
                + self.self_attn.chain_parameters(i) + self.mlp.chain_parameters(i))


# -------------------------------------------------------------------------------------------------
# The model
# -------------------------------------------------------------------------------------------------

class ColmForCausalLM(nn.Module):
    def __init__(self, config: ColmConfig, kernel: str = "torch"):
        super().__init__()
        self.config, self.kernel = config, kernel
        self.n_chains = config.n_chains
        self.embed = ChainEmbedding(config.vocab_size, config.cum_hidden)
        self.layers = nn.ModuleList([Block(config, l, kernel) for l in range(config.num_hidden_layers)])
        self.norm = ChainRMSNorm(config.cum_hidden, config.rms_norm_eps)
        self.lm_head = None if config.tie_word_embeddings else ChainHead(config.vocab_size, config.cum_hidden)
        self.init_weights()

    # ---- parameters -------------------------------------------------------------------------
    def head_chunks(self) -> list[torch.Tensor]:
        """The LM head's column blocks [V, D_i] (the embedding's when tied)."""
        return list((self.embed if self.lm_head is None else self.lm_head).chunks)

    def chain_parameters(self, i: int) -> list[nn.Parameter]:
        """Every parameter that belongs to chain i (0-based); each parameter belongs to exactly one chain."""
        if not 0 <= i < self.n_chains:
            raise IndexError(f"chain {i} is not in 0..{self.n_chains - 1}")
        ps = [self.embed.chunks[i], self.norm.weights[i]]
        if self.lm_head is not None:
            ps.append(self.lm_head.chunks[i])
        for block in self.layers:
            ps += block.chain_parameters(i)
        return ps

    def freeze_chains(self, count: int) -> None:
        """requires_grad_(False) on chains 0..count-1."""
        for i in range(count):
            for p in self.chain_parameters(i):
                p.requires_grad_(False)

    def set_kernel(self, kernel: str) -> None:
        self.kernel = kernel
        for m in self.modules():
            if isinstance(m, ChainLinear):
                m.kernel = kernel

    @torch.no_grad()
    def init_weights(self, std: float = 0.02, generator: torch.Generator | None = None) -> None:
        """Llama-style: matrices N(0, std) (o/down scaled by 1/sqrt(2L)), norms 1, biases 0."""
        L = self.config.num_hidden_layers
        for name, p in self.named_parameters():
            if ".biases." in name or name.endswith(".bias"):
                p.zero_()
            elif "norm" in name:
                p.fill_(1.0)
            else:
                s = std / math.sqrt(2 * L) if (".o_proj." in name or ".down_proj." in name) else std
                p.copy_(torch.randn(p.shape, generator=generator, dtype=torch.float32).to(p.device, p.dtype) * s
                        if generator is not None else torch.randn_like(p) * s)

    # ---- forward ------------------------------------------------------------------------------
    def _positions(self, input_ids: torch.Tensor, positions) -> torch.Tensor:
        if positions is None:
            return torch.arange(input_ids.shape[1], device=input_ids.device)
        return positions

    def trunk(self, input_ids: torch.Tensor, k: int, positions=None) -> torch.Tensor:
        """Residual stream after the last layer of sub-model k: [B, T, d_k] (not yet normed)."""
        if not 1 <= k <= self.n_chains:
            raise ValueError(f"k={k} is not in 1..{self.n_chains}")
        cos, sin = rope_cos_sin(self.config, self._positions(input_ids, positions))
        x = self.embed(input_ids, k)
        for block in self.layers:
            x = block(x, k, cos, sin)
        return x

    def forward_hidden(self, input_ids: torch.Tensor, k: int | None = None, positions=None) -> torch.Tensor:
        """Final chain-normed hidden state of sub-model k [B, T, d_k]; its first d_j features are sub-model j's."""
        k = self.n_chains if k is None else k
        return self.norm(self.trunk(input_ids, k, positions), k)

    def head(self, y: torch.Tensor, ks: list[int]) -> dict[int, torch.Tensor]:
        """Logits (float32) of each k in ks from the normed hidden state y [B, T, >= d_max(ks)]."""
        cum, W = self.config.cum_hidden, self.head_chunks()
        ks = sorted(set(ks))
        if len(ks) == 1:
            k = ks[0]
            w = W[0] if k == 1 else torch.cat(W[:k], dim=1)
            return {k: (y[..., : cum[k]] @ w.t()).float()}
        out, acc = {}, None
        for i in range(ks[-1]):
            part = (y[..., cum[i]:cum[i + 1]] @ W[i].t()).float()
            acc = part if acc is None else acc + part
            if i + 1 in ks:
                out[i + 1] = acc
        return out

    def forward(self, input_ids: torch.Tensor, ks: list[int] | int | None = None, positions=None) -> dict[int, torch.Tensor]:
        """{k: logits [B, T, V] float32} for each k in ks (None: the full model) from ONE trunk pass."""
        if ks is None:
            ks = [self.n_chains]
        elif isinstance(ks, int):
            ks = [ks]
        for k in ks:
            if not 1 <= k <= self.n_chains:
                raise ValueError(f"k={k} is not in 1..{self.n_chains}")
        kmax = max(ks)
        return self.head(self.forward_hidden(input_ids, kmax, positions), list(ks))

    def forward_k(self, input_ids: torch.Tensor, k: int, positions=None) -> torch.Tensor:
        """Sub-model k ALONE (only chains 1..k computed): logits [B, T, V] float32."""
        return self.forward(input_ids, [k], positions)[k]

    # ---- accounting -----------------------------------------------------------------------------
    def num_params(self, k: int | None = None) -> int:
        """Parameters used by sub-model k (default: all stored parameters)."""
        k = self.n_chains if k is None else k
        return sum(p.numel() for i in range(k) for p in self.chain_parameters(i))

    def flops_per_token(self, seq_len: int, k: int | None = None) -> float:
        """Forward+backward FLOPs per token of sub-model k: 6 * (matmul params) + attention."""
        c = self.config
        k = self.n_chains if k is None else k
        embed = sum(self.embed.chunks[i].numel() for i in range(k))
        dense = self.num_params(k) - embed - sum(
            p.numel() for i in range(k) for p in self.chain_parameters(i) if p.dim() == 1)
        if self.lm_head is None:
            dense += embed                     # tied: the head's matmul still runs
        attn = 12 * c.num_hidden_layers * c.cum_heads[k] * c.head_size * seq_len / 2  # causal
        return 6 * dense + attn
