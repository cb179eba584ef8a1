"""Held-out evaluation and early stopping: the split keeps held-out tokens out of training, the eval
loss is the plain mean CE over fixed windows for every k (one process or two), early stopping obeys
its patience, best/ holds the weights of the best evaluation, and resume stays exact with eval on."""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import TOKENIZER_JSON
from colm_torch import train as train_mod
from colm_torch.data import TokenStream, WindowSampler, eval_starts, holdout_split, tokenize_corpus
from colm_torch.evaluate import EarlyStopping, evaluate
from colm_torch.export import load_run, main as export_main
from colm_torch.run_config import RunConfig
from test_train import MODEL, corpus, read_log, strip_times, torchrun  # noqa: F401  (corpus: a fixture)


@pytest.fixture(autouse=True)
def one_thread():
    """These runs are tiny: one intra-op thread is faster than two fighting over shared cores."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def eval_config(tmp_path, corpus, name="run", data=None, optim=None, **train):
    """A tiny run with a held-out split: 10% of the stream in blocks of 4 windows, 8 windows per eval."""
    t = {"batch": 4, "steps": 6, "checkpoint_every": 100, "log_every": 100, "eval_every": 1, "eval_windows": 8}
    t.update(train)
    dd = {"tokenizer": TOKENIZER_JSON, "corpus": [corpus], "seq_len": 32, "eval_fraction": 0.1, "eval_block": 132}
    dd.update(data or {})
    d = {"out": str(tmp_path / name), "seed": 0, "model": MODEL, "data": dd,
         # a constant, too-high LR without clipping: the held-out loss soon stops improving
         "optim": {"lr": 0.3, "warmup": 0, "min_lr_ratio": 1.0, "weight_decay": 0.0, "clip": 0.0, **(optim or {})},
         "train": t}
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(d))
    return str(path)


def _train(cfg_path, *argv):
    return train_mod.train(RunConfig.load(cfg_path), resume="--resume" in argv)


def evals(run_dir):
    return [r for r in read_log(run_dir) if "eval_loss" in r]


# ---- the split and the windows ----------------------------------------------------------------------
def test_holdout_split_is_fixed_and_disjoint_and_training_windows_avoid_it(tmp_path, corpus):
    train_iv, held_iv = holdout_split(1000, 0.1, 10)
    assert held_iv.tolist() == [[90 + 100 * i, 100 + 100 * i] for i in range(10)]     # blocks 9, 19, ...
    assert train_iv.tolist() == [[0, 90]] + [[100 * i, 100 * i + 90] for i in range(1, 10)]
    t2, h2 = holdout_split(1000, 0.1, 10)
    assert (t2 == train_iv).all() and (h2 == held_iv).all()
    with pytest.raises(ValueError, match="none held out"):
        holdout_split(50, 0.1, 10)

    out = str(tmp_path / "shards")
    tokenize_corpus([os.path.join(corpus, "a.txt")], TOKENIZER_JSON, out, eos_id=297)
    stream = TokenStream(out)
    tr, held = holdout_split(stream.n_tokens, 0.1, 132)
    held_mask = np.zeros(stream.n_tokens, bool)
    for a, b in held:
        held_mask[a:b] = True
    assert 0.08 < held_mask.mean() < 0.12
    sampler = WindowSampler(stream, 32, 16, seed=3, intervals=tr)
    for step in range(1, 30):
        for s in sampler.starts(step, 0):
            assert not held_mask[s:s + 33].any() and s + 33 <= stream.n_tokens
    assert (sampler.get(5, 0) == sampler.get(5, 0)).all()
    # two ranks read the rows of one process
    r0 = WindowSampler(stream, 32, 8, seed=3, rank=0, world=2, intervals=tr).get(5, 0)
    r1 = WindowSampler(stream, 32, 8, seed=3, rank=1, world=2, intervals=tr).get(5, 0)
    assert (torch.cat([r0, r1]) == sampler.get(5, 0)).all()

    # the evaluation windows: inside the held-out part, not overlapping, evenly chosen, always the same
    every = eval_starts(held, 32, 10 ** 9)
    assert len(every) == sum((b - a) // 33 for a, b in held)
    for s in every:
        assert held_mask[s:s + 33].all()
    assert (np.diff(every) >= 33).all()
    some = eval_starts(held, 32, 8)
    assert len(some) == 8 and set(some.tolist()) <= set(every.tolist())
    assert (eval_starts(held, 32, 8) == some).all()
    assert some.tolist() == every[(np.arange(8) * len(every)) // 8].tolist()


def test_eval_loss_is_the_mean_ce_of_every_k_over_the_fixed_windows(tmp_path, corpus):
    from colm_torch.config import ColmConfig
    from colm_torch.model import ColmForCausalLM
    out = str(tmp_path / "shards")
    tokenize_corpus([os.path.join(corpus, "a.txt")], TOKENIZER_JSON, out, eos_id=297)
    stream = TokenStream(out)
    _, held = holdout_split(stream.n_tokens, 0.1, 132)
    starts = eval_starts(held, 32, 7)
    torch.manual_seed(1)
    model = ColmForCausalLM(ColmConfig.from_dict(MODEL)).train()
    # batch 3 does not divide 7: the last forward is padded, the padding must not count
    got = evaluate(model, stream, starts, 32, 3, torch.device("cpu"), contextlib.nullcontext())
    assert model.training                                # left as it was
    assert got == evaluate(model, stream, starts, 32, 3, torch.device("cpu"), contextlib.nullcontext())
    assert got["tokens"] == 7 * 32
    sums = {1: 0.0, 2: 0.0}
    with torch.no_grad():
        for s in starts:                                 # one window at a time, by hand
            ids = torch.from_numpy(stream.window(int(s), 33))[None]
            logits = model(ids[:, :-1], [1, 2])
            for k in (1, 2):
                sums[k] += F.cross_entropy(logits[k][0], ids[0, 1:], reduction="sum").item()
    for k in (1, 2):
        ce = sums[k] / (7 * 32)
        assert got["loss_k"][str(k)] == pytest.approx(ce, rel=1e-6)
        assert got["ppl_k"][str(k)] == pytest.approx(math.exp(ce), rel=1e-6)
    assert got["loss"] == pytest.approx((got["loss_k"]["1"] + got["loss_k"]["2"]) / 2, rel=1e-12)
    # the same with every window in one forward
    assert evaluate(model, stream, starts, 32, 16, torch.device("cpu"), contextlib.nullcontext())["loss_k"] == \
        pytest.approx(got["loss_k"], rel=1e-6)


# ---- early stopping -------------------------------------------------------------------------------
def test_early_stopping_rule_waits_for_patience_and_watches_every_k():
    es = EarlyStopping(2, patience=3, min_delta=0.1)
    seq = [  # (k1, k2) -> (new best mean?, stop?)
        ((5.0, 5.0), (True, False)),
        ((4.95, 4.0), (True, False)),    # k2 improved (k1 did not: 4.95 is not below 5.0 - 0.1)
        ((4.95, 4.05), (False, False)),  # bad 1
        ((4.92, 4.0), (True, False)),    # bad 2, though the best mean so far (no k beat best_k - 0.1)
        ((4.8, 3.95), (True, False)),    # k1 4.8 < 5.0 - 0.1: improved, bad 0
        ((4.8, 3.95), (False, False)),   # bad 1
        ((4.75, 3.96), (True, False)),   # bad 2 (4.75 is not below 4.8 - 0.1), the best mean
        ((4.75, 3.96), (False, True)),   # bad 3: stop
    ]
    for i, (vals, want) in enumerate(seq, 1):
        assert es.update(i, {"1": vals[0], "2": vals[1]}) == want, i
    assert es.best_k == [4.8, 4.0] and es.best_step == 7 and es.stop_step == 8 and es.bad == 3
    back = EarlyStopping(2, 3, 0.1)
    back.load_state_dict(es.state_dict())
    assert vars(back) == vars(es)
    assert EarlyStopping(1).update(1, {"1": 1.0}) == (True, False)     # no patience: never stops


def _expected_stop(recs, patience):
    """The rule, from the logged losses: the step at which `patience` evaluations in a row had no k
    below its best so far (min_delta 0), and the step of the lowest mean."""
    best, bad = {}, 0
    for r in recs:
        better = [k for k, v in r["eval_loss_k"].items() if v < best.get(k, math.inf)]
        for k in better:
            best[k] = r["eval_loss_k"][k]
        bad = 0 if better else bad + 1
        if bad >= patience:
            return r["step"]
    return None


def test_early_stopping_stops_after_patience_and_best_export_holds_the_best_weights(tmp_path, corpus):
    cfg = eval_config(tmp_path, corpus, steps=30, checkpoint_every=1, keep_checkpoints=0,
                      early_stopping={"patience": 2, "min_delta": 0.0})
    got = _train(cfg)
    run = str(tmp_path / "run")
    recs = evals(run)
    assert [r["step"] for r in recs] == list(range(1, got["steps"] + 1))      # one evaluation per step
    assert set(recs[0]["eval_loss_k"]) == {"1", "2"} and set(recs[0]["eval_ppl_k"]) == {"1", "2"}
    stop = _expected_stop(recs, 2)
    assert got["early_stopped"] and stop is not None and got["steps"] == stop < 30   # at patience, not before
    assert recs[-1].get("early_stop") and not any(r.get("early_stop") for r in recs[:-1])
    assert recs[-1]["eval_bad"] == 2 and all(r["eval_bad"] < 2 for r in recs[:-1])
    best = min(recs, key=lambda r: r["eval_loss"])
    # The lowest mean may come at the stopping step itself: the mean can fall while no sub-model
    # beats its own best (what early stopping counts).
    assert got["best_step"] == best["step"] == recs[-1]["eval_best_step"] <= stop
    assert os.listdir(os.path.join(run, "best")) == [f"step_{best['step']}"]        # only the best is kept
    with open(os.path.join(run, "best", f"step_{best['step']}", "eval.json")) as f:
        assert json.load(f)["eval_loss"] == best["eval_loss"]

    # export --best == the training checkpoint of that step, and its held-out loss is the logged one
    assert export_main([run, "--best", "--out", str(tmp_path / "best.safetensors")]) == 0
    from colm_torch.checkpoint_io import load_model
    exported, _ = load_model(str(tmp_path / "best.safetensors"))
    at_step = load_run(run, step=best["step"])
    last = load_run(run)
    assert all(torch.equal(a, b) for a, b in zip(exported.state_dict().values(), at_step.state_dict().values()))
    same_as_last = all(torch.equal(a, b) for a, b in zip(exported.state_dict().values(), last.state_dict().values()))
    assert same_as_last == (best["step"] == stop)                # the best weights, not simply the last
    stream = TokenStream(os.path.join(run, "data"))
    _, held = holdout_split(stream.n_tokens, 0.1, 132)
    again = evaluate(exported, stream, eval_starts(held, 32, 8), 32, 4, torch.device("cpu"), contextlib.nullcontext())
    assert again["loss_k"] == pytest.approx(best["eval_loss_k"], rel=1e-6)
    with pytest.raises(SystemExit):                      # --best and --step exclude each other
        export_main([run, "--best", "--step", "3", "--out", str(tmp_path / "x")])


def test_resume_with_eval_and_early_stopping_is_exact(tmp_path, corpus, monkeypatch):
    es = {"patience": 2, "min_delta": 0.0}
    a = _train(eval_config(tmp_path, corpus, "a", steps=30, checkpoint_every=3, early_stopping=es))
    assert a["early_stopped"]
    # run b gets Ctrl-C during step 4 (after an evaluation with no improvement, if the run has one)
    stop_at = next((r["step"] for r in a["history"] if r.get("eval_bad") == 1), 2)
    stop_at = min(stop_at, a["steps"] - 1)
    real_clip, calls = train_mod.clip_grad_norm, []

    def clip_then_interrupt(params, max_norm):
        calls.append(1)
        if len(calls) == stop_at:
            os.kill(os.getpid(), signal.SIGINT)
        return real_clip(params, max_norm)

    monkeypatch.setattr(train_mod, "clip_grad_norm", clip_then_interrupt)
    cfg_b = eval_config(tmp_path, corpus, "b", steps=30, checkpoint_every=3, early_stopping=es)
    b1 = _train(cfg_b)
    assert b1["stopped"] and b1["steps"] == stop_at
    monkeypatch.setattr(train_mod, "clip_grad_norm", real_clip)
    b2 = _train(cfg_b, "--resume")
    assert b2["early_stopped"] and b2["steps"] == a["steps"] and b2["best_step"] == a["best_step"]
    assert strip_times(read_log(str(tmp_path / "a"))) == strip_times(read_log(str(tmp_path / "b")))
    assert os.listdir(tmp_path / "a" / "best") == os.listdir(tmp_path / "b" / "best")
    wa, wb = load_run(str(tmp_path / "a"), best=True), load_run(str(tmp_path / "b"), best=True)
    assert all(torch.equal(x, y) for x, y in zip(wa.state_dict().values(), wb.state_dict().values()))
    # a resumed early-stopped run has nothing left to do
    b3 = _train(cfg_b, "--resume")
    assert b3["early_stopped"] and b3["steps"] == a["steps"] and b3["history"] == []


def test_two_processes_give_the_eval_loss_of_one(tmp_path, corpus):
    # the same global batch (8 windows a step); 10 held-out windows, 3 per rank per forward: the ranks
    # get uneven shares and padded forwards
    kw = dict(steps=2, eval_every=1, eval_windows=10, eval_batch=3, checkpoint_every=2, optim={"lr": 1e-3})
    one = _train(eval_config(tmp_path, corpus, "one", batch=8, **kw))
    out = torchrun(eval_config(tmp_path, corpus, "two", batch=4, **kw))
    assert "world 2 on cpu" in out and "eval " in out
    e1, e2 = evals(str(tmp_path / "one")), evals(str(tmp_path / "two"))
    assert [r["step"] for r in e1] == [r["step"] for r in e2] == [1, 2]
    for r1, r2 in zip(e1, e2):
        assert r1["eval_tokens"] == r2["eval_tokens"] == 10 * 32
        assert r2["eval_loss_k"] == pytest.approx(r1["eval_loss_k"], rel=1e-5)
        assert r2["loss_k"] == pytest.approx(r1["loss_k"], rel=1e-5)
    assert e2[-1]["eval_best_step"] == one["best_step"]
    # the sharded best weights export on one process
    assert os.listdir(tmp_path / "two" / "best")
    assert export_main([str(tmp_path / "two"), "--best", "--out", str(tmp_path / "two.safetensors")]) == 0


def test_eval_corpus_is_a_separate_held_out_set(tmp_path, corpus):
    held = tmp_path / "held"
    held.mkdir()
    (held / "h.txt").write_text("Held-out text that training never reads.\n" * 40)
    cfg = eval_config(tmp_path, corpus, steps=2, data={"eval_fraction": 0.0, "eval_corpus": [str(held)]})
    got = _train(cfg)
    run = str(tmp_path / "run")
    stream = TokenStream(os.path.join(run, "eval_data"))
    starts = eval_starts(np.array([[0, stream.n_tokens]]), 32, 8)
    assert [r["eval_tokens"] for r in evals(run)] == [len(starts) * 32] * 2
    # the training stream is the corpus alone, read by the plain sampler (as without evaluation)
    batch = WindowSampler(TokenStream(os.path.join(run, "data")), 32, 4, seed=0).get(1, 0)
    from colm_torch.config import ColmConfig
    from colm_torch.model import ColmForCausalLM
    torch.manual_seed(0)
    logits = ColmForCausalLM(ColmConfig.from_dict(MODEL))(batch[:, :-1], [1])
    assert got["history"][0]["loss_k"]["1"] == pytest.approx(
        F.cross_entropy(logits[1].flatten(0, 1), batch[:, 1:].flatten()).item(), rel=1e-6)
    with pytest.raises(SystemExit, match="in data.corpus too"):
        _train(eval_config(tmp_path, corpus, "bad", steps=1,
                           data={"eval_fraction": 0.0, "eval_corpus": [os.path.join(corpus, "a.txt")]}))


def test_eval_config_refusals():
    base = {"data": {"eval_fraction": 0.1}}
    assert RunConfig.from_dict({**base, "train": {"eval_every": 5, "early_stopping": {"patience": 2}}}).train.early_stopping.patience == 2
    with pytest.raises(ValueError, match="need a held-out split"):
        RunConfig.from_dict({"train": {"eval_every": 5}})
    with pytest.raises(ValueError, match="unknown key.*patients"):
        RunConfig.from_dict({**base, "train": {"eval_every": 5, "early_stopping": {"patients": 2}}})
    with pytest.raises(ValueError, match="needs train.eval_every"):
        RunConfig.from_dict({**base, "train": {"early_stopping": {"patience": 2}}})
    with pytest.raises(ValueError, match="not both"):
        RunConfig.from_dict({"data": {"eval_fraction": 0.1, "eval_shards": "x"}})
    with pytest.raises(ValueError, match="eval_block"):
        RunConfig.from_dict({"data": {"eval_fraction": 0.1, "eval_block": 8, "seq_len": 16}})
    cfg = RunConfig.from_dict({**base, "train": {"eval_every": 5, "early_stopping": {"patience": 2, "min_delta": 0.01}}})
    assert RunConfig.from_dict(cfg.to_dict()).to_dict() == cfg.to_dict()
