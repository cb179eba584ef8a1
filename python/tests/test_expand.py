"""Chain expansion: the grown model starts as its base exactly, in PyTorch and in the engine."""

from __future__ import annotations

import json
import os

import pytest
import torch

from conftest import FIXTURE_MODELS, engine_logits, engine_missing, random_model, tiny_config
from colm_torch.checkpoint_io import load_model, save_model
from colm_torch.expand import ExpandError, expand, grow_config, main as expand_main
from colm_torch.export import load_run

TOKENS = [1, 5, 9, 200, 3, 7, 11, 42, 17, 250]


def hf_llama(tmp_path, tie: bool):
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    cfg = transformers.LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                                   num_key_value_heads=2, vocab_size=300, max_position_embeddings=64,
                                   tie_word_embeddings=tie, bos_token_id=296, eos_token_id=297)
    hf = transformers.LlamaForCausalLM(cfg)
    with torch.no_grad():
        for name, p in hf.named_parameters():
            if "norm" in name:
                p.add_(0.3 * torch.randn_like(p))
            else:
                p.normal_(0.0, 0.15)
    path = tmp_path / "hf"
    hf.save_pretrained(str(path))
    with open(os.path.join(FIXTURE_MODELS, "llama_gqa", "tokenizer.json")) as src, open(path / "tokenizer.json", "w") as dst:
        dst.write(src.read())
    return str(path)


def check_exact_start(base, grown, run_dir=None, engine_ks=()):
    """Old sub-models unchanged; the new top sub-model gives the base's full logits; the engine agrees."""
    ids = torch.tensor([TOKENS])
    n, m = base.n_chains, grown.n_chains
    with torch.no_grad():
        b = base(ids, list(range(1, n + 1)))
        g = grown(ids, list(range(1, m + 1)))
        top_alone = grown.forward_k(ids, m)
    worst = 0.0
    for k in range(1, n + 1):
        worst = max(worst, (g[k] - b[k]).abs().max().item())
    for k in range(n + 1, m + 1):
        worst = max(worst, (g[k] - b[n]).abs().max().item(), (top_alone - b[n]).abs().max().item())
    assert worst <= 1e-5, worst
    eng = 0.0
    for k in engine_ks:
        expected = b[min(k, n)][0].double()
        eng = max(eng, (engine_logits(os.path.join(run_dir, "init", "model.safetensors"), TOKENS, k) - expected).abs().max().item())
    assert eng <= 1e-4, eng
    return worst, eng


@pytest.mark.parametrize("tie, kv_sharing, add", [(True, False, [1]), (False, True, [1, 1])],
                         ids=["tied_plain_gqa", "air_from_dense"])
def test_expand_hf_llama(tmp_path, tie, kv_sharing, add):
    base_dir = hf_llama(tmp_path, tie)
    run = str(tmp_path / "run")
    args = [base_dir, "--add-chains", *map(str, add), "--out", run, "--seed", "3"] + (["--kv-sharing"] if kv_sharing else [])
    assert expand_main(args) == 0
    base, _ = load_model(base_dir)
    grown = load_run(run)                      # no checkpoint yet: init/model.safetensors
    assert grown.config.chains == [1, *add] and grown.config.kv_sharing == kv_sharing
    with open(os.path.join(run, "run.json")) as f:
        assert json.load(f) == {"freeze_chains": 1}
    assert os.path.exists(os.path.join(run, "tokenizer.json"))
    ks = range(1, grown.n_chains + 1) if engine_missing() is None else ()
    worst, eng = check_exact_start(base, grown, run, ks)
    print(f"expand {tie=} {kv_sharing=}: max |grown - base| {worst:.1e}, engine {eng:.1e}")
    # the new chain is really there: training it changes the top sub-model only
    with torch.no_grad():
        grown.lm_head.chunks[-1].normal_() if grown.lm_head is not None else grown.embed.chunks[-1].normal_()
        ids = torch.tensor([TOKENS])
        assert (grown.forward_k(ids, grown.n_chains) - base.forward_k(ids, 1)).abs().max() > 1e-3
        assert (grown.forward_k(ids, 1) - base.forward_k(ids, 1)).abs().max() <= 1e-5


@pytest.mark.parametrize("fixture, ratio", [("qwen2_chained", 1), ("qwen3_air.safetensors", 2), ("mistral_window", 1)])
def test_expand_format_fixtures_with_biases_qk_norm_windows(tmp_path, fixture, ratio):
    base_path = os.path.join(FIXTURE_MODELS, fixture)
    base, extras = load_model(base_path)
    grown = expand(base, [ratio], seed=1)
    run = str(tmp_path / "run")
    from colm_torch.expand import write_run
    write_run(grown, extras, run, base.n_chains, {"base": base_path})
    ks = [base.n_chains, grown.n_chains] if engine_missing() is None else ()
    check_exact_start(base, grown, run, ks)


def test_expand_refuses_by_name():
    with pytest.raises(ExpandError) as e:                     # 2 heads * 1/4 is not whole
        grow_config(tiny_config(chains=[2, 2], num_attention_heads=2, num_key_value_heads=2, head_dim=24), 1)
    assert e.value.key == "num_attention_heads" and "smallest ratio that fits is 2" in str(e.value)
    air = tiny_config(chains=[2, 2], kv_sharing=True, num_attention_heads=4, num_key_value_heads=2, head_dim=12)
    with pytest.raises(ExpandError) as e:                     # 1 new head is not a multiple of h_kv 2
        grow_config(air, 1)
    assert e.value.key == "num_key_value_heads"
    assert grow_config(air, 2).chains == [2, 2, 2]
    with pytest.raises(ExpandError) as e:
        expand(random_model(tiny_config()), [1], kv_sharing=True)
    assert e.value.key == "kv_sharing"


def test_expand_is_deterministic_and_keeps_old_blocks(tmp_path):
    base = random_model(tiny_config(chains=[1, 1], hidden_size=24, intermediate_size=48, num_attention_heads=4,
                                    num_key_value_heads=2, head_dim=6))
    a = expand(base, [1], seed=5)
    b = expand(base, [1], seed=5)
    for (na, pa), (nb, pb) in zip(a.named_parameters(), b.named_parameters()):
        assert na == nb and torch.equal(pa, pb)
    assert torch.equal(a.layers[0].self_attn.q_proj.weights[1], base.layers[0].self_attn.q_proj.weights[1])
    assert not a.lm_head.chunks[2].any() and a.embed.chunks[2].any()
    assert a.config.num_key_value_heads == 3 and a.config.hidden_size == 36


def test_expand_gguf_base(tmp_path, needs_engine):
    """A .gguf base (llama.cpp layout, q/k rows permuted) goes through the engine's `colm convert` first."""
    import importlib.util
    import sys
    import numpy as np
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("gguf")
    from conftest import REPO_ROOT
    spec = importlib.util.spec_from_file_location("gguf_models", os.path.join(REPO_ROOT, "test", "python", "gguf_models.py"))
    gm = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gguf_models", gm)
    spec.loader.exec_module(gm)
    case = dict(gm.CASES[0])                                    # llama, F32, GQA
    hf = gm.make_hf(case, torch, transformers)
    path = tmp_path / "base.gguf"
    gm.write_gguf(path, case, hf, np, torch)
    run = str(tmp_path / "run")
    assert expand_main([str(path), "--add-chains", "1", "--out", run]) == 0
    grown = load_run(run)
    tokens = [t % hf.config.vocab_size for t in TOKENS]
    ids = torch.tensor([tokens])
    with torch.no_grad():
        expected = hf(ids).logits[0]
        assert (grown.forward_k(ids, 2)[0] - expected).abs().max().item() <= 1e-4
        assert (grown.forward_k(ids, 1)[0] - expected).abs().max().item() <= 1e-4
