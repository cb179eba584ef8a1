#!/usr/bin/env python3
"""Training throughput of a CoLM in PyTorch on the CPU: the same model and step as the native
trainer (native/src/train), for bench/train-throughput.ts to report beside it.

The model follows FORMAT.md: chain linears as per-chain blocks W_i [D_y*c_i/S, cum_i] applied to
the input prefix (the natural PyTorch form; --masked-dense multiplies dense weights with the
structural zeros instead), chain RMSNorm, RoPE rotate-half, causal attention with the plain
grouped or the CoLM-Air tiled KV map (Air K/V from chain 1's slice), SwiGLU, an LM head whose
chain contributions give logits_1..logits_n from one pass, and the multi-chain loss. One step is
forward, backward, global-norm clipping and AdamW (decay on linears and an untied head only),
all float32, as the native trainer does.

Usage:
    /usr/bin/python3 reference/torch_train_bench.py --config '{"hidden_size":256,...}' \
        --batch 8 --seq 256 --steps 5 --threads 2 [--loss multi|full] [--masked-dense]
Prints one JSON line: {"tokensPerSecond", "stepMs", "parameters", "threads", "torch", "loss"}.
"""

from __future__ import annotations

import argparse
import json
import math
import time

import torch
import torch.nn.functional as F


def widths(total: int, chains: list[int]) -> list[int]:
    s = sum(chains)
    return [total * c // s for c in chains]


def cumsum(ws: list[int]) -> list[int]:
    out, acc = [], 0
    for w in ws:
        acc += w
        out.append(acc)
    return out


class ChainLinear(torch.nn.Module):
    """Output chain i = x[..., :cum_i] @ W_i^T; W_i is [out_i, cum_i]."""

    def __init__(self, in_w: list[int], out_w: list[int], masked_dense: bool, std_scale: float = 1.0):
        super().__init__()
        self.in_cum = cumsum(in_w)
        self.out_w = out_w
        self.masked_dense = masked_dense
        blocks = []
        for o, c in zip(out_w, self.in_cum):
            blocks.append(torch.nn.Parameter(torch.randn(o, c) * (std_scale / math.sqrt(c))))
        self.blocks = torch.nn.ParameterList(blocks)
        if masked_dense:
            mask = torch.zeros(sum(out_w), self.in_cum[-1])
            r = 0
            for o, c in zip(out_w, self.in_cum):
                mask[r:r + o, :c] = 1
                r += o
            self.register_buffer("mask", mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.masked_dense:
            dense = torch.cat([F.pad(w, (0, self.in_cum[-1] - w.shape[1])) for w in self.blocks], 0)
            return x @ (dense * self.mask).T
        return torch.cat([x[..., :w.shape[1]] @ w.T for w in self.blocks], dim=-1)


def chain_rmsnorm(x: torch.Tensor, w: torch.Tensor, ws: list[int], eps: float) -> torch.Tensor:
    parts = torch.split(x, ws, dim=-1)
    normed = [p * torch.rsqrt(p.pow(2).mean(-1, keepdim=True) + eps) for p in parts]
    return torch.cat(normed, dim=-1) * w


def rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos + rotated * sin


class Colm(torch.nn.Module):
    def __init__(self, cfg: dict, masked_dense: bool):
        super().__init__()
        self.D, self.H, self.L, self.V = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"], cfg["vocab_size"]
        self.h = cfg["num_attention_heads"]
        self.hkv = cfg.get("num_key_value_heads", self.h)
        self.hd = cfg.get("head_dim", self.D // self.h)
        self.chains = cfg.get("chains", [1])
        self.air = cfg.get("kv_sharing", False)
        self.tied = cfg.get("tie_word_embeddings", False)
        self.eps = cfg.get("rms_norm_eps", 1e-5)
        self.theta = cfg.get("rope_theta", 10000.0)
        n = len(self.chains)
        self.Dw = widths(self.D, self.chains)
        qw = [w * self.hd for w in widths(self.h, self.chains)]
        kvw = [w * self.hd for w in widths(self.hkv, self.chains)] if not self.air else None
        Hw = widths(self.H, self.chains)
        resid = 1 / math.sqrt(2 * self.L)
        self.embed = torch.nn.Parameter(torch.randn(self.V, self.D) * 0.02)
        self.layers = torch.nn.ModuleList()
        for _ in range(self.L):
            layer = torch.nn.Module()
            layer.in_norm = torch.nn.Parameter(torch.ones(self.D))
            layer.post_norm = torch.nn.Parameter(torch.ones(self.D))
            layer.q = ChainLinear(self.Dw, qw, masked_dense)
            if self.air:
                kvd = self.hkv * self.hd
                layer.k = torch.nn.Parameter(torch.randn(kvd, self.Dw[0]) / math.sqrt(self.Dw[0]))
                layer.v = torch.nn.Parameter(torch.randn(kvd, self.Dw[0]) / math.sqrt(self.Dw[0]))
            else:
                layer.k = ChainLinear(self.Dw, kvw, masked_dense)
                layer.v = ChainLinear(self.Dw, kvw, masked_dense)
            layer.o = ChainLinear(qw, self.Dw, masked_dense, resid)
            layer.gate = ChainLinear(self.Dw, Hw, masked_dense)
            layer.up = ChainLinear(self.Dw, Hw, masked_dense)
            layer.down = ChainLinear(Hw, self.Dw, masked_dense, resid)
            self.layers.append(layer)
        self.norm = torch.nn.Parameter(torch.ones(self.D))
        if not self.tied:
            self.lm_head = torch.nn.Parameter(torch.randn(self.V, self.D) * 0.02)
        self.n = n

    def forward(self, tokens: torch.Tensor, loss_kind: str) -> tuple[torch.Tensor, list[float]]:
        inputs, targets = tokens[:, :-1], tokens[:, 1:]
        B, T = inputs.shape
        x = self.embed[inputs]
        pos = torch.arange(T, dtype=torch.float32)
        inv = 1.0 / (self.theta ** (torch.arange(0, self.hd, 2, dtype=torch.float32) / self.hd))
        ang = pos[:, None] * inv[None, :]
        cos = torch.cat([ang.cos(), ang.cos()], -1)[None, None]
        sin = torch.cat([ang.sin(), ang.sin()], -1)[None, None]
        mask = torch.full((T, T), float("-inf")).triu(1)
        for layer in self.layers:
            a = chain_rmsnorm(x, layer.in_norm, self.Dw, self.eps)
            q = layer.q(a).view(B, T, self.h, self.hd).transpose(1, 2)
            if self.air:
                a1 = a[..., :self.Dw[0]]
                k = (a1 @ layer.k.T).view(B, T, self.hkv, self.hd).transpose(1, 2)
                v = (a1 @ layer.v.T).view(B, T, self.hkv, self.hd).transpose(1, 2)
                rep = self.h // self.hkv
                k, v = k.repeat(1, rep, 1, 1), v.repeat(1, rep, 1, 1)  # head j reads KV head j mod h_kv
            else:
                k = layer.k(a).view(B, T, self.hkv, self.hd).transpose(1, 2)
                v = layer.v(a).view(B, T, self.hkv, self.hd).transpose(1, 2)
                rep = self.h // self.hkv
                k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)  # head j reads j // rep
            q, k = rope(q, cos, sin), rope(k, cos, sin)
            scores = (q @ k.transpose(-1, -2)) / math.sqrt(self.hd) + mask
            att = (scores.softmax(-1) @ v).transpose(1, 2).reshape(B, T, self.h * self.hd)
            x = x + layer.o(att)
            b = chain_rmsnorm(x, layer.post_norm, self.Dw, self.eps)
            x = x + layer.down(F.silu(layer.gate(b)) * layer.up(b))
        y = chain_rmsnorm(x, self.norm, self.Dw, self.eps)
        head = self.embed if self.tied else self.lm_head
        cum = [0] + cumsum(self.Dw)
        logits = None
        losses = []
        flat_targets = targets.reshape(-1)
        for j in range(self.n):
            part = y[..., cum[j]:cum[j + 1]] @ head[:, cum[j]:cum[j + 1]].T
            logits = part if logits is None else logits + part
            losses.append(F.cross_entropy(logits.reshape(-1, self.V), flat_targets))
        objective = sum(losses) / self.n if loss_kind == "multi" else losses[-1]
        return objective, [float(l) for l in losses]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True, help="config.json text (Hugging Face names)")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--steps", type=int, default=5, help="timed steps (after one untimed)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--loss", choices=["multi", "full"], default="multi")
    ap.add_argument("--masked-dense", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cfg = json.loads(args.config)
    model = Colm(cfg, args.masked_dense)
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if ("norm" in name or name == "embed") else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.95), eps=1e-8)
    gen = torch.Generator().manual_seed(1)
    tokens = torch.randint(0, model.V, (args.batch, args.seq + 1), generator=gen)

    def step() -> list[float]:
        opt.zero_grad(set_to_none=True)
        loss, per = model(tokens, args.loss)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return per

    step()
    t0 = time.perf_counter()
    per = []
    for _ in range(args.steps):
        per = step()
    seconds = (time.perf_counter() - t0) / args.steps
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({"tokensPerSecond": args.batch * args.seq / seconds, "stepMs": seconds * 1000,
                      "parameters": params, "threads": args.threads, "torch": torch.__version__,
                      "maskedDense": args.masked_dense, "loss": per}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
