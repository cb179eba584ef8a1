"""Hugging Face transformers as the oracle of the engine (issue 9, item 2).

Builds tiny random models with transformers' own classes (LlamaForCausalLM, MistralForCausalLM,
Qwen2ForCausalLM, Qwen3ForCausalLM), saves each with save_pretrained (safetensors) into OUT/<case>/
beside a small byte-level BPE tokenizer.json, and writes OUT/<case>/expected.json:

    {"name", "family", "tokens": [T ids], "prefill": P, "logits": [T][V],  # transformers, float32
     "incremental_max_error": ..., "max_abs_logit": ..., "ablation_of": base case or null,
     "ablation_distance": ...}

The logits are those of the model read back from the saved folder (from_pretrained, float32 math,
eager attention), so they are exactly the checkpoint on disk (BF16 weights rounded as stored, tied
embeddings as saved). The script checks the oracle itself before writing anything a test reads:
  - prefill P tokens then decode one at a time with past_key_values gives the full-sequence logits;
  - a folder rewritten in the transformers-4 config dialect (rope_theta + rope_scaling) loads to the
    same logits as the transformers-5 one (rope_parameters);
  - every ablation (one weight or one config key changed) moves the logits by more than 1e-2, so a
    comparison at 1e-4 can tell the feature is implemented.
OUT/manifest.json lists the cases (expected.json less the logits).
Usage: hf_models.py OUT        (about 20-30 s on 2 cores)
       hf_models.py --list     the case names as JSON, without importing torch
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
V = 300
# Incremental vs full forward, and the two config dialects (HF_ORACLE_TOL=1 to look at a failure).
ORACLE_TOL = float(os.environ.get("HF_ORACLE_TOL", "1e-4"))
ABLATION_MIN = 1e-2      # an ablation must move some logit by more than this

COMMON = dict(vocab_size=V, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
              num_attention_heads=4, rms_norm_eps=1e-5, max_position_embeddings=256,
              bos_token_id=296, eos_token_id=297)

# name: family, dtype, config overrides, T, P, seed
CASES: list[dict] = [
    dict(name="llama_f32_untied_mha", family="llama", dtype="float32", T=16, P=5,
         config=dict(num_key_value_heads=4, tie_word_embeddings=False)),
    dict(name="llama_bf16_tied_gqa2", family="llama", dtype="bfloat16", T=16, P=7,
         config=dict(num_key_value_heads=2, tie_word_embeddings=True, rope_parameters={"rope_type": "default", "rope_theta": 50000.0})),
    # Llama 3.x: llama3 RoPE scaling, theta 500000, tied; T past original_max_position_embeddings.
    dict(name="llama3_rope_gqa4_tied", family="llama", dtype="float32", T=40, P=20,
         config=dict(num_key_value_heads=1, tie_word_embeddings=True,
                     rope_parameters={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
                                      "high_freq_factor": 4.0, "original_max_position_embeddings": 32})),
    dict(name="llama_rope_linear2", family="llama", dtype="float32", T=40, P=9,
         config=dict(num_key_value_heads=2, tie_word_embeddings=False,
                     rope_parameters={"rope_type": "linear", "rope_theta": 10000.0, "factor": 2.0})),
    dict(name="llama_bf16_attn_mlp_bias", family="llama", dtype="bfloat16", T=16, P=4,
         config=dict(num_key_value_heads=2, tie_word_embeddings=False, attention_bias=True, mlp_bias=True)),
    dict(name="llama_f32_attn_mlp_bias", family="llama", dtype="float32", T=16, P=4,
         config=dict(num_key_value_heads=1, tie_word_embeddings=True, attention_bias=True, mlp_bias=True)),
    # Mistral: a query sees the last 4 positions; the sequence is 12, prefill 6.
    dict(name="mistral_f32_window4", family="mistral", dtype="float32", T=12, P=6,
         config=dict(num_key_value_heads=2, tie_word_embeddings=False, sliding_window=4, head_dim=16)),
    dict(name="mistral_bf16_window5_gqa4", family="mistral", dtype="bfloat16", T=14, P=2,
         config=dict(num_key_value_heads=1, tie_word_embeddings=False, sliding_window=5, head_dim=16,
                     rope_parameters={"rope_type": "default", "rope_theta": 1000000.0})),
    # Qwen2: q/k/v biases (no config key), o without.
    dict(name="qwen2_bf16_tied_gqa2", family="qwen2", dtype="bfloat16", T=16, P=6,
         config=dict(num_key_value_heads=2, tie_word_embeddings=True, rope_parameters={"rope_type": "default", "rope_theta": 1000000.0})),
    dict(name="qwen2_f32_untied_gqa4", family="qwen2", dtype="float32", T=16, P=1,
         config=dict(num_key_value_heads=1, tie_word_embeddings=False)),
    # Qwen3: per-head q/k RMSNorm before RoPE, head_dim != D/h.
    dict(name="qwen3_bf16_tied_hd32", family="qwen3", dtype="bfloat16", T=16, P=8,
         config=dict(num_key_value_heads=2, head_dim=32, tie_word_embeddings=True,
                     rope_parameters={"rope_type": "default", "rope_theta": 1000000.0})),
    dict(name="qwen3_f32_untied_hd24_gqa4", family="qwen3", dtype="float32", T=16, P=3,
         config=dict(num_key_value_heads=1, head_dim=24, tie_word_embeddings=False)),
    # Shapes of real small models, shrunk: SmolLM2-135M (9 heads / 3 KV, head_dim 64, tied, theta
    # 1e5, BF16) and TinyLlama-1.1B (32 heads / 4 KV, head_dim 64, untied, theta 1e4).
    dict(name="smollm2_shaped_bf16", family="llama", dtype="bfloat16", T=16, P=5,
         config=dict(hidden_size=96, intermediate_size=256, num_hidden_layers=3, num_attention_heads=3,
                     num_key_value_heads=1, head_dim=32, tie_word_embeddings=True,
                     rope_parameters={"rope_type": "default", "rope_theta": 100000.0})),
    dict(name="tinyllama_shaped_f32", family="llama", dtype="float32", T=16, P=5,
         config=dict(hidden_size=64, intermediate_size=176, num_hidden_layers=3, num_attention_heads=8,
                     num_key_value_heads=2, head_dim=8, tie_word_embeddings=False)),
]

# Copies of a case whose config.json is in the transformers-4 dialect (rope_theta + rope_scaling,
# torch_dtype); "legacy_type": the older spelling {"type": "linear", ...} of rope_scaling.
DIALECT4 = [
    ("llama3_rope_gqa4_tied", "dialect4"),
    ("llama_rope_linear2", "dialect4"),
    ("llama_rope_linear2", "dialect4_legacy_type"),
    ("qwen3_bf16_tied_hd32", "dialect4"),
]


def _zero(tensor_name: str):
    def edit(weights: dict, config: dict) -> None:
        weights[tensor_name] = torch.zeros_like(weights[tensor_name])
    return edit


def _ones(tensor_name: str):
    def edit(weights: dict, config: dict) -> None:
        weights[tensor_name] = torch.ones_like(weights[tensor_name])
    return edit


def _config(**changes):
    def edit(weights: dict, config: dict) -> None:
        config.update(changes)
    return edit


# Each ablation changes one weight or one config key of a case; its logits (its own expected) must
# differ from the base case's, which proves the base case exercises that part.
ABLATIONS = [
    ("qwen2_f32_untied_gqa4", "zero_q_bias", _zero("model.layers.0.self_attn.q_proj.bias")),
    ("qwen2_f32_untied_gqa4", "zero_v_bias", _zero("model.layers.1.self_attn.v_proj.bias")),
    ("llama_f32_attn_mlp_bias", "zero_o_bias", _zero("model.layers.0.self_attn.o_proj.bias")),
    ("llama_f32_attn_mlp_bias", "zero_down_bias", _zero("model.layers.1.mlp.down_proj.bias")),
    ("qwen3_f32_untied_hd24_gqa4", "unit_q_norm", _ones("model.layers.0.self_attn.q_norm.weight")),
    ("qwen3_f32_untied_hd24_gqa4", "unit_k_norm", _ones("model.layers.1.self_attn.k_norm.weight")),
    ("mistral_f32_window4", "no_window", _config(sliding_window=None)),
    ("llama3_rope_gqa4_tied", "no_scaling", _config(rope_parameters={"rope_type": "default", "rope_theta": 500000.0})),
    ("llama3_rope_gqa4_tied", "theta_10000", _config(rope_parameters={"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0,
                                                                      "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                                                      "original_max_position_embeddings": 32})),
    ("llama_rope_linear2", "no_scaling", _config(rope_parameters={"rope_type": "default", "rope_theta": 10000.0})),
]


def case_list() -> list[dict]:
    """Every folder the script writes, with what a test needs to know before running it."""
    out = []
    for c in CASES:
        out.append({"name": c["name"], "family": c["family"], "kind": "case", "base": None})
    for base, what in DIALECT4:
        out.append({"name": f"{base}_{what}", "family": _family(base), "kind": "dialect4", "base": base})
    for base, what, _ in ABLATIONS:
        out.append({"name": f"{base}__{what}", "family": _family(base), "kind": "ablation", "base": base})
    return out


def _family(name: str) -> str:
    return next(c["family"] for c in CASES if c["name"] == name)


if __name__ == "__main__" and sys.argv[1:] == ["--list"]:
    # Cheap (no torch): the test collects its cases from this before the models exist.
    print(json.dumps(case_list()))
    sys.exit(0)

import torch  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402
from transformers import (  # noqa: E402
    LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM,
    Qwen2Config, Qwen2ForCausalLM, Qwen3Config, Qwen3ForCausalLM,
)

sys.path.insert(0, str(REPO / "reference"))
import tokenizers_gen  # noqa: E402  (the fixtures' 300-id GPT-2 style byte-level BPE)

torch.set_num_threads(2)
FAMILIES = {
    "llama": (LlamaConfig, LlamaForCausalLM),
    "mistral": (MistralConfig, MistralForCausalLM),
    "qwen2": (Qwen2Config, Qwen2ForCausalLM),
    "qwen3": (Qwen3Config, Qwen3ForCausalLM),
}
TOKENIZER = tokenizers_gen.byte_level_bpe()


def init_weights(model: torch.nn.Module, seed: int) -> None:
    """Large enough that every part moves the logits, small enough that the logits stay near 10 (the
    1e-4 tolerance is absolute): linears N(0, 1/fan_in), norm weights 1 + N(0, 0.5), biases
    N(0, 0.5), embeddings and LM head N(0, 9/D) (tied or not)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("embed_tokens.weight"):
                p.copy_(torch.randn(p.shape, generator=g) * 3.0 / p.shape[1] ** 0.5)
            elif name == "lm_head.weight":
                p.copy_(torch.randn(p.shape, generator=g) * 3.0 / p.shape[1] ** 0.5)
            elif "norm" in name:
                p.copy_(1.0 + 0.5 * torch.randn(p.shape, generator=g))
            elif name.endswith(".bias"):
                p.copy_(0.5 * torch.randn(p.shape, generator=g))
            elif p.dim() == 2:
                p.copy_(torch.randn(p.shape, generator=g) * 1.0 / p.shape[1] ** 0.5)
            else:
                raise AssertionError(f"no init rule for {name} {tuple(p.shape)}")


def load_f32(family: str, folder: Path):
    cls = FAMILIES[family][1]
    model = cls.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager")
    model.eval()
    assert all(p.dtype == torch.float32 for p in model.parameters())
    return model


@torch.no_grad()
def full_logits(model, tokens: list[int]) -> torch.Tensor:
    ids = torch.tensor([tokens])
    return model(input_ids=ids, use_cache=False).logits[0].float()


@torch.no_grad()
def incremental_logits(model, tokens: list[int], P: int) -> torch.Tensor:
    """Prefill P tokens (P >= 1) then decode one at a time: rows for positions P-1..T-1."""
    out = model(input_ids=torch.tensor([tokens[:P]]), use_cache=True)
    past = out.past_key_values
    rows = [out.logits[0, -1].float()]
    for p in range(P, len(tokens)):
        out = model(input_ids=torch.tensor([[tokens[p]]]), past_key_values=past, use_cache=True)
        past = out.past_key_values
        rows.append(out.logits[0, -1].float())
    return torch.stack(rows)


def write_tokenizer(folder: Path) -> None:
    (folder / "tokenizer.json").write_text(json.dumps(TOKENIZER, ensure_ascii=False, indent=1))
    (folder / "tokenizer_config.json").write_text(json.dumps({"bos_token": "<s>", "eos_token": "</s>"}))


def to_dialect4(config: dict, legacy_type: bool) -> dict:
    """transformers 5's rope_parameters -> transformers 4's rope_theta + rope_scaling."""
    c = copy.deepcopy(config)
    rp = c.pop("rope_parameters")
    c["rope_theta"] = rp.pop("rope_theta")
    if rp.get("rope_type", "default") == "default":
        c["rope_scaling"] = None
    else:
        if legacy_type:
            rp["type"] = rp.pop("rope_type")
        c["rope_scaling"] = rp
    if "dtype" in c:
        c["torch_dtype"] = c.pop("dtype")
    c["transformers_version"] = "4.46.0"
    return c


def save_expected(folder: Path, record: dict) -> None:
    (folder / "expected.json").write_text(json.dumps(record, separators=(",", ":")))


def check_and_record(name: str, family: str, folder: Path, tokens: list[int], P: int, extra: dict) -> tuple[dict, torch.Tensor]:
    model = load_f32(family, folder)
    full = full_logits(model, tokens)
    assert full.shape == (len(tokens), V), full.shape
    worst_inc = 0.0
    for prefill in sorted({1, max(P, 1), len(tokens)}):
        inc = incremental_logits(model, tokens, prefill)
        worst_inc = max(worst_inc, (inc - full[prefill - 1:]).abs().max().item())
    if not worst_inc <= ORACLE_TOL:
        raise AssertionError(f"{name}: transformers' incremental decode differs from its full forward by {worst_inc}")
    config = json.loads((folder / "config.json").read_text())
    rope = config.get("rope_parameters") or config.get("rope_scaling") or {"rope_type": "default"}
    extra = {**extra, "tied": bool(config.get("tie_word_embeddings")), "heads": config["num_attention_heads"],
             "kv_heads": config["num_key_value_heads"], "rope_type": rope.get("rope_type", rope.get("type")),
             "rope_theta": config.get("rope_theta", rope.get("rope_theta")), "sliding_window": config.get("sliding_window")}
    record = {"name": name, "family": family, "tokens": tokens, "prefill": P,
              "logits": full.tolist(), "incremental_max_error": worst_inc,
              "max_abs_logit": full.abs().max().item(), **extra}
    save_expected(folder, record)
    return record, full


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: hf_models.py OUT")
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    manifest = []
    fulls: dict[str, torch.Tensor] = {}
    specs: dict[str, dict] = {}

    for seed, case in enumerate(CASES, start=1):
        name, family = case["name"], case["family"]
        config_cls, model_cls = FAMILIES[family]
        kwargs = {**COMMON, **case["config"]}
        torch.manual_seed(seed)
        model = model_cls(config_cls(**kwargs))
        init_weights(model, seed)
        model = model.to(getattr(torch, case["dtype"]))
        folder = out / name
        if folder.exists():
            shutil.rmtree(folder)
        model.save_pretrained(folder, safe_serialization=True)
        write_tokenizer(folder)
        g = torch.Generator().manual_seed(1000 + seed)
        tokens = torch.randint(0, V, (case["T"],), generator=g).tolist()
        extra = {"dtype": case["dtype"], "ablation_of": None}
        record, full = check_and_record(name, family, folder, tokens, case["P"], extra)
        fulls[name] = full
        specs[name] = {"family": family, "tokens": tokens, "P": case["P"], "extra": extra}
        manifest.append({k: v for k, v in record.items() if k != "logits"})

    # transformers-4 dialect copies: same weights, same logits.
    for base, what in DIALECT4:
        name = f"{base}_{what}"
        src, folder = out / base, out / name
        if folder.exists():
            shutil.rmtree(folder)
        shutil.copytree(src, folder)
        config = json.loads((src / "config.json").read_text())
        (folder / "config.json").write_text(json.dumps(to_dialect4(config, what.endswith("legacy_type")), indent=2))
        s = specs[base]
        record, full = check_and_record(name, s["family"], folder, s["tokens"], s["P"], {**s["extra"], "dialect_of": base})
        diff = (full - fulls[base]).abs().max().item()
        if not diff <= ORACLE_TOL:
            raise AssertionError(f"{name}: transformers reads the transformers-4 config to logits {diff} away from the transformers-5 one")
        manifest.append({k: v for k, v in record.items() if k != "logits"})

    # Ablations: one weight or one config key changed; must move the logits.
    for base, what, edit in ABLATIONS:
        name = f"{base}__{what}"
        src, folder = out / base, out / name
        if folder.exists():
            shutil.rmtree(folder)
        shutil.copytree(src, folder)
        (folder / "expected.json").unlink()
        weights = load_file(str(src / "model.safetensors"))
        config = json.loads((src / "config.json").read_text())
        edit(weights, config)
        save_file(weights, str(folder / "model.safetensors"), metadata={"format": "pt"})
        (folder / "config.json").write_text(json.dumps(config, indent=2))
        s = specs[base]
        record, full = check_and_record(name, s["family"], folder, s["tokens"], s["P"], {**s["extra"], "ablation_of": base})
        distance = (full - fulls[base]).abs().max().item()
        if not distance > ABLATION_MIN:
            raise AssertionError(f"{name}: the ablation moves the logits by only {distance}")
        record["ablation_distance"] = distance
        save_expected(folder, record)
        manifest.append({k: v for k, v in record.items() if k != "logits"})

    assert [m["name"] for m in manifest] == [c["name"] for c in case_list()]
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    for m in manifest:
        print(f"{m['name']:48s} T={len(m['tokens']):2d} P={m['prefill']:2d} incremental {m['incremental_max_error']:.1e}"
              f" max|logit| {m['max_abs_logit']:6.2f}" + (f" ablation moves {m['ablation_distance']:.2f}" if "ablation_distance" in m else ""))


if __name__ == "__main__":
    main()
