"""Export: what save_model / `python -m colm_torch.export` write loads in the engine with equal logits."""

from __future__ import annotations

import json
import os
import pytest
import torch

from conftest import engine_logits, random_model, tiny_config
from colm_torch.checkpoint_io import load_model, save_model
from colm_torch.export import load_run, main as export_main

TOKENS = [296, 5, 9, 200, 3, 7, 11, 42, 17, 250]

MODELS = {
    "air": dict(chains=[1, 1, 1], kv_sharing=True, num_key_value_heads=2),
    "plain_121": dict(chains=[1, 2, 1], num_attention_heads=8, num_key_value_heads=4, head_dim=6,
                      attention_bias=True, mlp_bias=True),
}


def write_run(run_dir, model, tokenizer_text, step=None):
    """A RUN_DIR as the trainer writes it: config.json, tokenizer.json, run.json, checkpoints/step_N (DCP)."""
    import torch.distributed.checkpoint as dcp
    os.makedirs(run_dir, exist_ok=True)
    with open(os.path.join(run_dir, "config.json"), "w") as f:
        json.dump(model.config.to_dict(), f)
    with open(os.path.join(run_dir, "tokenizer.json"), "w") as f:
        f.write(tokenizer_text)
    with open(os.path.join(run_dir, "run.json"), "w") as f:
        json.dump({}, f)
    if step is not None:
        dcp.save({"model": model.state_dict(), "step": step}, checkpoint_id=os.path.join(run_dir, "checkpoints", f"step_{step}"))


@pytest.mark.parametrize("name", sorted(MODELS))
def test_engine_logits_equal_pytorch(name, tmp_path, tokenizer_text, needs_engine):
    model = random_model(tiny_config(**MODELS[name]), seed=3, std=0.15)
    single = save_model(model, str(tmp_path / "m.safetensors"), {"tokenizer": tokenizer_text})
    folder = save_model(model, str(tmp_path / "folder"), {"tokenizer": tokenizer_text})
    ids = torch.tensor([TOKENS])
    worst = 0.0
    with torch.no_grad():
        ours = model(ids, list(range(1, model.n_chains + 1)))
    for k in range(1, model.n_chains + 1):
        for path in (single, folder) if k == model.n_chains else (single,):
            worst = max(worst, (engine_logits(path, TOKENS, k) - ours[k][0].double()).abs().max().item())
    print(f"{name}: max |engine - pytorch| = {worst:.2e}")
    assert worst <= 1e-4


def test_export_run_dir_from_dcp_checkpoint(tmp_path, tokenizer_text, needs_engine):
    """RUN_DIR/checkpoints/step_N (DCP) -> export -> engine logits, every k; latest step wins."""
    run = str(tmp_path / "run")
    old = random_model(tiny_config(**MODELS["air"]), seed=4, std=0.15)
    model = random_model(tiny_config(**MODELS["air"]), seed=5, std=0.15)
    write_run(run, old, tokenizer_text, step=10)
    write_run(run, model, tokenizer_text, step=20)
    loaded = load_run(run)
    for a, b in zip(loaded.state_dict().values(), model.state_dict().values()):
        assert torch.equal(a, b)
    assert torch.equal(load_run(run, step=10).embed.chunks[0], old.embed.chunks[0])
    out = str(tmp_path / "exported.safetensors")
    assert export_main([run, "--out", out]) == 0          # what `python -m colm_torch.export` runs
    ids = torch.tensor([TOKENS])
    with torch.no_grad():
        ours = model(ids, [1, 2, 3])
    for k in (1, 2, 3):
        assert (engine_logits(out, TOKENS, k) - ours[k][0].double()).abs().max().item() <= 1e-4


def test_export_bf16_and_bad_step(tmp_path, tokenizer_text):
    run = str(tmp_path / "run")
    model = random_model(tiny_config(), seed=6)
    write_run(run, model, tokenizer_text, step=1)
    out = str(tmp_path / "bf16")
    assert export_main([run, "--out", out, "--dtype", "bfloat16"]) == 0
    back, extras = load_model(out)
    assert extras["tokenizer"] == tokenizer_text
    assert torch.equal(back.embed.chunks[1], model.embed.chunks[1].to(torch.bfloat16).float())
    assert export_main([run, "--out", out, "--step", "7"]) == 1


def test_export_run_without_checkpoint_uses_init(tmp_path, tokenizer_text):
    run = str(tmp_path / "run")
    model = random_model(tiny_config(), seed=7)
    write_run(run, model, tokenizer_text)
    save_model(model, os.path.join(run, "init", "model.safetensors"), {"tokenizer": tokenizer_text})
    loaded = load_run(run)
    assert torch.equal(loaded.layers[1].mlp.down_proj.weights[2], model.layers[1].mlp.down_proj.weights[2])
