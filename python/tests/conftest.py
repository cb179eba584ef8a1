"""Shared helpers of the colm_torch tests: paths, a tiny tokenizer, tiny configs, the engine's logits.

Works from python/ (`python -m pytest tests`) and from the repository root (`python -m pytest python/tests`).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys

import pytest

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_ROOT = os.path.dirname(PYTHON_DIR)
if PYTHON_DIR not in sys.path:
    sys.path.insert(0, PYTHON_DIR)

FIXTURE_MODELS = os.path.join(REPO_ROOT, "test", "fixtures", "models")
TOKENIZER_JSON = os.path.join(FIXTURE_MODELS, "llama_gqa", "tokenizer.json")   # byte-level BPE, 300 ids
ENGINE_CLI = os.path.join(REPO_ROOT, "bin", "colm.js")


def tiny_config(**overrides):
    """A CoLM small enough for two shared CPU cores: D 48, 2 layers, V 300."""
    from colm_torch.config import ColmConfig
    base = dict(model_type="colm", hidden_size=48, intermediate_size=96, num_hidden_layers=2, vocab_size=300,
                num_attention_heads=6, num_key_value_heads=6, head_dim=8, chains=[1, 1, 1], kv_sharing=False,
                max_position_embeddings=128, bos_token_id=296, eos_token_id=297)
    base.update(overrides)
    return ColmConfig(**base)


def random_model(config, seed: int = 0, std: float = 0.2):
    """A model with every parameter random (norms and biases too), so no part can hide."""
    import torch
    from colm_torch.model import ColmForCausalLM
    torch.manual_seed(seed)
    model = ColmForCausalLM(config)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                p.copy_(1.0 + 0.3 * torch.randn_like(p))
            else:
                p.copy_(std * torch.randn_like(p))
    return model.eval()


@pytest.fixture
def tokenizer_text() -> str:
    with open(TOKENIZER_JSON, encoding="utf-8") as f:
        return f.read()


def load_reference():
    """reference/colm_ref.py (independent float64 implementation of FORMAT.md), imported by path."""
    if "colm_ref" in sys.modules:
        return sys.modules["colm_ref"]
    spec = importlib.util.spec_from_file_location("colm_ref", os.path.join(REPO_ROOT, "reference", "colm_ref.py"))
    mod = importlib.util.module_from_spec(spec)
    sys.modules["colm_ref"] = mod
    spec.loader.exec_module(mod)
    return mod


def engine_missing() -> str | None:
    """Why the engine's CLI cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not os.path.exists(os.path.join(REPO_ROOT, "dist")):
        return "the engine is not built (npm run build)"
    return None


def engine_logits(model_path: str, tokens: list[int], k: int):
    """`colm logits MODEL --tokens ... --chains k --kv-type f32` as a float64 tensor [T, V] (a
    float32 KV cache: the comparisons are at 1e-4, the default BF16 cache adds more than that)."""
    import torch
    res = subprocess.run(["node", ENGINE_CLI, "logits", model_path, "--tokens", ",".join(map(str, tokens)),
                          "--chains", str(k), "--kv-type", "f32"], capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)
    assert res.returncode == 0, f"colm logits failed: {res.stderr.strip()}"
    return torch.tensor(json.loads(res.stdout)["logits"], dtype=torch.float64)


@pytest.fixture
def needs_engine():
    why = engine_missing()
    if why:
        pytest.skip(f"engine check skipped: {why}")
