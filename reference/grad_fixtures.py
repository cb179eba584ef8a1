#!/usr/bin/env python3
"""Gradient fixtures for the native trainer: PyTorch autograd in float64 through colm_ref.py.

For a few tiny configs (plain CoLM with GQA, CoLM-Air with a tied head, unequal chains {1,2,1},
a dense 1-chain Llama) and both objectives (the multi-chain loss, mean over k = 1..n of the
cross-entropy of sub-model k, each sub-model run on its own here; and the full model's loss), it
draws float32-representable weights and a batch of tokens, and writes
test/fixtures/grads/<name>.json with the config, the weights (FORMAT.md names, per chain when
n > 1), the tokens (batch rows of seq_len + 1 ids: inputs, then next-token targets), the loss,
the loss of every sub-model and the gradient of every weight.

Before writing, every fixture's autograd gradient is checked against central finite differences
in float64 on a few weights of every tensor kind. Deterministic: a rerun writes the same bytes.

Usage:  /usr/bin/python3 reference/grad_fixtures.py [--out test/fixtures/grads]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import colm_ref  # noqa: E402

CONFIGS = {
    # plain CoLM, 2 chains, GQA: 4 query heads over 2 KV heads (one per chain), untied head
    "plain_gqa": dict(hidden_size=16, intermediate_size=24, num_hidden_layers=2, vocab_size=29,
                      num_attention_heads=4, num_key_value_heads=2, head_dim=4, chains=[1, 1],
                      kv_sharing=False, tie_word_embeddings=False),
    # CoLM-Air, 3 chains of 2 heads, 2 shared KV heads from chain 1 (tiled map), tied head
    "air_tied": dict(hidden_size=24, intermediate_size=24, num_hidden_layers=2, vocab_size=31,
                     num_attention_heads=6, num_key_value_heads=2, head_dim=4, chains=[1, 1, 1],
                     kv_sharing=True, tie_word_embeddings=True),
    # unequal chains {1,2,1}: widths 4, 8, 4; plain CoLM with one KV head per query head
    "unequal_121": dict(hidden_size=16, intermediate_size=32, num_hidden_layers=2, vocab_size=23,
                        num_attention_heads=4, num_key_value_heads=4, head_dim=4, chains=[1, 2, 1],
                        kv_sharing=False, tie_word_embeddings=False, rope_theta=500.0),
    # a dense Llama (one chain), GQA; every chain linear stored whole
    "dense_llama": dict(hidden_size=16, intermediate_size=20, num_hidden_layers=1, vocab_size=19,
                        num_attention_heads=4, num_key_value_heads=2, head_dim=4, chains=[1],
                        kv_sharing=False, tie_word_embeddings=False),
}
BATCH, SEQ = 2, 6


def f32(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def make_weights(c: colm_ref.Config, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """float32-representable weights (as float64 arrays) by FORMAT.md name."""
    out: dict[str, np.ndarray] = {}
    out["model.embed_tokens.weight"] = f32(rng.normal(0, 0.5, (c.V, c.D)))
    for l in range(c.L):
        p = f"model.layers.{l}"
        out[f"{p}.input_layernorm.weight"] = f32(1 + 0.2 * rng.normal(size=c.D))
        out[f"{p}.post_attention_layernorm.weight"] = f32(1 + 0.2 * rng.normal(size=c.D))
        for short in colm_ref.LINEARS:
            if c.kv_sharing and short in ("self_attn.k_proj", "self_attn.v_proj"):
                out[f"{p}.{short}.weight"] = f32(rng.normal(0, 1 / math.sqrt(c.D_i[0]), (c.h_kv * c.hd, c.D_i[0])))
                continue
            in_w, out_w = colm_ref.chain_linear_geometry(c, short)
            in_cum = colm_ref._cum(in_w)
            if c.n == 1:
                out[f"{p}.{short}.weight"] = f32(rng.normal(0, 1 / math.sqrt(in_cum[0]), (out_w[0], in_cum[0])))
            else:
                for i in range(c.n):
                    out[f"{p}.{short}.chains.{i}.weight"] = f32(
                        rng.normal(0, 1 / math.sqrt(in_cum[i]), (out_w[i], in_cum[i])))
    out["model.norm.weight"] = f32(1 + 0.2 * rng.normal(size=c.D))
    if not c.tie:
        out["lm_head.weight"] = f32(rng.normal(0, 1 / math.sqrt(c.D), (c.V, c.D)))
    return out


class GradModel:
    """colm_ref.Model whose float64 weights are autograd leaves, keyed by FORMAT.md name."""

    def __init__(self, raw: dict, weights: dict[str, np.ndarray]):
        config = colm_ref.parse_config(raw)
        ck = colm_ref.Checkpoint(path="<fixture>", packaging="single", config_text=json.dumps(raw), config=config,
                                 tensors={k: ("F32", v.astype(np.float32)) for k, v in weights.items()},
                                 tokenizer_text="{}")
        self.model = colm_ref.Model(ck)
        self.c = config
        m = self.model
        self.leaves: dict[str, torch.Tensor] = {}

        def leaf(name: str, t: torch.Tensor) -> torch.Tensor:
            t = t.detach().clone().requires_grad_(True)
            self.leaves[name] = t
            return t

        m.embed = leaf("model.embed_tokens.weight", m.embed)
        for l, layer in enumerate(m.layers):
            p = f"model.layers.{l}"
            for norm in ("input_layernorm", "post_attention_layernorm"):
                layer[norm] = leaf(f"{p}.{norm}.weight", layer[norm])
            for short in colm_ref.LINEARS:
                value = layer[short]
                if isinstance(value, list):
                    if config.n == 1:
                        layer[short] = [leaf(f"{p}.{short}.weight", value[0])]
                    else:
                        layer[short] = [leaf(f"{p}.{short}.chains.{i}.weight", w) for i, w in enumerate(value)]
                else:
                    layer[short] = leaf(f"{p}.{short}.weight", value)
        m.norm = leaf("model.norm.weight", m.norm)
        m.lm_head = m.embed if config.tie else leaf("lm_head.weight", m.lm_head)

    def losses(self, tokens: np.ndarray) -> list[torch.Tensor]:
        """Cross-entropy of sub-model k (each run on its own), k = 1..n, mean over every position."""
        out = []
        for k in range(1, self.c.n + 1):
            total = 0
            for row in tokens:
                logits = self.model.forward([int(t) for t in row[:-1]], k)["logits"]
                target = torch.tensor([int(t) for t in row[1:]])
                total = total + torch.nn.functional.cross_entropy(logits, target, reduction="sum")
            out.append(total / (tokens.shape[0] * (tokens.shape[1] - 1)))
        return out

    def objective(self, tokens: np.ndarray, loss: str) -> tuple[torch.Tensor, list[torch.Tensor]]:
        per = self.losses(tokens)
        return (sum(per) / len(per) if loss == "multi" else per[-1]), per


def finite_difference_check(gm: GradModel, tokens: np.ndarray, loss: str, grads: dict[str, np.ndarray],
                            rng: np.random.Generator) -> float:
    """Central differences in float64 on 2 entries of every tensor; returns the worst error
    |fd - autograd| / (1e-4 + |autograd|) (relative for gradients above 1e-4, absolute below)."""
    worst = 0.0
    h = 1e-5
    for name, t in gm.leaves.items():
        flat = t.detach().view(-1)
        for idx in rng.choice(flat.numel(), size=min(2, flat.numel()), replace=False):
            idx = int(idx)
            old = float(flat[idx])
            with torch.no_grad():
                flat[idx] = old + h
                up = float(gm.objective(tokens, loss)[0])
                flat[idx] = old - h
                down = float(gm.objective(tokens, loss)[0])
                flat[idx] = old
            fd = (up - down) / (2 * h)
            ag = float(grads[name].reshape(-1)[idx])
            worst = max(worst, abs(fd - ag) / (1e-4 + abs(ag)))
    return worst


def build(name: str, spec: dict, loss: str, seed: int) -> dict:
    raw = {"model_type": "colm" if len(spec["chains"]) > 1 else "llama", "rms_norm_eps": 1e-5,
           "rope_theta": 10000.0, "max_position_embeddings": 64, **spec}
    c = colm_ref.parse_config(raw)
    rng = np.random.default_rng(seed)
    weights = make_weights(c, rng)
    tokens = rng.integers(0, c.V, size=(BATCH, SEQ + 1))
    gm = GradModel(raw, weights)
    value, per = gm.objective(tokens, loss)
    value.backward()
    grads = {n: (t.grad.numpy().copy() if t.grad is not None else np.zeros(tuple(t.shape)))
             for n, t in gm.leaves.items()}
    for t in gm.leaves.values():
        t.grad = None
    fd = finite_difference_check(gm, tokens, loss, grads, np.random.default_rng(seed + 1))
    if fd > 1e-5:
        raise SystemExit(f"{name}/{loss}: autograd and finite differences disagree (relative error {fd:.2e})")
    order = list(weights)  # FORMAT.md order, as the trainer exports
    return {
        "name": f"{name}_{loss}",
        "about": "written by reference/grad_fixtures.py: float64 autograd through colm_ref.py; "
                 "weights are float32 values; tokens are batch rows of seqLen + 1 ids",
        "config": raw,
        "loss": loss,
        "batch": BATCH,
        "seqLen": SEQ,
        "tokens": [int(t) for t in tokens.reshape(-1)],
        "lossValue": float(value),
        "lossPerChain": [float(p) for p in per],
        "finiteDifferenceError": fd,
        "weights": [{"name": n, "shape": list(weights[n].shape), "data": weights[n].reshape(-1).tolist()} for n in order],
        "gradients": [{"name": n, "shape": list(grads[n].shape), "data": grads[n].reshape(-1).tolist()} for n in order],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "test", "fixtures", "grads"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.use_deterministic_algorithms(True)
    for i, (name, spec) in enumerate(CONFIGS.items()):
        for loss in (("multi", "full") if len(spec["chains"]) > 1 else ("full",)):
            fixture = build(name, spec, loss, seed=100 + i)
            path = os.path.join(args.out, f"{fixture['name']}.json")
            with open(path, "w") as f:
                json.dump(fixture, f, separators=(",", ":"))
                f.write("\n")
            print(f"{path}: loss {fixture['lossValue']:.6f}, finite differences agree to "
                  f"{fixture['finiteDifferenceError']:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
