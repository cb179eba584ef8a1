"""The training loop: two processes under torchrun (FSDP2 on gloo) lower the loss and resume exactly;
a frozen chain stays bit-identical; the multi-chain loss is the weighted sum the config asks for."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

from conftest import PYTHON_DIR, REPO_ROOT, TOKENIZER_JSON
from colm_torch import train as train_mod
from colm_torch.run_config import RunConfig

MODEL = {"model_type": "colm", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 300, "chains": [1, 1],
         "kv_sharing": True, "max_position_embeddings": 64, "eos_token_id": 297}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("corpus")
    with open(os.path.join(REPO_ROOT, "docs", "API.md"), encoding="utf-8") as f:
        text = f.read()
    (d / "a.txt").write_text(text[:20000])
    return str(d)


def run_config(tmp_path, corpus, name="run", **train):
    t = {"batch": 8, "steps": 12, "checkpoint_every": 6, "log_every": 1, "peak_flops": 1e11}
    t.update(train)
    d = {"out": str(tmp_path / name), "seed": 0, "model": MODEL,
         "data": {"tokenizer": TOKENIZER_JSON, "corpus": [corpus], "seq_len": 32},
         "optim": {"lr": 0.01, "warmup": 3, "min_lr_ratio": 0.1, "weight_decay": 0.1, "clip": 1.0},
         "train": t}
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(d))
    return str(path)


def read_log(run_dir):
    with open(os.path.join(run_dir, "log.jsonl")) as f:
        return [json.loads(line) for line in f if line.strip()]


def torchrun(config, *extra):
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "colm_torch.train", "--config", config, *extra]
    # own session, so a timeout can end the workers too, not only torchrun
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=REPO_ROOT, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail("torchrun timed out:\n" + out[-3000:] + err[-3000:])
    assert proc.returncode == 0, out[-3000:] + err[-3000:]
    return out


def strip_times(recs):
    return [{k: v for k, v in r.items() if k not in ("tok_s", "mfu", "elapsed_s")} for r in recs]


def test_two_processes_fsdp2_lower_the_loss_and_resume_exactly(tmp_path, corpus):
    cfg = run_config(tmp_path, corpus, steps=12, checkpoint_every=6)
    out = torchrun(cfg)
    assert "world 2 on cpu" in out
    full = read_log(str(tmp_path / "run"))
    assert [r["step"] for r in full] == list(range(1, 13))
    assert set(full[0]["loss_k"]) == {"1", "2"} and "tok_s" in full[0] and "mfu" in full[0]
    first, last = full[0]["loss"], sum(r["loss"] for r in full[-3:]) / 3
    assert last < first - 0.5, (first, last)
    # kill after step 6: drop the later checkpoint, resume, and get the very same numbers
    shutil.rmtree(tmp_path / "run" / "checkpoints" / "step_12")
    torchrun(cfg, "--resume")
    assert strip_times(read_log(str(tmp_path / "run"))) == strip_times(full)


def _train(cfg_path, *argv):
    cfg = RunConfig.load(cfg_path)
    freeze = int(argv[argv.index("--freeze-chains") + 1]) if "--freeze-chains" in argv else None
    return train_mod.train(cfg, freeze_chains=freeze, resume="--resume" in argv)


def _initial_model():
    from colm_torch.config import ColmConfig
    from colm_torch.model import ColmForCausalLM
    torch.manual_seed(0)
    return ColmForCausalLM(ColmConfig.from_dict(MODEL))


def test_ctrl_c_saves_and_resume_gives_the_same_losses_bit_for_bit(tmp_path, corpus, monkeypatch):
    a = _train(run_config(tmp_path, corpus, "a", steps=6, checkpoint_every=3))
    # run b gets Ctrl-C during step 2: it finishes the step, checkpoints step 2 and stops
    real_clip, calls = train_mod.clip_grad_norm, []

    def clip_then_interrupt(params, max_norm):
        calls.append(1)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGINT)
        return real_clip(params, max_norm)

    monkeypatch.setattr(train_mod, "clip_grad_norm", clip_then_interrupt)
    cfg_b = run_config(tmp_path, corpus, "b", steps=6, checkpoint_every=3)
    b1 = _train(cfg_b)
    assert b1["stopped"] and b1["steps"] == 2 and os.path.isdir(tmp_path / "b" / "checkpoints" / "step_2")
    monkeypatch.setattr(train_mod, "clip_grad_norm", real_clip)
    b2 = _train(cfg_b, "--resume")
    assert b2["history"][0]["step"] == 3
    hist_b = b1["history"] + b2["history"]
    assert [r["loss_k"] for r in a["history"]] == [r["loss_k"] for r in hist_b]
    assert [r["grad_norm"] for r in a["history"]] == [r["grad_norm"] for r in hist_b]
    assert strip_times(read_log(str(tmp_path / "a"))) == strip_times(read_log(str(tmp_path / "b")))
    for (na, pa), (nb, pb) in zip(a["model"].named_parameters(), b2["model"].named_parameters()):
        assert na == nb and torch.equal(pa, pb), na


def test_freeze_chains_keeps_chain_one_bit_identical(tmp_path, corpus):
    got = _train(run_config(tmp_path, corpus, steps=5, checkpoint_every=5), "--freeze-chains", "1")
    before, after = _initial_model(), got["model"]
    for p0, p1 in zip(before.chain_parameters(0), after.chain_parameters(0)):
        assert torch.equal(p0, p1)
    changed = [not torch.equal(p0, p1) for p0, p1 in zip(before.chain_parameters(1), after.chain_parameters(1))]
    assert all(changed)
    with open(tmp_path / "run" / "run.json") as f:
        assert json.load(f)["train"]["freeze_chains"] == 1


def test_multi_chain_loss_is_the_weighted_sum(tmp_path, corpus):
    got = _train(run_config(tmp_path, corpus, steps=2, checkpoint_every=2, loss_chains=[1, 2], loss_weights=[0.25, 0.75]))
    rec = got["history"][0]
    assert set(rec["loss_k"]) == {"1", "2"}
    assert rec["loss"] == pytest.approx(0.25 * rec["loss_k"]["1"] + 0.75 * rec["loss_k"]["2"], abs=1e-12)
    # recompute step 1 outside the loop: the same windows, the same initial model
    from colm_torch.data import TokenStream, WindowSampler
    batch = WindowSampler(TokenStream(str(tmp_path / "run" / "data")), 32, 8, seed=0).get(1, 0)
    logits = _initial_model()(batch[:, :-1], [1, 2])
    for k in (1, 2):
        ce = F.cross_entropy(logits[k].flatten(0, 1), batch[:, 1:].flatten()).item()
        assert rec["loss_k"][str(k)] == pytest.approx(ce, rel=1e-6)


def test_loss_on_chain_one_only_never_touches_chain_two(tmp_path, corpus):
    got = _train(run_config(tmp_path, corpus, steps=3, checkpoint_every=3, loss_chains=[1]))
    assert set(got["history"][0]["loss_k"]) == {"1"}
    before, after = _initial_model(), got["model"]
    assert all(torch.equal(a, b) for a, b in zip(before.chain_parameters(1), after.chain_parameters(1)))
    assert not all(torch.equal(a, b) for a, b in zip(before.chain_parameters(0), after.chain_parameters(0)))


def test_bf16_with_activation_checkpointing_and_grad_accum_runs(tmp_path, corpus):
    got = _train(run_config(tmp_path, corpus, steps=3, checkpoint_every=3, dtype="bfloat16",
                            activation_checkpoint=True, grad_accum=2))
    losses = [r["loss"] for r in got["history"]]
    assert len(losses) == 3 and all(torch.isfinite(torch.tensor(losses)))
    # the checkpoint's model keys carry no wrapper prefix
    meta = torch.distributed.checkpoint.FileSystemReader(str(tmp_path / "run" / "checkpoints" / "step_3")).read_metadata()
    keys = [k for k in meta.state_dict_metadata if k.startswith("model.")]
    assert keys and not any("_checkpoint_wrapped_module" in k for k in keys)
