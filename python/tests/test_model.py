"""The PyTorch CoLM against FORMAT.md: nested sub-models, the float64 reference, transformers."""

from __future__ import annotations

import glob
import json
import os

import pytest
import torch

from conftest import FIXTURE_MODELS, load_reference, random_model, tiny_config
from colm_torch.checkpoint_io import CheckpointError, load_model, save_model
from colm_torch.config import ColmConfig, ConfigError

TOKENS = [1, 5, 9, 200, 3, 7, 11, 42, 17, 250, 64, 2]

VARIANTS = {
    "plain_121": dict(chains=[1, 2, 1], num_attention_heads=8, num_key_value_heads=8, head_dim=6),
    "plain_gqa": dict(num_key_value_heads=3),
    "air": dict(kv_sharing=True, num_key_value_heads=2),
    "air_mqa": dict(kv_sharing=True, num_key_value_heads=1, tie_word_embeddings=True),
    "biases": dict(attention_bias=True, mlp_bias=True, kv_sharing=True, num_key_value_heads=2),
    "qwen2_bias": dict(model_type="qwen2", num_key_value_heads=3),
    "qwen3_qk_norm": dict(model_type="qwen3", kv_sharing=True, num_key_value_heads=2),
    "window": dict(sliding_window=4, num_key_value_heads=3),
    "llama3_rope": dict(rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                      "high_freq_factor": 4.0, "original_max_position_embeddings": 16}),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_one_pass_equals_each_sub_model_alone(name):
    """forward(ks) (one trunk pass at full width) == forward_k(k) (only chains 1..k computed)."""
    model = random_model(tiny_config(**VARIANTS[name]))
    n = model.n_chains
    ids = torch.tensor([TOKENS, TOKENS[::-1]])
    with torch.no_grad():
        together = model(ids, list(range(1, n + 1)))
        full_hidden = model.trunk(ids, n)
        for k in range(1, n + 1):
            alone = model.forward_k(ids, k)
            assert (together[k] - alone).abs().max().item() < 2e-5, k
            d = model.config.cum_hidden[k]
            assert (model.trunk(ids, k) - full_hidden[..., :d]).abs().max().item() < 2e-5, k


@pytest.mark.parametrize("name", ["plain_121", "biases", "qwen3_qk_norm"])
def test_random_model_matches_reference(name, tmp_path, tokenizer_text):
    """save_model (per chain and whole) -> the float64 reference gives the same logits; load_model round-trips."""
    ref = load_reference()
    model = random_model(tiny_config(**VARIANTS[name]), seed=1)
    ids = torch.tensor([TOKENS])
    for per_chain, path in ((True, tmp_path / "m.safetensors"), (False, tmp_path / "whole")):
        save_model(model, str(path), {"tokenizer": tokenizer_text}, per_chain=per_chain)
        r = ref.load_model(str(path))
        back, extras = load_model(str(path))
        assert extras["tokenizer"] == tokenizer_text
        with torch.no_grad():
            for k in range(1, model.n_chains + 1):
                ours = model.forward_k(ids, k)[0].double()
                assert (ours - r.forward(TOKENS, k)["logits"]).abs().max().item() < 1e-4
                assert torch.equal(back.forward_k(ids, k)[0], model.forward_k(ids, k)[0])


FIXTURES = sorted(glob.glob(os.path.join(FIXTURE_MODELS, "*")))


@pytest.mark.parametrize("path", FIXTURES, ids=[os.path.basename(p) for p in FIXTURES])
def test_fixture_logits_equal_reference(path):
    """Every FORMAT.md fixture (Air, plain, GQA, biases, qk-norm, windows, linear RoPE, F16/BF16, whole, sharded)."""
    ref = load_reference().load_model(path)
    model, _ = load_model(path)
    n = model.n_chains
    ids = torch.tensor([TOKENS])
    with torch.no_grad():
        together = model(ids, list(range(1, n + 1)))
        for k in range(1, n + 1):
            expected = ref.forward(TOKENS, k)["logits"]
            assert (together[k][0].double() - expected).abs().max().item() < 1e-4, k


def test_chain_parameters_partition_and_freezing():
    model = random_model(tiny_config(**VARIANTS["biases"]))
    n = model.n_chains
    owned = [set(map(id, model.chain_parameters(i))) for i in range(n)]
    everything = set(map(id, model.parameters()))
    assert set().union(*owned) == everything
    assert sum(len(s) for s in owned) == len(everything)          # each parameter in exactly one chain
    # chain 1's logits never depend on later chains
    ids = torch.tensor([TOKENS])
    model.forward_k(ids, 1).square().mean().backward()
    for i in range(1, n):
        assert all(p.grad is None or not p.grad.any() for p in model.chain_parameters(i))
    model.zero_grad(set_to_none=True)
    model.freeze_chains(1)
    model(ids, [1, 2, 3])[3].square().mean().backward()
    assert all(p.grad is None for p in model.chain_parameters(0))
    assert any(p.grad is not None and p.grad.any() for p in model.chain_parameters(2))


def test_bfloat16_forward_close_to_float32():
    model = random_model(tiny_config(**VARIANTS["air"]), std=0.1)
    ids = torch.tensor([TOKENS])
    with torch.no_grad():
        ref = model(ids, [1, 3])
        low = model.to(torch.bfloat16)(ids, [1, 3])
    for k in (1, 3):
        assert low[k].dtype == torch.float32
        assert (low[k] - ref[k]).abs().max().item() < 0.1


# ---------------------------------------------------------------------------------------------
# config.json
# ---------------------------------------------------------------------------------------------

def test_config_round_trip_and_dialects():
    cfg = tiny_config(**VARIANTS["llama3_rope"])
    assert ColmConfig.from_dict(cfg.to_dict()) == cfg
    d = cfg.to_dict()
    scaling = d.pop("rope_scaling")
    d["rope_parameters"] = {"rope_theta": d.pop("rope_theta"), **scaling}
    assert ColmConfig.from_dict(d) == cfg
    d["rope_parameters"] = {"rope_theta": 10000.0, "rope_type": "default"}
    assert ColmConfig.from_dict(d).rope_scaling is None
    assert cfg.cum_hidden == [0, 16, 32, 48] and cfg.cum_heads == [0, 2, 4, 6] and cfg.cum_ffn == [0, 32, 64, 96]
    air = tiny_config(**VARIANTS["air"])
    assert air.cum_kv_heads == [0, 2, 2, 2]


@pytest.mark.parametrize("change, key", [
    ({"partial_rotary_factor": 0.5}, "partial_rotary_factor"),
    ({"attn_logit_softcapping": 30.0}, "attn_logit_softcapping"),
    ({"rope_scaling": {"rope_type": "yarn", "factor": 4.0}}, "rope_scaling"),
    ({"rope_parameters": {"rope_type": "linear", "factor": 2.0, "attention_factor": 1.0}}, "rope_parameters.attention_factor"),
    ({"chains": [1, 1, 2], "hidden_size": 50}, "chains"),
    ({"kv_sharing": True, "num_key_value_heads": 4}, "num_key_value_heads"),
    ({"hidden_act": "gelu"}, "hidden_act"),
    ({"mlp_bias": True, "model_type": "mistral"}, "mlp_bias"),
])
def test_config_refuses_by_name(change, key):
    d = tiny_config().to_dict()
    d.update(change)
    with pytest.raises(ConfigError) as e:
        ColmConfig.from_dict(d)
    assert e.value.key == key


def test_loader_refuses_nonzero_outside_mask(tmp_path, tokenizer_text):
    from safetensors.torch import load_file, save_file
    model = random_model(tiny_config())
    save_model(model, str(tmp_path / "m"), {"tokenizer": tokenizer_text}, per_chain=False)
    f = tmp_path / "m" / "model.safetensors"
    T = load_file(str(f))
    T["model.layers.1.mlp.up_proj.weight"][0, -1] = 1.0
    save_file(T, str(f))
    with pytest.raises(CheckpointError, match="model.layers.1.mlp.up_proj.weight.*outside"):
        load_model(str(tmp_path / "m"))
    del T["model.layers.1.mlp.up_proj.weight"]
    save_file(T, str(f))
    with pytest.raises(CheckpointError, match="missing tensor model.layers.1.mlp.up_proj.weight"):
        load_model(str(tmp_path / "m"))


# ---------------------------------------------------------------------------------------------
# Hugging Face folders made by transformers
# ---------------------------------------------------------------------------------------------

HF_CASES = {
    "llama": ("LlamaConfig", "LlamaForCausalLM", dict(num_key_value_heads=2, tie_word_embeddings=True,
                                                      rope_scaling={"rope_type": "linear", "factor": 2.0})),
    "qwen3": ("Qwen3Config", "Qwen3ForCausalLM", dict(num_key_value_heads=2, head_dim=16)),
    "qwen2": ("Qwen2Config", "Qwen2ForCausalLM", dict(num_key_value_heads=2)),
    "mistral": ("MistralConfig", "MistralForCausalLM", dict(num_key_value_heads=2, sliding_window=5)),
}


@pytest.mark.parametrize("family", sorted(HF_CASES))
def test_hf_folder_gives_transformers_logits(family, tmp_path):
    transformers = pytest.importorskip("transformers")
    cfg_name, cls_name, extra = HF_CASES[family]
    torch.manual_seed(0)
    cfg = getattr(transformers, cfg_name)(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                          num_attention_heads=4, vocab_size=300, max_position_embeddings=64,
                                          **extra)
    hf = getattr(transformers, cls_name)(cfg).eval()
    with torch.no_grad():  # transformers' init (std 0.02, norms 1, biases 0) would hide errors
        for name, p in hf.named_parameters():
            if "norm" in name or name.endswith(".bias"):
                p.add_(0.3 * torch.randn_like(p))
            else:
                p.normal_(0.0, 0.15)
    hf.save_pretrained(str(tmp_path))
    model, _ = load_model(str(tmp_path))
    ids = torch.tensor([TOKENS])
    with torch.no_grad():
        expected = hf(ids).logits[0]
        ours = model.forward_k(ids, 1)[0]
    assert (ours - expected).abs().max().item() < 1e-4
