"""Token shards, deterministic windows, the run config and the LR schedule."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from conftest import TOKENIZER_JSON
from colm_torch.data import TokenStream, WindowSampler, ensure_shards, expand_corpus, tokenize_corpus
from colm_torch.optim import lr_at
from colm_torch.run_config import OptimConfig, RunConfig

TEXT_A = "The cat sat on the mat.\nA second line, with punctuation!\n" * 20
TEXT_B = "Another file: numbers 12345 and words.\n" * 15


@pytest.fixture
def corpus(tmp_path):
    d = tmp_path / "texts"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_text(TEXT_A)
    (d / "sub" / "b.txt").write_text(TEXT_B)
    return d


def _tok():
    from tokenizers import Tokenizer
    return Tokenizer.from_file(TOKENIZER_JSON)


def test_expand_corpus_orders_folders_and_globs(corpus):
    files = expand_corpus([str(corpus)])
    assert [os.path.relpath(f, corpus) for f in files] == ["a.txt", os.path.join("sub", "b.txt")]
    assert expand_corpus([str(corpus / "**" / "*.txt")]) == sorted(files)
    with pytest.raises(FileNotFoundError, match="nope"):
        expand_corpus([str(corpus / "nope.txt")])


def test_shards_hold_the_tokens_in_order_with_eos(corpus, tmp_path):
    files = expand_corpus([str(corpus)])
    out = tmp_path / "shards"
    # tiny shards so the stream spans several files
    index = tokenize_corpus(files, TOKENIZER_JSON, str(out), eos_id=297, shard_tokens=100)
    assert index["dtype"] == "uint16" and len(index["shards"]) > 3
    tok = _tok()
    want = tok.encode(TEXT_A, add_special_tokens=False).ids + [297] + tok.encode(TEXT_B, add_special_tokens=False).ids + [297]
    stream = TokenStream(str(out))
    assert stream.n_tokens == index["tokens"] == len(want)
    assert np.load(out / index["shards"][0]["file"]).dtype == np.uint16
    # windows across shard boundaries read the concatenation
    assert stream.window(0, len(want)).tolist() == want
    assert stream.window(95, 20).tolist() == want[95:115]
    assert tok.decode(want[:len(tok.encode(TEXT_A).ids)]) == TEXT_A


def test_ensure_shards_reuses_and_retokenizes(corpus, tmp_path):
    files = expand_corpus([str(corpus)])
    out = str(tmp_path / "shards")
    first = ensure_shards(files, TOKENIZER_JSON, out, None)
    stamp = os.path.getmtime(os.path.join(out, "index.json"))
    assert ensure_shards(files, TOKENIZER_JSON, out, None) == first
    assert os.path.getmtime(os.path.join(out, "index.json")) == stamp
    (corpus / "a.txt").write_text(TEXT_A + "more text\n")
    os.utime(corpus / "a.txt", (stamp + 10, stamp + 10))
    assert ensure_shards(files, TOKENIZER_JSON, out, None)["tokens"] > first["tokens"]


def test_windows_are_a_function_of_seed_step_and_world(corpus, tmp_path):
    out = str(tmp_path / "shards")
    tokenize_corpus(expand_corpus([str(corpus)]), TOKENIZER_JSON, out, eos_id=None)
    stream = TokenStream(out)
    one = WindowSampler(stream, seq_len=16, batch=4, seed=7)
    b = one.get(3, 0)
    assert b.shape == (4, 17) and b.dtype.is_floating_point is False
    assert (one.get(3, 0) == b).all()                      # same (seed, step, micro): same windows
    assert not (one.get(4, 0) == b).all() and not (one.get(3, 1) == b).all()
    assert not (WindowSampler(stream, 16, 4, seed=8).get(3, 0) == b).all()
    # two ranks of batch 2 read exactly the rows of one process of batch 4
    r0 = WindowSampler(stream, 16, 2, seed=7, rank=0, world=2).get(3, 0)
    r1 = WindowSampler(stream, 16, 2, seed=7, rank=1, world=2).get(3, 0)
    assert (np.concatenate([r0, r1]) == b.numpy()).all()
    # each row is a real window of the stream: token i+1 follows token i
    s = int(one.starts(3, 0)[0])
    assert b[0].tolist() == stream.window(s, 17).tolist()


def test_run_config_paths_defaults_and_refusals(tmp_path):
    cfg_path = tmp_path / "cfgs" / "run.json"
    cfg_path.parent.mkdir()
    cfg_path.write_text(json.dumps({"out": "../runs/x", "model": {"model_type": "colm"},
                                    "data": {"tokenizer": "tok.json", "corpus": ["texts"]},
                                    "train": {"loss_chains": [1, 3], "loss_weights": [0.2, 0.8]}}))
    cfg = RunConfig.load(str(cfg_path))
    assert cfg.out == str(tmp_path / "runs" / "x")
    assert cfg.data.tokenizer == str(tmp_path / "cfgs" / "tok.json")
    assert cfg.loss_plan(3) == ([1, 3], [0.2, 0.8])
    assert RunConfig().loss_plan(4) == ([1, 2, 3, 4], [0.25] * 4)
    with pytest.raises(ValueError, match="k=3 is not in 1..2"):
        cfg.loss_plan(2)
    with pytest.raises(ValueError, match="unknown key.*lerning_rate"):
        RunConfig.from_dict({"optim": {"lerning_rate": 1}})
    with pytest.raises(ValueError, match="unknown key.*modle"):
        RunConfig.from_dict({"modle": {}})
    with pytest.raises(ValueError, match="loss_weights"):
        RunConfig.from_dict({"train": {"loss_weights": [1.0]}})
    with pytest.raises(ValueError, match="not both"):
        RunConfig.from_dict({"model": {}, "init": "x"})
    round_trip = RunConfig.from_dict(cfg.to_dict())
    assert round_trip.to_dict() == cfg.to_dict()


def test_lr_warmup_then_cosine_to_the_floor():
    o = OptimConfig(lr=1.0, warmup=10, min_lr_ratio=0.1)
    assert lr_at(1, 100, o) == pytest.approx(0.1)
    assert lr_at(10, 100, o) == pytest.approx(1.0)
    assert lr_at(55, 100, o) == pytest.approx(0.55)        # half-way down the cosine
    assert lr_at(100, 100, o) == pytest.approx(0.1)
    lrs = [lr_at(s, 100, o) for s in range(10, 101)]
    assert all(a >= b for a, b in zip(lrs, lrs[1:]))
    assert lr_at(1, 5, OptimConfig(lr=2.0, warmup=0, min_lr_ratio=0.0)) == pytest.approx(2.0 * 0.5 * (1 + np.cos(np.pi * 0.2)))
