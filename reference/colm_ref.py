#!/usr/bin/env python3
"""Independent float64 reference implementation of the CoLM checkpoint format, version 1.1
(biases, qwen3 qk-norm, linear RoPE scaling, sliding windows, both config dialects).

The contract is ../shared/FORMAT.md (the repository's copy of the format). This file reads a
checkpoint in any of its packagings and runs the forward pass of sub-model k exactly as the pseudo
code there says, but in float64 from the stored weights widened to float64, so the result is a
ground truth that an engine computing "as if in float32" can be compared against.

Nothing here depends on the engine. Only numpy and torch (Debian's python3-torch) are used; the
safetensors reader/writer is written out below.

Usage:
    /usr/bin/python3 reference/colm_ref.py logits MODEL --tokens 1,2,3 --chains K
    /usr/bin/python3 reference/colm_ref.py logits MODEL --tokens 1,2,3 --schedule 1,2,2
    /usr/bin/python3 reference/colm_ref.py info MODEL
"""

from __future__ import annotations

import argparse
import json
import math
import os
import struct
import sys
from dataclasses import dataclass, field

import numpy as np
import torch


class CheckpointError(Exception):
    """A checkpoint that breaks FORMAT.md. The message names the file, key or tensor."""


# --------------------------------------------------------------------------------------------
# safetensors: 8-byte little-endian header length N, N bytes of JSON header, then raw data.
# Tensors are kept as (dtype_name, numpy array) where the array holds the exact stored values:
# float32 for F32 and BF16 (BF16 widened by putting its 16 bits on top of a float32), float16 for F16.
# --------------------------------------------------------------------------------------------

ITEMSIZE = {"F32": 4, "F16": 2, "BF16": 2}


def decode_tensor(dtype: str, raw: bytes, shape: list[int]) -> np.ndarray:
    if dtype == "F32":
        arr = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    elif dtype == "F16":
        arr = np.frombuffer(raw, dtype="<f2").astype(np.float16)
    elif dtype == "BF16":
        bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << np.uint32(16)
        arr = bits.view(np.float32)
    else:
        raise ValueError(dtype)
    return arr.reshape(shape)


def encode_tensor(dtype: str, values: np.ndarray) -> bytes:
    """Rounds values (any float array) to dtype, round-to-nearest-even, and returns the raw bytes."""
    if dtype == "F32":
        return np.ascontiguousarray(values, dtype="<f4").tobytes()
    if dtype == "F16":
        return np.ascontiguousarray(values, dtype="<f2").tobytes()
    if dtype == "BF16":
        f32 = np.ascontiguousarray(values, dtype=np.float32)
        bits = f32.view(np.uint32).astype(np.uint64)
        # round to nearest, ties to even, on the 16 bits that are dropped (no NaN/Inf in our data)
        rounding = ((bits >> np.uint64(16)) & np.uint64(1)) + np.uint64(0x7FFF)
        upper = ((bits + rounding) >> np.uint64(16)).astype("<u2")
        return upper.tobytes()
    raise ValueError(dtype)


def round_to_dtype(dtype: str, values: np.ndarray) -> np.ndarray:
    """The exact values a reader will see after storing `values` as dtype."""
    return decode_tensor(dtype, encode_tensor(dtype, values), list(np.shape(values)))


def read_safetensors(path: str) -> tuple[dict[str, tuple[str, np.ndarray]], dict[str, str]]:
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise CheckpointError(f"{path}: file shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", blob[:8])
    if 8 + n > len(blob):
        raise CheckpointError(f"{path}: header length {n} runs past the end of the file ({len(blob)} bytes)")
    try:
        header = json.loads(blob[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{path}: header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{path}: header is not a JSON object")
    data = memoryview(blob)[8 + n:]
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise CheckpointError(f"{path}: __metadata__ must map strings to strings")
    tensors: dict[str, tuple[str, np.ndarray]] = {}
    spans = []
    for name, info in header.items():
        where = f"{path}: tensor {name}"
        if not isinstance(info, dict):
            raise CheckpointError(f"{where}: entry is not an object")
        dtype, shape, offs = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if dtype not in ITEMSIZE:
            raise CheckpointError(f"{where}: dtype {dtype!r} is not one of F32, F16, BF16")
        if not (isinstance(shape, list) and all(isinstance(s, int) and s >= 0 for s in shape)):
            raise CheckpointError(f"{where}: bad shape {shape!r}")
        if not (isinstance(offs, list) and len(offs) == 2 and all(isinstance(o, int) for o in offs)):
            raise CheckpointError(f"{where}: bad data_offsets {offs!r}")
        begin, end = offs
        if not 0 <= begin <= end <= len(data):
            raise CheckpointError(f"{where}: data_offsets {offs} run past the data ({len(data)} bytes)")
        if end - begin != math.prod(shape) * ITEMSIZE[dtype]:
            raise CheckpointError(f"{where}: data_offsets {offs} do not match shape {shape} of {dtype}")
        spans.append((begin, end, name))
        tensors[name] = (dtype, decode_tensor(dtype, bytes(data[begin:end]), shape))
    spans.sort()
    for (b0, e0, n0), (b1, e1, n1) in zip(spans, spans[1:]):
        if b1 < e0:
            raise CheckpointError(f"{path}: tensors {n0} and {n1} overlap")
    return tensors, metadata


def write_safetensors(path: str, tensors: dict[str, tuple[str, np.ndarray]],
                      metadata: dict[str, str] | None = None) -> None:
    header: dict = {}
    if metadata:
        header["__metadata__"] = dict(metadata)
    chunks = []
    offset = 0
    for name, (dtype, values) in tensors.items():
        raw = encode_tensor(dtype, values)
        header[name] = {"dtype": dtype, "shape": list(np.shape(values)), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in chunks:
            f.write(raw)


# --------------------------------------------------------------------------------------------
# config.json
# --------------------------------------------------------------------------------------------

@dataclass
class Config:
    raw: dict
    model_type: str
    D: int                 # hidden_size
    H: int                 # intermediate_size
    L: int                 # num_hidden_layers
    V: int                 # vocab_size
    h: int                 # num_attention_heads
    h_kv: int              # num_key_value_heads
    hd: int                # head_dim
    chains: list[int]
    kv_sharing: bool
    eps: float
    rope_theta: float
    rope_scaling: dict | None
    tie: bool
    bos_token_id: object = None
    eos_token_id: object = None
    # FORMAT.md 1.1
    qkv_bias: bool = False
    o_bias: bool = False
    mlp_bias: bool = False
    qk_norm: bool = False
    window: list = field(default_factory=list)        # per layer: W or None (full attention)
    # derived, per chain i = 0..n-1
    D_i: list[int] = field(default_factory=list)     # hidden width
    h_i: list[int] = field(default_factory=list)     # query heads
    H_i: list[int] = field(default_factory=list)     # FFN width
    kv_i: list[int] = field(default_factory=list)    # KV heads (plain CoLM)

    @property
    def n(self) -> int:
        return len(self.chains)

    def d(self, k: int) -> int:
        """d_k: width of sub-model k."""
        return sum(self.D_i[:k])


def _cum(widths: list[int]) -> list[int]:
    out, s = [], 0
    for w in widths:
        s += w
        out.append(s)
    return out


def parse_config(cfg: dict, where: str = "config") -> Config:
    def bad(key, rule):
        raise CheckpointError(f"{where}: {key}: {rule}")

    if not isinstance(cfg, dict):
        raise CheckpointError(f"{where}: not a JSON object")

    def get_int(key, default=None, positive=True):
        v = cfg.get(key)
        if v is None:
            if default is None:
                bad(key, "required")
            return default
        if not isinstance(v, int) or isinstance(v, bool) or (positive and v <= 0):
            bad(key, f"must be a positive integer, got {v!r}")
        return v

    model_type = cfg.get("model_type")
    if model_type not in ("colm", "llama", "mistral", "qwen2", "qwen3"):
        bad("model_type", f"must be colm, llama, mistral, qwen2 or qwen3, got {model_type!r}")
    if cfg.get("hidden_act", "silu") != "silu":
        bad("hidden_act", f"only silu (SwiGLU) is defined, got {cfg.get('hidden_act')!r}")
    D = get_int("hidden_size")
    H = get_int("intermediate_size")
    L = get_int("num_hidden_layers")
    V = get_int("vocab_size")
    h = get_int("num_attention_heads")
    h_kv = get_int("num_key_value_heads", h)
    if D % h != 0 and cfg.get("head_dim") is None:
        bad("head_dim", f"absent and hidden_size {D} is not a multiple of num_attention_heads {h}")
    hd = get_int("head_dim", D // h)
    chains = cfg.get("chains", [1])
    if chains is None:
        chains = [1]
    if (not isinstance(chains, list) or not chains
            or not all(isinstance(c, int) and not isinstance(c, bool) and c > 0 for c in chains)):
        bad("chains", f"must be a non-empty list of positive integers, got {chains!r}")
    kv_sharing = cfg.get("kv_sharing", False)
    if kv_sharing is None:
        kv_sharing = False
    if not isinstance(kv_sharing, bool):
        bad("kv_sharing", f"must be true or false, got {kv_sharing!r}")
    eps = cfg.get("rms_norm_eps", 1e-5)
    eps = 1e-5 if eps is None else float(eps)
    theta = cfg.get("rope_theta", 10000.0)
    theta = 10000.0 if theta is None else float(theta)
    scaling = cfg.get("rope_scaling")
    if cfg.get("rope_parameters") is not None:
        # transformers 5 dialect: theta and the scaling in one object
        params = dict(cfg["rope_parameters"])
        theta = float(params.pop("rope_theta", 10000.0))
        scaling = params
    if scaling is not None:
        if not isinstance(scaling, dict):
            bad("rope_scaling", "must be null or an object")
        rtype = scaling.get("rope_type", scaling.get("type"))
        if rtype == "default":
            scaling = None
        elif rtype == "linear":
            if not isinstance(scaling.get("factor"), (int, float)) or scaling["factor"] <= 0:
                bad("rope_scaling.factor", "required positive number for rope_type linear")
            scaling = {"rope_type": "linear", "factor": float(scaling["factor"])}
        elif rtype == "llama3":
            for key in ("factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"):
                if not isinstance(scaling.get(key), (int, float)) or isinstance(scaling.get(key), bool):
                    bad(f"rope_scaling.{key}", "required number for rope_type llama3")
            if scaling["high_freq_factor"] <= scaling["low_freq_factor"]:
                bad("rope_scaling.high_freq_factor", "must be greater than low_freq_factor")
        else:
            bad("rope_scaling.rope_type", f"only null, \"linear\" or \"llama3\" are defined, got {rtype!r}")
    tie = bool(cfg.get("tie_word_embeddings", False))

    # Biases, qk-norm and sliding windows as transformers 5 reads each family.
    attention_bias = bool(cfg.get("attention_bias") or False) and model_type in ("llama", "qwen3", "colm")
    qkv_bias = attention_bias or model_type == "qwen2"
    o_bias = attention_bias
    mlp_bias = bool(cfg.get("mlp_bias") or False) and model_type in ("llama", "colm")
    qk_norm = model_type == "qwen3"
    qwen_style = model_type in ("qwen2", "qwen3") or (model_type == "colm" and (
        "use_sliding_window" in cfg or "layer_types" in cfg or "max_window_layers" in cfg))
    if qwen_style:
        W = cfg.get("sliding_window") if cfg.get("use_sliding_window") else None
        types = cfg.get("layer_types")
        if types is None:
            first = cfg.get("max_window_layers") or 28
            types = ["sliding_attention" if W is not None and i >= first else "full_attention" for i in range(L)]
        if len(types) != L or any(t not in ("full_attention", "sliding_attention") for t in types):
            bad("layer_types", f"must name full_attention or sliding_attention for each of {L} layers")
        if W is None and "sliding_attention" in types:
            bad("layer_types", "sliding_attention layers without a window")
        window = [W if t == "sliding_attention" else None for t in types]
    elif model_type in ("mistral", "colm"):
        window = [cfg.get("sliding_window")] * L
    else:
        window = [None] * L

    S = sum(chains)
    c = Config(raw=cfg, model_type=model_type, D=D, H=H, L=L, V=V, h=h, h_kv=h_kv, hd=hd,
               chains=list(chains), kv_sharing=kv_sharing, eps=eps, rope_theta=theta,
               rope_scaling=scaling, tie=tie, bos_token_id=cfg.get("bos_token_id"),
               eos_token_id=cfg.get("eos_token_id"), qkv_bias=qkv_bias, o_bias=o_bias,
               mlp_bias=mlp_bias, qk_norm=qk_norm, window=window)
    for key, total in (("hidden_size", D), ("num_attention_heads", h), ("intermediate_size", H)):
        for ci in chains:
            if total * ci % S:
                bad(key, f"{key}*c_i/S must be a whole number for every chain ({total}*{ci}/{S})")
    c.D_i = [D * ci // S for ci in chains]
    c.h_i = [h * ci // S for ci in chains]
    c.H_i = [H * ci // S for ci in chains]
    for i, (Di, hi) in enumerate(zip(c.D_i, c.h_i)):
        if len(chains) > 1 and Di != hi * hd:   # one chain: a plain HF model (Qwen3's head_dim != D/h)
            bad("head_dim", f"chain {i}: width D_i={Di} must equal h_i*head_dim={hi}*{hd}")
    if kv_sharing:
        for i, hi in enumerate(c.h_i):
            if hi % h_kv:
                bad("num_key_value_heads", f"kv_sharing: every h_i must be a multiple of h_kv (chain {i}: {hi} % {h_kv})")
        c.kv_i = []
    else:
        if h % h_kv:
            bad("num_key_value_heads", f"num_attention_heads {h} must be a multiple of it ({h_kv})")
        for ci in chains:
            if h_kv * ci % S:
                bad("num_key_value_heads", f"h_kv*c_i/S must be a whole number for every chain ({h_kv}*{ci}/{S})")
        c.kv_i = [h_kv * ci // S for ci in chains]
    return c


# --------------------------------------------------------------------------------------------
# Checkpoint: the three packagings
# --------------------------------------------------------------------------------------------

@dataclass
class Checkpoint:
    path: str
    packaging: str                      # "folder" | "sharded" | "single"
    config_text: str
    config: Config
    tensors: dict[str, tuple[str, np.ndarray]]
    tokenizer_text: str | None
    tokenizer_config_text: str | None = None
    generation_config_text: str | None = None


def _read_text(path: str) -> str | None:
    if not os.path.exists(path):
        return None
    with open(path, "r", encoding="utf-8") as f:
        return f.read()


def _json(text: str, where: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise CheckpointError(f"{where}: not valid JSON ({e})") from None


def load_checkpoint(path: str) -> Checkpoint:
    """Reads a folder (model.safetensors or a sharded index) or one *.safetensors file."""
    if os.path.isdir(path):
        cfg_path = os.path.join(path, "config.json")
        cfg_text = _read_text(cfg_path)
        if cfg_text is None:
            raise CheckpointError(f"{cfg_path}: missing")
        config = parse_config(_json(cfg_text, cfg_path), cfg_path)
        single = os.path.join(path, "model.safetensors")
        index = os.path.join(path, "model.safetensors.index.json")
        if os.path.exists(single):
            packaging = "folder"
            tensors, _ = read_safetensors(single)
        elif os.path.exists(index):
            packaging = "sharded"
            idx = _json(_read_text(index), index)
            wmap = idx.get("weight_map") if isinstance(idx, dict) else None
            if not isinstance(wmap, dict):
                raise CheckpointError(f"{index}: weight_map missing or not an object")
            tensors = {}
            for shard in sorted(set(wmap.values())):
                shard_path = os.path.join(path, shard)
                if os.path.basename(shard) != shard or not os.path.exists(shard_path):
                    raise CheckpointError(f"{index}: shard {shard!r} missing")
                part, _ = read_safetensors(shard_path)
                for name, t in part.items():
                    if wmap.get(name) != shard:
                        raise CheckpointError(f"{shard_path}: tensor {name} is not listed for this shard in the index")
                    tensors[name] = t
            for name, shard in wmap.items():
                if name not in tensors:
                    raise CheckpointError(f"{index}: tensor {name} not found in {shard}")
        else:
            raise CheckpointError(f"{path}: neither model.safetensors nor model.safetensors.index.json")
        return Checkpoint(path, packaging, cfg_text, config, tensors,
                          _read_text(os.path.join(path, "tokenizer.json")),
                          _read_text(os.path.join(path, "tokenizer_config.json")),
                          _read_text(os.path.join(path, "generation_config.json")))
    tensors, meta = read_safetensors(path)
    if "colm.config" not in meta:
        raise CheckpointError(f"{path}: __metadata__ lacks colm.config")
    if "colm.tokenizer" not in meta:
        raise CheckpointError(f"{path}: __metadata__ lacks colm.tokenizer")
    config = parse_config(_json(meta["colm.config"], f"{path}: colm.config"), f"{path}: colm.config")
    return Checkpoint(path, "single", meta["colm.config"], config, tensors, meta["colm.tokenizer"],
                      meta.get("colm.tokenizer_config"), meta.get("colm.generation_config"))


def save_checkpoint(ck: Checkpoint, out: str, packaging: str, shards: int = 2) -> str:
    """Writes ck's tensors unchanged in another packaging. Returns the path to load."""
    if packaging == "single":
        meta = {"colm.config": ck.config_text, "colm.tokenizer": ck.tokenizer_text or ""}
        if ck.tokenizer_config_text is not None:
            meta["colm.tokenizer_config"] = ck.tokenizer_config_text
        if ck.generation_config_text is not None:
            meta["colm.generation_config"] = ck.generation_config_text
        write_safetensors(out, ck.tensors, meta)
        return out
    os.makedirs(out, exist_ok=True)
    for fname, text in (("config.json", ck.config_text), ("tokenizer.json", ck.tokenizer_text),
                        ("tokenizer_config.json", ck.tokenizer_config_text),
                        ("generation_config.json", ck.generation_config_text)):
        if text is not None:
            with open(os.path.join(out, fname), "w", encoding="utf-8") as f:
                f.write(text)
    if packaging == "folder":
        write_safetensors(os.path.join(out, "model.safetensors"), ck.tensors, {"format": "pt"})
    elif packaging == "sharded":
        names = list(ck.tensors)
        per = -(-len(names) // shards)
        wmap = {}
        for s in range(shards):
            fname = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
            part = {nm: ck.tensors[nm] for nm in names[s * per:(s + 1) * per]}
            write_safetensors(os.path.join(out, fname), part, {"format": "pt"})
            wmap.update({nm: fname for nm in part})
        total = sum(ITEMSIZE[d] * a.size for d, a in ck.tensors.values())
        with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": wmap}, f, indent=2)
            f.write("\n")
    else:
        raise ValueError(packaging)
    return out


# --------------------------------------------------------------------------------------------
# Weights in float64, chain linears as lists of per-chain blocks W_i [out_i, cum_i]
# --------------------------------------------------------------------------------------------

LINEARS = ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
           "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")


def chain_linear_geometry(c: Config, short: str) -> tuple[list[int], list[int]]:
    """(input widths per chain, output widths per chain) of a chain linear."""
    q = [hi * c.hd for hi in c.h_i]
    kv = [ki * c.hd for ki in c.kv_i]
    return {
        "self_attn.q_proj": (c.D_i, q),
        "self_attn.k_proj": (c.D_i, kv),
        "self_attn.v_proj": (c.D_i, kv),
        "self_attn.o_proj": (q, c.D_i),
        "mlp.gate_proj": (c.D_i, c.H_i),
        "mlp.up_proj": (c.D_i, c.H_i),
        "mlp.down_proj": (c.H_i, c.D_i),
    }[short]


def _f64(arr: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.asarray(arr, dtype=np.float64).copy())


class Model:
    """float64 weights of one checkpoint, validated against FORMAT.md."""

    def __init__(self, ck: Checkpoint):
        self.ck = ck
        c = self.c = ck.config
        T = ck.tensors
        where = ck.path
        used: set[str] = set()

        def take(name: str, shape: list[int]) -> torch.Tensor:
            if name not in T:
                raise CheckpointError(f"{where}: missing tensor {name}")
            dtype, arr = T[name]
            if list(arr.shape) != list(shape):
                raise CheckpointError(f"{where}: tensor {name} has shape {list(arr.shape)}, expected {shape}")
            used.add(name)
            return _f64(arr)

        def chain_linear(prefix: str, in_w: list[int], out_w: list[int]) -> list[torch.Tensor]:
            whole = f"{prefix}.weight"
            per = [f"{prefix}.chains.{i}.weight" for i in range(c.n)]
            has_whole = whole in T
            has_per = any(p in T for p in per) or any(
                nm.startswith(prefix + ".chains.") and not nm.endswith(".bias") for nm in T)
            in_cum, out_cum = _cum(in_w), _cum(out_w)
            if has_whole and has_per:
                raise CheckpointError(f"{where}: tensor {prefix} is stored both whole and per chain")
            if has_per:
                if c.n == 1:
                    raise CheckpointError(f"{where}: tensor {prefix}: a 1-chain model stores chain linears whole only")
                return [take(per[i], [out_w[i], in_cum[i]]) for i in range(c.n)]
            W = take(whole, [out_cum[-1], in_cum[-1]])
            blocks = []
            for i in range(c.n):
                r0, r1 = out_cum[i] - out_w[i], out_cum[i]
                if torch.count_nonzero(W[r0:r1, in_cum[i]:]).item():
                    raise CheckpointError(f"{where}: tensor {whole} has a nonzero entry outside the block lower-triangular mask (chain {i})")
                blocks.append(W[r0:r1, :in_cum[i]].clone())
            return blocks

        def bias(prefix: str, out_w: list[int]) -> torch.Tensor:
            """FORMAT.md 1.1: whole X.bias [D_y] or per chain X.chains.{i}.bias [out_i], as one [D_y] vector."""
            whole = f"{prefix}.bias"
            per = [f"{prefix}.chains.{i}.bias" for i in range(len(out_w))]
            if whole in T and any(nm in T for nm in per):
                raise CheckpointError(f"{where}: tensor {whole} is stored both whole and per chain")
            if whole in T or c.n == 1:
                return take(whole, [sum(out_w)])
            return torch.cat([take(per[i], [out_w[i]]) for i in range(len(out_w))])

        self.embed = take("model.embed_tokens.weight", [c.V, c.D])
        self.layers = []
        for l in range(c.L):
            p = f"model.layers.{l}"
            layer = {
                "input_layernorm": take(f"{p}.input_layernorm.weight", [c.D]),
                "post_attention_layernorm": take(f"{p}.post_attention_layernorm.weight", [c.D]),
            }
            for short in LINEARS:
                has_bias = {"self_attn.q_proj": c.qkv_bias, "self_attn.k_proj": c.qkv_bias,
                            "self_attn.v_proj": c.qkv_bias, "self_attn.o_proj": c.o_bias}.get(short, c.mlp_bias)
                if c.kv_sharing and short in ("self_attn.k_proj", "self_attn.v_proj"):
                    if any(nm.startswith(f"{p}.{short}.chains.") for nm in T):
                        raise CheckpointError(f"{where}: tensor {p}.{short}: with kv_sharing it is dense, not per chain")
                    layer[short] = take(f"{p}.{short}.weight", [c.h_kv * c.hd, c.D_i[0]])
                    if has_bias:
                        layer[short + ".bias"] = take(f"{p}.{short}.bias", [c.h_kv * c.hd])
                else:
                    layer[short] = chain_linear(f"{p}.{short}", *chain_linear_geometry(c, short))
                    if has_bias:
                        layer[short + ".bias"] = bias(f"{p}.{short}", chain_linear_geometry(c, short)[1])
            if c.qk_norm:
                layer["q_norm"] = take(f"{p}.self_attn.q_norm.weight", [c.hd])
                layer["k_norm"] = take(f"{p}.self_attn.k_norm.weight", [c.hd])
            self.layers.append(layer)
        self.norm = take("model.norm.weight", [c.D])
        if c.tie:
            self.lm_head = self.embed
            if "lm_head.weight" in T:
                used.add("lm_head.weight")          # a stored copy is ignored
        else:
            self.lm_head = take("lm_head.weight", [c.V, c.D])
        unknown = sorted(set(T) - used)
        if unknown:
            raise CheckpointError(f"{where}: unknown tensor {unknown[0]}" + (f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""))
        self.inv_freq = rope_inv_freq(c)

    # ---------------------------------------------------------------------------------------
    def forward(self, tokens: list[int], k: int, cache: list | None = None, start: int = 0,
                dtype: torch.dtype = torch.float64) -> dict:
        """Sub-model k over `tokens` at positions start, start+1, ...

        cache: optional list (one per layer) of (K, V) of earlier positions 0..start-1, each
        [start, kv_heads, head_dim] after RoPE; it is extended in place. Returns logits [T, V],
        hidden = [embedding output, output of layer 0, ..., output of layer L-1] (each [T, d_k]),
        and kv = the per-layer (K, V) of the positions computed here.
        """
        c = self.c
        if not 1 <= k <= c.n:
            raise ValueError(f"chains k={k} must be in 1..{c.n}")
        for t in tokens:
            if not 0 <= t < c.V:
                raise ValueError(f"token {t} outside 0..{c.V - 1}")
        dk = c.d(k)
        widths = c.D_i[:k]
        nq = sum(c.h_i[:k])
        qcum = _cum([hi * c.hd for hi in c.h_i])
        Tn = len(tokens)
        pos = torch.arange(start, start + Tn, dtype=torch.float64)
        ang = pos[:, None] * self.inv_freq[None, :]                 # [T, hd/2]
        cos = torch.cat([ang.cos(), ang.cos()], dim=-1).to(dtype)  # [T, hd]
        sin = torch.cat([ang.sin(), ang.sin()], dim=-1).to(dtype)

        x = self.embed[tokens, :dk].to(dtype)
        hidden = [x]
        kv_out = []
        for l, W in enumerate(self.layers):
            a = chain_rmsnorm(x, W["input_layernorm"].to(dtype), widths, c.eps)
            q = add_bias(apply_chain_linear(a, W["self_attn.q_proj"], k, dtype), W, "self_attn.q_proj", dtype)
            q = q.view(Tn, nq, c.hd)
            if c.kv_sharing:
                key = a[:, :c.D_i[0]] @ W["self_attn.k_proj"].to(dtype).T
                val = a[:, :c.D_i[0]] @ W["self_attn.v_proj"].to(dtype).T
                nkv = c.h_kv
            else:
                key = apply_chain_linear(a, W["self_attn.k_proj"], k, dtype)
                val = apply_chain_linear(a, W["self_attn.v_proj"], k, dtype)
                nkv = sum(c.kv_i[:k])
            key = add_bias(key, W, "self_attn.k_proj", dtype).view(Tn, nkv, c.hd)
            val = add_bias(val, W, "self_attn.v_proj", dtype).view(Tn, nkv, c.hd)
            if c.qk_norm:       # qwen3: RMSNorm of each head's vector, before RoPE
                q = head_rmsnorm(q, W["q_norm"].to(dtype), c.eps)
                key = head_rmsnorm(key, W["k_norm"].to(dtype), c.eps)
            q = rope(q, cos, sin)
            key = rope(key, cos, sin)
            kv_out.append((key, val))
            if cache is not None:
                K_past, V_past = cache[l]
                if K_past.shape[1] < nkv:
                    raise ValueError("plain CoLM: the cache lacks the K/V of the added chains over the past")
                K_all = torch.cat([K_past[:, :nkv].to(dtype), key], dim=0)
                V_all = torch.cat([V_past[:, :nkv].to(dtype), val], dim=0)
                cache[l] = (torch.cat([K_past[:, :nkv], key], dim=0), torch.cat([V_past[:, :nkv], val], dim=0))
            else:
                K_all, V_all = key, val
            heads = []
            for j in range(nq):
                g = (j % c.h_kv) if c.kv_sharing else (j // (c.h // c.h_kv))
                scores = (q[:, j, :] @ K_all[:, g, :].T) / math.sqrt(c.hd)      # [T, start+T]
                qpos = torch.arange(start, start + Tn)[:, None]
                kpos = torch.arange(0, K_all.shape[0])[None, :]
                scores = scores.masked_fill(kpos > qpos, float("-inf"))
                if c.window[l] is not None:     # sliding window: keys qpos-W+1..qpos only
                    scores = scores.masked_fill(kpos <= qpos - c.window[l], float("-inf"))
                probs = torch.softmax(scores, dim=-1)
                heads.append(probs @ V_all[:, g, :])
            attn = torch.cat(heads, dim=-1)                                       # [T, nq*hd]
            assert attn.shape[1] == qcum[k - 1]
            x = x + add_bias(apply_chain_linear(attn, W["self_attn.o_proj"], k, dtype), W, "self_attn.o_proj", dtype)
            b = chain_rmsnorm(x, W["post_attention_layernorm"].to(dtype), widths, c.eps)
            gate = add_bias(apply_chain_linear(b, W["mlp.gate_proj"], k, dtype), W, "mlp.gate_proj", dtype)
            up = add_bias(apply_chain_linear(b, W["mlp.up_proj"], k, dtype), W, "mlp.up_proj", dtype)
            down = apply_chain_linear(torch.nn.functional.silu(gate) * up, W["mlp.down_proj"], k, dtype)
            x = x + add_bias(down, W, "mlp.down_proj", dtype)
            hidden.append(x)
        y = chain_rmsnorm(x, self.norm.to(dtype), widths, c.eps)
        logits = y @ self.lm_head[:, :dk].to(dtype).T
        return {"logits": logits, "hidden": hidden, "kv": kv_out}

    def logits_schedule(self, tokens: list[int], ks: list[int]) -> torch.Tensor:
        """Logits when position p runs with k_p chains: row p of sub-model k_p's full forward."""
        rows = {}
        for k in sorted(set(ks)):
            rows[k] = self.forward(tokens, k)["logits"]
        return torch.stack([rows[k][p] for p, k in enumerate(ks)])


def chain_rmsnorm(x: torch.Tensor, w: torch.Tensor, widths: list[int], eps: float) -> torch.Tensor:
    parts, s = [], 0
    for wd in widths:
        sl = x[:, s:s + wd]
        parts.append(sl / torch.sqrt((sl * sl).mean(dim=-1, keepdim=True) + eps) * w[s:s + wd])
        s += wd
    return torch.cat(parts, dim=-1)


def apply_chain_linear(x: torch.Tensor, blocks: list[torch.Tensor], k: int, dtype) -> torch.Tensor:
    """Output chain i (i < k) = x[:, :cum_i] @ W_i^T; only chains 1..k are computed."""
    return torch.cat([x[:, :Wi.shape[1]] @ Wi.to(dtype).T for Wi in blocks[:k]], dim=-1)


def add_bias(y: torch.Tensor, W: dict, short: str, dtype) -> torch.Tensor:
    """Sub-model k adds the first cum_k entries of the bias: as many as y has outputs."""
    b = W.get(short + ".bias")
    return y if b is None else y + b[:y.shape[1]].to(dtype)


def head_rmsnorm(x: torch.Tensor, w: torch.Tensor, eps: float) -> torch.Tensor:
    """x [T, heads, hd]: each head's vector by its own RMS, times w [hd]."""
    return x / torch.sqrt((x * x).mean(dim=-1, keepdim=True) + eps) * w


def rope_inv_freq(c: Config) -> torch.Tensor:
    """HF default RoPE frequencies, with HF's "llama3" rope_scaling when configured (float64)."""
    inv = 1.0 / (c.rope_theta ** (torch.arange(0, c.hd, 2, dtype=torch.float64) / c.hd))
    s = c.rope_scaling
    if s is None:
        return inv
    if s.get("rope_type", s.get("type")) == "linear":           # positions / factor == frequencies / factor
        return inv / float(s["factor"])
    factor = float(s["factor"])
    low, high = float(s["low_freq_factor"]), float(s["high_freq_factor"])
    old = float(s["original_max_position_embeddings"])
    low_wavelen, high_wavelen = old / low, old / high
    out = []
    for f in inv.tolist():
        wavelen = 2 * math.pi / f
        if wavelen < high_wavelen:          # high frequency: unchanged
            out.append(f)
        elif wavelen > low_wavelen:         # low frequency: divided by factor
            out.append(f / factor)
        else:                               # in between: blend
            smooth = (old / wavelen - low) / (high - low)
            out.append((1 - smooth) * f / factor + smooth * f)
    return torch.tensor(out, dtype=torch.float64)


def rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """HF rotate-half RoPE on x [T, heads, hd]: pairs (i, i + hd/2)."""
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos[:, None, :] + rotated * sin[:, None, :]


def load_model(path: str) -> Model:
    return Model(load_checkpoint(path))


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------

def _ints(text: str) -> list[int]:
    return [int(t) for t in text.split(",") if t.strip() != ""]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    lg = sub.add_parser("logits", help="print {\"logits\": [[V floats] per position]} as JSON")
    lg.add_argument("model")
    lg.add_argument("--tokens", required=True, help="comma-separated token ids")
    g = lg.add_mutually_exclusive_group()
    g.add_argument("--chains", type=int, help="k, the sub-model (default: all chains)")
    g.add_argument("--schedule", help="comma-separated k per position")
    lg.add_argument("--float32", action="store_true", help="compute in float32 instead of float64")
    info = sub.add_parser("info", help="print the parsed config and tensor list")
    info.add_argument("model")
    args = ap.parse_args(argv)
    try:
        model = load_model(args.model)
    except CheckpointError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    c = model.c
    if args.cmd == "info":
        print(json.dumps({
            "packaging": model.ck.packaging, "model_type": c.model_type, "chains": c.chains,
            "kv_sharing": c.kv_sharing, "D": c.D, "H": c.H, "L": c.L, "V": c.V, "h": c.h, "h_kv": c.h_kv,
            "head_dim": c.hd, "D_i": c.D_i, "h_i": c.h_i, "H_i": c.H_i, "kv_i": c.kv_i,
            "tie_word_embeddings": c.tie, "rope_theta": c.rope_theta, "rope_scaling": c.rope_scaling,
            "tensors": {n: [d, list(a.shape)] for n, (d, a) in model.ck.tensors.items()},
        }, indent=1))
        return 0
    tokens = _ints(args.tokens)
    dtype = torch.float32 if args.float32 else torch.float64
    try:
        if args.schedule:
            ks = _ints(args.schedule)
            if len(ks) != len(tokens):
                raise ValueError("--schedule needs one k per token")
            logits = model.logits_schedule(tokens, ks)
        else:
            logits = model.forward(tokens, args.chains if args.chains is not None else c.n, dtype=dtype)["logits"]
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    json.dump({"logits": logits.to(torch.float64).tolist()}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
