#!/usr/bin/env python3
"""Writes the small random CoLM checkpoints under test/fixtures/models/ and their float64 golden
logits under test/fixtures/golden/. Deterministic: every fixture has its own fixed seed, and
rerunning rewrites byte-identical files.

    /usr/bin/python3 reference/make_fixtures.py            # from the repository root

Weights are drawn in float64, rounded to the fixture's storage dtype when written, and the goldens
are computed by reading the written files back through colm_ref.py (so they use exactly the stored
values, widened to float64).
"""

from __future__ import annotations

import json
import os
import shutil
import sys

import numpy as np

sys.dont_write_bytecode = True   # keep reference/ free of __pycache__
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import colm_ref  # noqa: E402
import tokenizers_gen  # noqa: E402

ROOT = os.path.dirname(HERE)
MODELS = "test/fixtures/models"
GOLDEN = "test/fixtures/golden"
V = 300
N_TOKENS = 12

BYTE_TOK = tokenizers_gen.byte_level_bpe()
LLAMA_TOK = tokenizers_gen.llama2_bpe()
BYTE_IDS = {t["content"]: t["id"] for t in BYTE_TOK["added_tokens"]}   # <s> 296, </s> 297, <|im_start|> 298, <|im_end|> 299

CHATML_TOKCFG = {"bos_token": "<s>", "eos_token": "<|im_end|>", "chat_template": tokenizers_gen.CHATML_TEMPLATE,
                 "add_bos_token": False, "clean_up_tokenization_spaces": False}

TORCH_DTYPE = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}


def base_config(model_type: str, D: int, h: int, h_kv: int, hd: int, H: int, L: int, dtype: str, **extra) -> dict:
    cfg = {
        "architectures": ["LlamaForCausalLM"] if model_type == "llama" else ["ColmForCausalLM"],
        "model_type": model_type,
        "hidden_size": D,
        "intermediate_size": H,
        "num_hidden_layers": L,
        "num_attention_heads": h,
        "num_key_value_heads": h_kv,
        "head_dim": hd,
        "vocab_size": V,
        "hidden_act": "silu",
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "rope_scaling": None,
        "max_position_embeddings": 256,
        "tie_word_embeddings": False,
        "attention_bias": False,
        "torch_dtype": TORCH_DTYPE[dtype],
        "bos_token_id": BYTE_IDS["<s>"],
        "eos_token_id": BYTE_IDS["</s>"],
    }
    cfg.update(extra)
    return cfg


FIXTURES = [
    {
        # A plain Llama checkpoint (1 chain, no `chains` key) with GQA and llama3 rope scaling.
        "name": "llama_gqa", "packaging": "folder", "dtype": "F32", "seed": 101,
        "config": base_config(
            "llama", D=64, h=4, h_kv=2, hd=16, H=160, L=2, dtype="F32",
            rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                          "high_freq_factor": 4.0, "original_max_position_embeddings": 32},
            eos_token_id=[BYTE_IDS["</s>"], BYTE_IDS["<|im_end|>"]]),
        "tokenizer": BYTE_TOK, "tokenizer_config": CHATML_TOKCFG,
    },
    {
        # CoLM-Air, 4 equal chains, single file, per-chain form.
        "name": "air4_f32", "packaging": "single", "dtype": "F32", "seed": 202,
        "config": base_config("colm", D=64, h=8, h_kv=2, hd=8, H=128, L=3, dtype="F32",
                              chains=[1, 1, 1, 1], kv_sharing=True),
        "tokenizer": BYTE_TOK, "tokenizer_config": CHATML_TOKCFG,
        "generation_config": {"bos_token_id": BYTE_IDS["<s>"], "eos_token_id": BYTE_IDS["<|im_end|>"],
                              "do_sample": False},
    },
    {
        # Plain CoLM, unequal chains {1,1,2}, GQA with 1,1,2 KV heads per chain, BF16.
        "name": "plain_unequal_bf16", "packaging": "folder", "dtype": "BF16", "seed": 303,
        "config": base_config("colm", D=64, h=8, h_kv=4, hd=8, H=128, L=2, dtype="BF16",
                              chains=[1, 1, 2], kv_sharing=False),
        "tokenizer": BYTE_TOK,
        "generation_config": {"bos_token_id": BYTE_IDS["<s>"], "eos_token_id": BYTE_IDS["</s>"]},
    },
    {
        # Tied embeddings with a garbage stored lm_head that must be ignored; Llama-2 tokenizer; F16.
        "name": "tied_f16", "packaging": "single", "dtype": "F16", "seed": 404,
        "config": base_config("colm", D=64, h=4, h_kv=4, hd=16, H=128, L=2, dtype="F16",
                              chains=[1, 1], kv_sharing=False, tie_word_embeddings=True,
                              bos_token_id=1, eos_token_id=2),
        "tokenizer": LLAMA_TOK,
        "tokenizer_config": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
                             "chat_template": tokenizers_gen.LLAMA2_TEMPLATE, "add_bos_token": True,
                             "clean_up_tokenization_spaces": False},
        "garbage_lm_head": True,
    },
    {
        # Sharded folder, unequal chains {2,1,1}; q/o/down whole masked, the rest per chain.
        "name": "whole_sharded", "packaging": "sharded", "dtype": "F32", "seed": 505,
        "config": base_config("colm", D=64, h=4, h_kv=4, hd=16, H=128, L=2, dtype="F32",
                              chains=[2, 1, 1], kv_sharing=False),
        "tokenizer": BYTE_TOK,
        "tokenizer_config": {"bos_token": "<s>", "eos_token": "</s>"},
        "whole": {"self_attn.q_proj", "self_attn.o_proj", "mlp.down_proj"},
    },
    {
        # CoLM-Air {2,2} with 4 query heads per chain over 2 shared KV heads, BF16, rope_theta 5e5.
        "name": "air_gqa_bf16", "packaging": "single", "dtype": "BF16", "seed": 606,
        "config": base_config("colm", D=64, h=8, h_kv=2, hd=8, H=96, L=2, dtype="BF16",
                              chains=[2, 2], kv_sharing=True, rope_theta=500000.0),
        "tokenizer": BYTE_TOK,
    },
    # ---- FORMAT.md 1.1 ----
    {
        # Qwen2 as a CoLM: chains {1,2,1}, GQA (1,2,1 KV heads per chain), q/k/v biases (no key
        # says so: qwen2 always has them), q and v biases per chain, k's whole.
        "name": "qwen2_chained", "packaging": "folder", "dtype": "F32", "seed": 707,
        "config": base_config("qwen2", D=64, h=8, h_kv=4, hd=8, H=128, L=2, dtype="F32",
                              chains=[1, 2, 1], kv_sharing=False, use_sliding_window=False,
                              sliding_window=4096, max_window_layers=28),
        "tokenizer": BYTE_TOK,
        "bias_per_chain": {"self_attn.q_proj", "self_attn.v_proj"},
    },
    {
        # Qwen3 CoLM-Air {1,1}: per-head q/k RMSNorm, attention_bias on q/k/v/o (k/v dense, q per
        # chain, o whole), single file, transformers 5 rope_parameters.
        "name": "qwen3_air", "packaging": "single", "dtype": "F32", "seed": 808,
        "config": {**{k: v for k, v in base_config("qwen3", D=64, h=8, h_kv=2, hd=8, H=96, L=2, dtype="F32",
                                                     chains=[1, 1], kv_sharing=True, attention_bias=True,
                                                     use_sliding_window=False, sliding_window=None,
                                                     layer_types=["full_attention", "full_attention"]).items()
                      if k not in ("rope_theta", "rope_scaling")},
                   "rope_parameters": {"rope_theta": 20000.0, "rope_type": "default"}},
        "tokenizer": BYTE_TOK,
        "bias_per_chain": {"self_attn.q_proj"},
    },
    {
        # Qwen3 as its own 1-chain model: head_dim 16 with D/h = 8, a sliding window of 4 on
        # layer 1 only (layer_types), BF16.
        "name": "qwen3_head_dim", "packaging": "folder", "dtype": "BF16", "seed": 909,
        "config": base_config("qwen3", D=32, h=4, h_kv=2, hd=16, H=64, L=2, dtype="BF16",
                              use_sliding_window=True, sliding_window=4, max_window_layers=1,
                              layer_types=["full_attention", "sliding_attention"]),
        "tokenizer": BYTE_TOK,
    },
    {
        # Mistral as a CoLM {1,1}: every layer sees the last 5 positions of 12.
        "name": "mistral_window", "packaging": "folder", "dtype": "F32", "seed": 1001,
        "config": base_config("mistral", D=64, h=4, h_kv=2, hd=16, H=128, L=2, dtype="F32",
                              chains=[1, 1], kv_sharing=False, sliding_window=5),
        "tokenizer": BYTE_TOK,
    },
    {
        # Llama with linear RoPE scaling (transformers 5 dialect), attention and MLP biases, F16.
        "name": "llama_linear_rope", "packaging": "folder", "dtype": "F16", "seed": 1102,
        "config": {**{k: v for k, v in base_config("llama", D=64, h=4, h_kv=4, hd=16, H=128, L=2, dtype="F16",
                                                     attention_bias=True, mlp_bias=True).items()
                      if k not in ("rope_theta", "rope_scaling")},
                   "rope_parameters": {"factor": 4.0, "rope_theta": 10000.0, "rope_type": "linear"}},
        "tokenizer": BYTE_TOK,
    },
]


def make_tensors(spec: dict) -> dict[str, tuple[str, np.ndarray]]:
    cfg = colm_ref.parse_config(spec["config"], spec["name"])
    rng = np.random.default_rng(spec["seed"])
    dtype = spec["dtype"]
    whole = spec.get("whole", set())
    out: dict[str, tuple[str, np.ndarray]] = {}

    def put(name, values):
        out[name] = (dtype, colm_ref.round_to_dtype(dtype, values))

    def normal(shape, std):
        return rng.standard_normal(shape) * std

    def norm_weight():
        return 1.0 + 0.1 * rng.standard_normal(cfg.D)

    def has_bias(short):
        return {"self_attn.q_proj": cfg.qkv_bias, "self_attn.k_proj": cfg.qkv_bias, "self_attn.v_proj": cfg.qkv_bias,
                "self_attn.o_proj": cfg.o_bias}.get(short, cfg.mlp_bias)

    def put_bias(p, short, out_w):
        # Drawn only for configs with biases, so the 1.0 fixtures keep their random streams.
        b = normal(sum(out_w), 0.5)
        if short in spec.get("bias_per_chain", set()):
            r = 0
            for i, w in enumerate(out_w):
                put(f"{p}.{short}.chains.{i}.bias", b[r:r + w])
                r += w
        else:
            put(f"{p}.{short}.bias", b)

    put("model.embed_tokens.weight", normal((cfg.V, cfg.D), 1.0))
    for l in range(cfg.L):
        p = f"model.layers.{l}"
        put(f"{p}.input_layernorm.weight", norm_weight())
        if cfg.qk_norm:
            put(f"{p}.self_attn.q_norm.weight", 1.0 + 0.3 * rng.standard_normal(cfg.hd))
            put(f"{p}.self_attn.k_norm.weight", 1.0 + 0.3 * rng.standard_normal(cfg.hd))
        for short in colm_ref.LINEARS:
            if short == "mlp.gate_proj":
                put(f"{p}.post_attention_layernorm.weight", norm_weight())
            if cfg.kv_sharing and short in ("self_attn.k_proj", "self_attn.v_proj"):
                D1 = cfg.D_i[0]
                put(f"{p}.{short}.weight", normal((cfg.h_kv * cfg.hd, D1), 1 / np.sqrt(D1)))
                if has_bias(short):
                    put(f"{p}.{short}.bias", normal(cfg.h_kv * cfg.hd, 0.5))
                continue
            in_w, out_w = colm_ref.chain_linear_geometry(cfg, short)
            in_cum = colm_ref._cum(in_w)
            if has_bias(short):
                put_bias(p, short, out_w)
            blocks = [normal((out_w[i], in_cum[i]), 1 / np.sqrt(in_cum[i])) for i in range(cfg.n)]
            if cfg.n == 1 or short in whole:
                W = np.zeros((sum(out_w), sum(in_w)))
                r = 0
                for i, B in enumerate(blocks):
                    W[r:r + out_w[i], :in_cum[i]] = B
                    r += out_w[i]
                put(f"{p}.{short}.weight", W)
            else:
                for i, B in enumerate(blocks):
                    put(f"{p}.{short}.chains.{i}.weight", B)
    put("model.norm.weight", norm_weight())
    if spec.get("garbage_lm_head"):
        # large values of both signs; F16 holds up to 65504
        put("lm_head.weight", rng.uniform(2e4, 6e4, (cfg.V, cfg.D)) * rng.choice([-1.0, 1.0], (cfg.V, cfg.D)))
    elif not cfg.tie:
        put("lm_head.weight", normal((cfg.V, cfg.D), 1 / np.sqrt(cfg.D)))
    return out


def dumps(obj) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def write_fixture(spec: dict) -> str:
    """Writes the checkpoint; returns its path relative to the repository root."""
    name, packaging = spec["name"], spec["packaging"]
    tensors = make_tensors(spec)
    config_text = dumps(spec["config"])
    tok_text = dumps(spec["tokenizer"])
    tokcfg_text = dumps(spec["tokenizer_config"]) if "tokenizer_config" in spec else None
    gencfg_text = dumps(spec["generation_config"]) if "generation_config" in spec else None
    rel = f"{MODELS}/{name}.safetensors" if packaging == "single" else f"{MODELS}/{name}"
    path = os.path.join(ROOT, rel)
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)
    ck = colm_ref.Checkpoint(path=path, packaging=packaging, config_text=config_text,
                             config=colm_ref.parse_config(spec["config"]), tensors=tensors,
                             tokenizer_text=tok_text, tokenizer_config_text=tokcfg_text,
                             generation_config_text=gencfg_text)
    colm_ref.save_checkpoint(ck, path, packaging, shards=2)
    return rel


def golden_tokens(spec: dict) -> list[int]:
    rng = np.random.default_rng(spec["seed"] + 7)
    toks = [int(t) for t in rng.integers(0, V, N_TOKENS)]
    toks[3] = V - 1          # touch both ends of the embedding table
    toks[8] = 0
    return toks


def fmt_row(row) -> str:
    return "[" + ",".join(format(float(v), ".9g") for v in row) + "]"


def write_golden(spec: dict, rel: str) -> None:
    model = colm_ref.load_model(os.path.join(ROOT, rel))
    c = model.c
    tokens = golden_tokens(spec)
    parts = []
    for k in range(1, c.n + 1):
        logits = model.forward(tokens, k)["logits"]
        rows = ",\n    ".join(fmt_row(r) for r in logits.tolist())
        parts.append(f'"{k}": [\n    {rows}\n  ]')
    text = ("{\n"
            f'  "model": {json.dumps(rel)},\n'
            f'  "tokens": {json.dumps(tokens)},\n'
            f'  "chains": {c.n},\n'
            f'  "kv_sharing": {json.dumps(c.kv_sharing)},\n'
            '  "logits": {\n  ' + ",\n  ".join(parts) + "\n  }\n}\n")
    json.loads(text)  # well-formed
    out = os.path.join(ROOT, GOLDEN, f"{spec['name']}.json")
    with open(out, "w") as f:
        f.write(text)


def main() -> int:
    os.makedirs(os.path.join(ROOT, MODELS), exist_ok=True)
    os.makedirs(os.path.join(ROOT, GOLDEN), exist_ok=True)
    total = 0
    for spec in FIXTURES:
        rel = write_fixture(spec)
        write_golden(spec, rel)
        path = os.path.join(ROOT, rel)
        files = [os.path.join(dp, f) for dp, _, fs in os.walk(path) for f in fs] if os.path.isdir(path) else [path]
        size = sum(os.path.getsize(f) for f in files)
        gsize = os.path.getsize(os.path.join(ROOT, GOLDEN, spec["name"] + ".json"))
        total += size + gsize
        print(f"{spec['name']:20s} {rel:48s} model {size / 1024:7.1f} KiB  golden {gsize / 1024:6.1f} KiB")
    print(f"total {total / 1024:.1f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
