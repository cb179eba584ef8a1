#!/usr/bin/env python3
"""Self-check of the reference and the fixtures. Run after make_fixtures.py:

    /usr/bin/python3 reference/selfcheck.py

For every golden file it checks:
  golden    the stored logits match a fresh forward (9 significant digits)
  dense     a second, dense formulation (whole masked matrices, HF-style repeat_interleave /
            repeat for the KV head map) gives the same logits and hidden states for every k
  nested    (i) every hidden state of sub-model k equals the first d_k features of the full model's
            (to 1e-12); plain CoLM: sub-model k's K/V are the first heads of the full model's
  air-kv    (ii) CoLM-Air: the K/V caches are identical for every k, and an incremental decode
            that changes k at every position reproduces sub-model k_p's full forward at p
  repack    (iii) the checkpoint rewritten in every packaging (folder, sharded, single file) and
            with every chain linear flipped to the other storage form loads and gives identical logits
  distinct  (iv) logits of different k differ (max |diff| > 0.05 at every position)
  tied      (v) the tied fixture's logits do not change when its garbage lm_head is removed, and
            would change if it were used
  refuse    the loader refuses broken variants (mask, both forms, unknown/missing tensor, shape,
            header, overlap, truncation, config rules)
  cli       the command line prints the same logits
It also prints max |float32 forward - float64 forward| per fixture, for choosing test tolerances.
"""

from __future__ import annotations

import copy
import glob
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.dont_write_bytecode = True   # keep reference/ free of __pycache__
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import colm_ref  # noqa: E402
from colm_ref import CheckpointError  # noqa: E402

ROOT = os.path.dirname(HERE)
FAILS: list[str] = []


def check(cond: bool, what: str) -> None:
    if not cond:
        FAILS.append(what)
        print(f"  FAIL {what}")


def maxdiff(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a - b).abs().max().item()


# ---- a second, dense formulation of the forward pass ---------------------------------------

def whole_matrix(blocks: list[torch.Tensor]) -> torch.Tensor:
    rows = sum(B.shape[0] for B in blocks)
    cols = blocks[-1].shape[1]
    W = torch.zeros(rows, cols, dtype=torch.float64)
    r = 0
    for B in blocks:
        W[r:r + B.shape[0], :B.shape[1]] = B
        r += B.shape[0]
    return W


def dense_forward(m: colm_ref.Model, tokens: list[int], k: int):
    """Sub-model k as a dense Llama on the top-left corners of the whole masked matrices."""
    c = m.c
    dk = c.d(k)
    bounds = np.cumsum([0] + c.D_i[:k]).tolist()
    nq = sum(c.h_i[:k])
    T = len(tokens)

    def norm(x, w):
        out = torch.empty_like(x)
        for s, e in zip(bounds, bounds[1:]):
            seg = x[:, s:e]
            out[:, s:e] = seg * torch.rsqrt(seg.pow(2).mean(-1, keepdim=True) + c.eps) * w[s:e]
        return out

    inv = m.inv_freq
    ang = torch.outer(torch.arange(T, dtype=torch.float64), inv)
    emb = torch.cat([ang, ang], -1)
    cos, sin = emb.cos(), emb.sin()

    def rot(x):  # x [heads, T, hd]
        x1, x2 = x.chunk(2, dim=-1)
        return x * cos + torch.cat([-x2, x1], -1) * sin

    x = m.embed[tokens][:, :dk]
    hidden = [x]
    causal = torch.triu(torch.full((T, T), float("-inf"), dtype=torch.float64), diagonal=1)

    def bias(W, short, n):   # FORMAT.md 1.1: the first n entries of the [D_y] bias, or nothing
        b = W.get(short + ".bias")
        return 0.0 if b is None else b[:n]

    def head_norm(x, w):     # qwen3 qk-norm on x [heads, T, hd]
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + c.eps) * w

    for l, W in enumerate(m.layers):
        mask = causal
        if c.window[l] is not None:   # sliding window: also -inf for keys W or more positions back
            mask = causal + torch.tril(torch.full((T, T), float("-inf"), dtype=torch.float64), diagonal=-c.window[l])
        Wq = whole_matrix(W["self_attn.q_proj"])[:nq * c.hd, :dk]
        Wo = whole_matrix(W["self_attn.o_proj"])[:dk, :nq * c.hd]
        a = norm(x, W["input_layernorm"])
        q = (a @ Wq.T + bias(W, "self_attn.q_proj", nq * c.hd)).view(T, nq, c.hd).transpose(0, 1)
        if c.kv_sharing:
            n = c.h_kv * c.hd
            kk = (a[:, :c.D_i[0]] @ W["self_attn.k_proj"].T + bias(W, "self_attn.k_proj", n)).view(T, c.h_kv, c.hd).transpose(0, 1)
            vv = (a[:, :c.D_i[0]] @ W["self_attn.v_proj"].T + bias(W, "self_attn.v_proj", n)).view(T, c.h_kv, c.hd).transpose(0, 1)
            if c.qk_norm:
                kk = head_norm(kk, W["k_norm"])
            kk, vv = kk.repeat(nq // c.h_kv, 1, 1), vv.repeat(nq // c.h_kv, 1, 1)   # tiled: head j -> j mod h_kv
        else:
            nkv = sum(c.kv_i[:k])
            Wk = whole_matrix(W["self_attn.k_proj"])[:nkv * c.hd, :dk]
            Wv = whole_matrix(W["self_attn.v_proj"])[:nkv * c.hd, :dk]
            kk = (a @ Wk.T + bias(W, "self_attn.k_proj", nkv * c.hd)).view(T, nkv, c.hd).transpose(0, 1)
            vv = (a @ Wv.T + bias(W, "self_attn.v_proj", nkv * c.hd)).view(T, nkv, c.hd).transpose(0, 1)
            if c.qk_norm:
                kk = head_norm(kk, W["k_norm"])
            rep = c.h // c.h_kv
            kk, vv = kk.repeat_interleave(rep, 0), vv.repeat_interleave(rep, 0)     # grouped
        if c.qk_norm:
            q = head_norm(q, W["q_norm"])
        q, kk = rot(q), rot(kk)
        att = torch.softmax(q @ kk.transpose(1, 2) / math.sqrt(c.hd) + mask, -1) @ vv
        x = x + att.transpose(0, 1).reshape(T, nq * c.hd) @ Wo.T + bias(W, "self_attn.o_proj", dk)
        b = norm(x, W["post_attention_layernorm"])
        Hk = sum(c.H_i[:k])
        Wg = whole_matrix(W["mlp.gate_proj"])[:Hk, :dk]
        Wu = whole_matrix(W["mlp.up_proj"])[:Hk, :dk]
        Wd = whole_matrix(W["mlp.down_proj"])[:dk, :Hk]
        g = b @ Wg.T + bias(W, "mlp.gate_proj", Hk)
        x = x + (g * torch.sigmoid(g) * (b @ Wu.T + bias(W, "mlp.up_proj", Hk))) @ Wd.T + bias(W, "mlp.down_proj", dk)
        hidden.append(x)
    return norm(x, m.norm) @ m.lm_head[:, :dk].T, hidden


def llama3_vectorized(c: colm_ref.Config) -> torch.Tensor:
    """transformers' _compute_llama3_parameters written with torch.where, for comparison."""
    inv = 1.0 / (c.rope_theta ** (torch.arange(0, c.hd, 2, dtype=torch.float64) / c.hd))
    s = c.rope_scaling
    factor, lo, hi, old = s["factor"], s["low_freq_factor"], s["high_freq_factor"], s["original_max_position_embeddings"]
    wl = 2 * math.pi / inv
    out = torch.where(wl > old / lo, inv / factor, inv)
    sm = (old / wl - lo) / (hi - lo)
    smoothed = (1 - sm) * out / factor + sm * out
    med = ~(wl < old / hi) & ~(wl > old / lo)
    return torch.where(med, smoothed, out)


# ---- packagings and storage forms ------------------------------------------------------------

def flip_forms(ck: colm_ref.Checkpoint) -> colm_ref.Checkpoint:
    """Every chain linear to the other form (whole <-> per chain). Only for n > 1."""
    c = ck.config
    new = dict(ck.tensors)
    for l in range(c.L):
        for short in colm_ref.LINEARS:
            if c.kv_sharing and short in ("self_attn.k_proj", "self_attn.v_proj"):
                continue
            p = f"model.layers.{l}.{short}"
            in_w, out_w = colm_ref.chain_linear_geometry(c, short)
            in_cum = colm_ref._cum(in_w)
            if p + ".weight" in new:
                dtype, W = new.pop(p + ".weight")
                r = 0
                for i in range(c.n):
                    new[f"{p}.chains.{i}.weight"] = (dtype, W[r:r + out_w[i], :in_cum[i]].copy())
                    r += out_w[i]
            else:
                blocks = [new.pop(f"{p}.chains.{i}.weight") for i in range(c.n)]
                dtype = blocks[0][0]
                W = np.zeros((sum(out_w), sum(in_w)), dtype=blocks[0][1].dtype)
                r = 0
                for i, (_, B) in enumerate(blocks):
                    W[r:r + out_w[i], :in_cum[i]] = B
                    r += out_w[i]
                new[p + ".weight"] = (dtype, W)
    out = copy.copy(ck)
    out.tensors = new
    return out


def expect_refusal(ck: colm_ref.Checkpoint, what: str, needle: str) -> None:
    try:
        colm_ref.Model(ck)
    except CheckpointError as e:
        check(needle in str(e), f"refusal '{what}' names {needle!r}: got {e}")
        return
    check(False, f"refusal '{what}': loaded without error")


def refusal_checks(ck: colm_ref.Checkpoint, tmp: str) -> None:
    c = ck.config
    T = ck.tensors
    name = next(nm for nm in T if nm.endswith("q_proj.weight") or nm.endswith("q_proj.chains.0.weight"))
    # whole tensor with a nonzero outside the mask
    if c.n > 1:
        flipped = flip_forms(ck)
        wn = next(nm for nm in flipped.tensors if nm.endswith("mlp.up_proj.weight"))
        bad = copy.copy(flipped)
        bad.tensors = dict(flipped.tensors)
        d, W = bad.tensors[wn]
        W = W.copy()
        W[0, -1] = 1
        bad.tensors[wn] = (d, W)
        expect_refusal(bad, "nonzero outside mask", wn)
        both = copy.copy(ck)
        both.tensors = dict(ck.tensors)
        pc = next(nm for nm in ck.tensors if ".chains." in nm)
        prefix = pc.split(".chains.")[0]
        both.tensors[prefix + ".weight"] = flipped.tensors[prefix + ".weight"]
        expect_refusal(both, "both forms", prefix)
    extra = copy.copy(ck)
    extra.tensors = dict(T, **{"model.layers.0.self_attn.rotary_emb.inv_freq": ("F32", np.zeros(4, np.float32))})
    expect_refusal(extra, "unknown tensor", "rotary_emb.inv_freq")
    missing = copy.copy(ck)
    missing.tensors = {k: v for k, v in T.items() if k != name}
    expect_refusal(missing, "missing tensor", name)
    shaped = copy.copy(ck)
    shaped.tensors = dict(T)
    d, W = T["model.norm.weight"]
    shaped.tensors["model.norm.weight"] = (d, W[:-1])
    expect_refusal(shaped, "wrong shape", "model.norm.weight")

    # file-level problems
    good = os.path.join(tmp, "good.safetensors")
    colm_ref.save_checkpoint(ck, good, "single")
    blob = open(good, "rb").read()
    n = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8:8 + n])

    def write_variant(fname, data):
        p = os.path.join(tmp, fname)
        with open(p, "wb") as f:
            f.write(data)
        return p

    def refused_file(p, what, needle):
        try:
            colm_ref.load_model(p)
        except CheckpointError as e:
            check(needle in str(e), f"file refusal '{what}' names {needle!r}: got {e}")
            return
        check(False, f"file refusal '{what}': loaded without error")

    refused_file(write_variant("trunc.safetensors", blob[:-10]), "truncated", "run past")
    refused_file(write_variant("badjson.safetensors", blob[:8] + b"x" + blob[9:]), "bad JSON", "not valid JSON")
    refused_file(write_variant("short.safetensors", blob[:5]), "shorter than 8 bytes", "shorter")
    tensor_names = [k for k in header if k != "__metadata__"]
    h2 = json.loads(json.dumps(header))
    a, b = tensor_names[0], tensor_names[1]
    h2[b]["data_offsets"] = [h2[a]["data_offsets"][0], h2[a]["data_offsets"][0] + (h2[b]["data_offsets"][1] - h2[b]["data_offsets"][0])]
    text = json.dumps(h2).encode()
    text += b" " * (-len(text) % 8)
    refused_file(write_variant("overlap.safetensors", len(text).to_bytes(8, "little") + text + blob[8 + n:]), "overlap", "overlap")
    h3 = json.loads(json.dumps(header))
    h3["__metadata__"].pop("colm.config")
    text = json.dumps(h3).encode()
    text += b" " * (-len(text) % 8)
    refused_file(write_variant("nocfg.safetensors", len(text).to_bytes(8, "little") + text + blob[8 + n:]), "no colm.config", "colm.config")

    # config rules
    def cfg_refused(change, needle):
        cfg = dict(c.raw, **change)
        try:
            colm_ref.parse_config(cfg)
        except CheckpointError as e:
            check(needle in str(e), f"config refusal {change} names {needle!r}: got {e}")
            return
        check(False, f"config refusal {change}: accepted")

    cfg_refused({"chains": [1, 2, 4]}, "hidden_size")             # 64*1/7 not whole
    if c.n > 1:   # one chain: head_dim may differ from D/h (a plain HF model such as Qwen3)
        cfg_refused({"head_dim": c.hd * 2}, "head_dim")
    if c.kv_sharing:
        cfg_refused({"num_key_value_heads": c.h_i[0] * 2}, "num_key_value_heads")


# ---- per-fixture checks -------------------------------------------------------------------------

def check_fixture(gpath: str) -> None:
    g = json.load(open(gpath))
    name = os.path.basename(gpath)[:-5]
    print(f"{name}:")
    m = colm_ref.load_model(os.path.join(ROOT, g["model"]))
    c = m.c
    tokens = g["tokens"]
    check(c.n == g["chains"] and c.kv_sharing == g["kv_sharing"], f"{name}: chains/kv_sharing fields")
    check(len(tokens) == 12 and all(0 <= t < c.V for t in tokens), f"{name}: tokens")
    runs = {k: m.forward(tokens, k) for k in range(1, c.n + 1)}
    full = runs[c.n]

    # golden
    worst = 0.0
    for k in range(1, c.n + 1):
        gold = torch.tensor(g["logits"][str(k)], dtype=torch.float64)
        check(tuple(gold.shape) == (12, c.V), f"{name}: golden shape k={k}")
        rel = ((gold - runs[k]["logits"]).abs() / (runs[k]["logits"].abs() + 1e-6)).max().item()
        worst = max(worst, rel)
    check(worst < 1e-8, f"{name}: golden vs fresh forward rel {worst:.2e}")

    # dense formulation
    dworst = 0.0
    for k in range(1, c.n + 1):
        dl, dh = dense_forward(m, tokens, k)
        dworst = max(dworst, maxdiff(dl, runs[k]["logits"]), *(maxdiff(a, b) for a, b in zip(dh, runs[k]["hidden"])))
    check(dworst < 1e-10, f"{name}: dense formulation differs by {dworst:.2e}")

    # (i) nested property
    nworst = 0.0
    for k in range(1, c.n + 1):
        dk = c.d(k)
        for hs, hf in zip(runs[k]["hidden"], full["hidden"]):
            nworst = max(nworst, maxdiff(hs, hf[:, :dk]))
        if not c.kv_sharing:
            nkv = sum(c.kv_i[:k])
            for (ks, vs), (kf, vf) in zip(runs[k]["kv"], full["kv"]):
                nworst = max(nworst, maxdiff(ks, kf[:, :nkv]), maxdiff(vs, vf[:, :nkv]))
    check(nworst <= 1e-12, f"{name}: nested property off by {nworst:.2e}")

    # (ii) Air: same K/V for every k; switching k at every position with one cache
    if c.kv_sharing:
        same = all(torch.equal(runs[k]["kv"][l][0], full["kv"][l][0]) and torch.equal(runs[k]["kv"][l][1], full["kv"][l][1])
                   for k in runs for l in range(c.L))
        check(same, f"{name}: Air K/V differ between k")
        rng = np.random.default_rng(1)
        ks = [int(x) for x in rng.integers(1, c.n + 1, len(tokens))]
        cache = [(torch.zeros(0, c.h_kv, c.hd, dtype=torch.float64),) * 2 for _ in range(c.L)]
        sworst = 0.0
        for p, (t, k) in enumerate(zip(tokens, ks)):
            row = m.forward([t], k, cache=cache, start=p)["logits"][0]
            sworst = max(sworst, maxdiff(row, runs[k]["logits"][p]))
        check(sworst < 1e-12, f"{name}: incremental decode with k schedule {ks} off by {sworst:.2e}")
        print(f"  air-kv: identical for every k; switching schedule {ks} matches to {sworst:.1e}")
    else:
        # plain CoLM: dropping chains during decode reuses the prefix of the cache
        ks = sorted([int(x) for x in np.random.default_rng(2).integers(1, c.n + 1, len(tokens))], reverse=True)
        nkv = sum(c.kv_i)
        cache = [(torch.zeros(0, nkv, c.hd, dtype=torch.float64),) * 2 for _ in range(c.L)]
        sworst = 0.0
        for p, (t, k) in enumerate(zip(tokens, ks)):
            row = m.forward([t], k, cache=cache, start=p)["logits"][0]
            sworst = max(sworst, maxdiff(row, runs[k]["logits"][p]))
        check(sworst < 1e-12, f"{name}: decreasing-k decode {ks} off by {sworst:.2e}")
    sched = [(p % c.n) + 1 for p in range(len(tokens))]
    sl = m.logits_schedule(tokens, sched)
    check(all(torch.equal(sl[p], runs[k]["logits"][p]) for p, k in enumerate(sched)), f"{name}: logits_schedule")

    # (iii) every packaging, and the other storage form
    with tempfile.TemporaryDirectory() as tmp:
        variants = [(pk, m.ck) for pk in ("folder", "sharded", "single")]
        if c.n > 1:
            variants += [(pk + "+flipped", flip_forms(m.ck)) for pk in ("folder", "single")]
        for label, ck in variants:
            pk = label.split("+")[0]
            out = os.path.join(tmp, label.replace("+", "_") + (".safetensors" if pk == "single" else ""))
            colm_ref.save_checkpoint(ck, out, pk, shards=3)
            m2 = colm_ref.load_model(out)
            check(m2.ck.packaging == pk, f"{name}: {label} detected as {m2.ck.packaging}")
            check(m2.ck.tokenizer_text == m.ck.tokenizer_text and m2.ck.config_text == m.ck.config_text,
                  f"{name}: {label} keeps config/tokenizer text")
            ok = all(torch.equal(m2.forward(tokens, k)["logits"], runs[k]["logits"]) for k in runs)
            check(ok, f"{name}: {label} logits differ")
        print(f"  repack: {', '.join(l for l, _ in variants)} identical")
        refusal_checks(m.ck, tmp)

    # (iv) k values are distinguishable
    gaps = []
    for k in range(1, c.n):
        gap = (runs[k]["logits"] - runs[k + 1]["logits"]).abs().max(dim=-1).values.min().item()
        gaps.append(gap)
        check(gap > 0.05, f"{name}: logits of k={k} and k={k + 1} too close at some position ({gap:.3g})")
    if gaps:
        print(f"  distinct: min over positions of max|logits_k - logits_k+1| = {', '.join(f'{x:.3f}' for x in gaps)}")

    # (v) tied: the stored lm_head is ignored
    if c.tie:
        check("lm_head.weight" in m.ck.tensors, f"{name}: tied fixture should carry a garbage lm_head")
        stripped = copy.copy(m.ck)
        stripped.tensors = {k: v for k, v in m.ck.tensors.items() if k != "lm_head.weight"}
        m3 = colm_ref.Model(stripped)
        ok = all(torch.equal(m3.forward(tokens, k)["logits"], runs[k]["logits"]) for k in runs)
        check(ok, f"{name}: logits changed without the stored lm_head")
        untied = copy.copy(m.ck)
        untied.config = colm_ref.parse_config(dict(m.c.raw, tie_word_embeddings=False))
        m4 = colm_ref.Model(untied)
        diff = maxdiff(m4.forward(tokens, c.n)["logits"], full["logits"])
        check(diff > 1e3, f"{name}: garbage lm_head would not show ({diff:.3g})")
        print(f"  tied: stored lm_head ignored (using it would move logits by {diff:.3g})")

    # llama3 rope
    if c.rope_scaling is not None and c.rope_scaling.get("rope_type", c.rope_scaling.get("type")) == "linear":
        plain = 1.0 / (c.rope_theta ** (torch.arange(0, c.hd, 2, dtype=torch.float64) / c.hd))
        check(maxdiff(plain / c.rope_scaling["factor"], colm_ref.rope_inv_freq(c)) < 1e-18, f"{name}: linear inv_freq")
        print(f"  rope linear: every frequency / {c.rope_scaling['factor']}")
    elif c.rope_scaling is not None:
        check(maxdiff(colm_ref.rope_inv_freq(c), llama3_vectorized(c)) < 1e-15, f"{name}: llama3 inv_freq")
        plain = 1.0 / (c.rope_theta ** (torch.arange(0, c.hd, 2, dtype=torch.float64) / c.hd))
        ratio = (plain / colm_ref.rope_inv_freq(c)).tolist()
        print("  rope llama3 plain/scaled ratio per frequency: " + ", ".join(f"{r:.3f}" for r in ratio))
        f = c.rope_scaling["factor"]
        check(any(abs(r - 1) < 1e-12 for r in ratio) and any(abs(r - f) < 1e-9 for r in ratio)
              and any(1 + 1e-9 < r < f - 1e-9 for r in ratio), f"{name}: all three llama3 regimes present")

    # float32 vs float64 (informational)
    f32 = max(maxdiff(m.forward(tokens, k, dtype=torch.float32)["logits"].double(), runs[k]["logits"]) for k in runs)
    print(f"  golden ok (rel {worst:.1e}); dense {dworst:.1e}; nested {nworst:.1e}; float32 forward max |diff| {f32:.2e}")

    # CLI
    if name in ("air4_f32", "llama_gqa"):
        k = 2 if c.n > 1 else 1
        out = subprocess.run([sys.executable, os.path.join(HERE, "colm_ref.py"), "logits", os.path.join(ROOT, g["model"]),
                              "--tokens", ",".join(map(str, tokens)), "--chains", str(k)],
                             capture_output=True, text=True, check=True)
        cli = torch.tensor(json.loads(out.stdout)["logits"], dtype=torch.float64)
        check(torch.equal(cli, runs[k]["logits"]), f"{name}: CLI logits")


def main() -> int:
    goldens = sorted(glob.glob(os.path.join(ROOT, "test/fixtures/golden/*.json")))
    check(len(goldens) == 11, f"expected 11 golden files (6 of FORMAT.md 1.0, 5 of 1.1), found {len(goldens)}")
    for gp in goldens:
        check_fixture(gp)
    total = sum(os.path.getsize(p) for p in glob.glob(os.path.join(ROOT, "test/fixtures/models/**"), recursive=True) if os.path.isfile(p))
    total += sum(os.path.getsize(p) for p in goldens)
    print(f"fixtures + goldens: {total / 1024:.1f} KiB")
    check(total < 5 * 1024 * 1024, "fixtures over 5 MB")
    if FAILS:
        print(f"{len(FAILS)} FAILED")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
