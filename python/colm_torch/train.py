"""Train a CoLM: `python -m colm_torch.train --config RUN.json [--freeze-chains K] [--resume]`.

Alone it is one process (CPU, or the first GPU); under `torchrun --nproc_per_node N` (and
--nnodes for several machines) every process takes 1/N of each global batch and the model is
sharded with FSDP2 (parallelize.py). The loop knows nothing of the model's insides: it asks the
model for the logits of each k in the loss (`model(ids, ks)`), the parameters of a chain
(`model.chain_parameters(i)`) and the list of blocks (`model.layers`, for parallelize).

RUN_DIR (the config's `out`) after a run:
    config.json  tokenizer.json  run.json      model config, tokenizer, the run config as used
    data/        token shards of the corpus (unless data.shards names a folder)
    eval_data/   token shards of data.eval_corpus (when the held-out set is given as text)
    checkpoints/step_N/                        torch.distributed.checkpoint (dist_checkpoint.py)
    best/step_N/                               the weights of the best evaluation (runs that evaluate)
    log.jsonl                                  one record per logged step

Held-out evaluation (data.eval_fraction / eval_corpus / eval_shards; evaluate.py): every
train.eval_every steps and after the last step, the mean held-out cross-entropy and perplexity of
every sub-model k = 1..n over a fixed list of windows, logged with the step. train.early_stopping
{patience, min_delta} ends the run after `patience` evaluations in a row in which no k beat its best
by min_delta; best/ keeps the weights of the evaluation with the lowest mean over k.

Exact resume: the data of step s is a pure function of (seed, s), the LR of s a function of s, and
the checkpoint holds model, optimizer, RNG and data state, so a run stopped after a checkpoint and
resumed logs the same losses as one never stopped (bit-identical on the CPU in float32).
The early-stopping state (best loss per k, best step, bad-evaluation count) is in the checkpoint too.
Ctrl-C (SIGINT) or SIGTERM: the step in flight finishes, a checkpoint is written, exit code 130.
"""
from __future__ import annotations

import argparse
import datetime
import inspect
import json
import os
import shutil
import signal
import sys
import time
from typing import Optional

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F

from . import dist_checkpoint as dckpt
from .data import (TokenStream, WindowSampler, ensure_shards, eval_starts, expand_corpus, find_eos_id,
                   holdout_split)
from .evaluate import EarlyStopping, evaluate
from .metrics import Logger, Meter, count_params, flops_per_token, guess_peak_flops
from .optim import build_optimizer, clip_grad_norm, lr_at, set_lr
from .parallelize import autocast_context, parallelize
from .run_config import RunConfig


# ---- processes and devices ----------------------------------------------------------------------
def init_distributed(device_pref: str) -> tuple[int, int, torch.device]:
    """(rank, world, device). A process group only under torchrun (WORLD_SIZE set)."""
    use_cuda = torch.cuda.is_available() if device_pref == "auto" else device_pref.startswith("cuda")
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if use_cuda:
        torch.cuda.set_device(local)
        device = torch.device("cuda", local)
    else:
        device = torch.device("cpu")
    if "WORLD_SIZE" in os.environ and not dist.is_initialized():
        backend = "cuda:nccl,cpu:gloo" if use_cuda else "gloo"
        dist.init_process_group(backend, timeout=datetime.timedelta(minutes=30))
    return rank, world, device


def barrier() -> None:
    if dist.is_initialized():
        dist.barrier()


# ---- the model ----------------------------------------------------------------------------------
def _load_checkpoint_model(path: str, kernel: str):
    """P1's checkpoint_io.load_model: a FORMAT.md file/folder or an HF folder -> ColmForCausalLM."""
    from .checkpoint_io import load_model

    kw = {"kernel": kernel} if "kernel" in inspect.signature(load_model).parameters else {}
    got = load_model(path, **kw)
    model = got[0] if isinstance(got, tuple) else got
    return model


def _init_path(cfg: RunConfig) -> Optional[str]:
    if cfg.init:
        return cfg.init
    if cfg.model is None:
        p = os.path.join(cfg.out, "init", "model.safetensors")
        if os.path.exists(p):
            return p
        raise ValueError("run config: no `model` config and no `init` checkpoint "
                         f"(nor {p}, which `colm_torch.expand` writes)")
    return None


def build_model(cfg: RunConfig, resume: bool):
    """Full-size fp32 model on the CPU: from RUN_DIR/config.json when resuming (weights come from the
    checkpoint), from `init` / RUN_DIR/init, or randomly initialised from `model` with the run's seed."""
    from .config import ColmConfig
    from .model import ColmForCausalLM

    kernel = cfg.train.kernel
    torch.manual_seed(cfg.seed)  # the same initial weights on every rank
    if resume:
        with open(os.path.join(cfg.out, "config.json")) as f:
            return ColmForCausalLM(ColmConfig.from_dict(json.load(f), "RUN_DIR/config.json"), kernel=kernel), None
    init = _init_path(cfg)
    if init is not None:
        return _load_checkpoint_model(init, kernel).float(), init
    return ColmForCausalLM(ColmConfig.from_dict(cfg.model, "run config `model`"), kernel=kernel), None


def _tokenizer_source(cfg: RunConfig, init: Optional[str]) -> Optional[str]:
    if cfg.data.tokenizer:
        return cfg.data.tokenizer
    cands = [os.path.join(cfg.out, "tokenizer.json")]
    if init:
        d = init if os.path.isdir(init) else os.path.dirname(init)
        cands += [os.path.join(d, "tokenizer.json"), os.path.join(os.path.dirname(d), "tokenizer.json")]
    for c in cands:
        if os.path.exists(c):
            return c
    if init and init.endswith(".safetensors"):  # FORMAT.md single file: the tokenizer is in the metadata
        from safetensors import safe_open

        with safe_open(init, "pt") as f:
            text = (f.metadata() or {}).get("colm.tokenizer")
        if text:
            os.makedirs(cfg.out, exist_ok=True)
            path = os.path.join(cfg.out, "tokenizer.json")
            with open(path, "w") as f:
                f.write(text)
            return path
    return None


def _write_json(path: str, obj) -> None:
    with open(path + ".tmp", "w") as f:
        json.dump(obj, f, indent=2)
    os.replace(path + ".tmp", path)


def prepare_run_dir(cfg: RunConfig, model, tok_src: str) -> None:
    """RUN_DIR/config.json, tokenizer.json (+ tokenizer_config.json), run.json. Rank 0 only."""
    os.makedirs(cfg.out, exist_ok=True)
    _write_json(os.path.join(cfg.out, "config.json"), model.config.to_dict())
    dst = os.path.join(cfg.out, "tokenizer.json")
    if os.path.abspath(tok_src) != os.path.abspath(dst):
        shutil.copyfile(tok_src, dst)
        tc = os.path.join(os.path.dirname(tok_src), "tokenizer_config.json")
        if os.path.exists(tc):
            shutil.copyfile(tc, os.path.join(cfg.out, "tokenizer_config.json"))
    _write_json(os.path.join(cfg.out, "run.json"), cfg.to_dict())


def _trim_log(run_dir: str, last_step: int) -> None:
    """On resume, drop log records of steps after the checkpoint (they will be redone)."""
    path = os.path.join(run_dir, "log.jsonl")
    if not os.path.exists(path):
        return
    with open(path) as f:
        keep = [ln for ln in f if ln.strip() and json.loads(ln).get("step", 0) <= last_step]
    with open(path, "w") as f:
        f.writelines(keep)


# ---- stopping on a signal -------------------------------------------------------------------------
class StopFlag:
    """SIGINT/SIGTERM set a flag the loop checks after each step (all ranks agree through a reduce);
    a second signal gets the default behaviour back."""

    def __init__(self):
        self.hit = False
        self.old = {}

    def __enter__(self):
        def handler(signum, frame):
            self.hit = True
            for s, h in self.old.items():
                signal.signal(s, h)

        for s in (signal.SIGINT, signal.SIGTERM):
            try:
                self.old[s] = signal.signal(s, handler)
            except ValueError:  # not the main thread (e.g. a test runner): no handler
                pass
        return self

    def __exit__(self, *exc):
        for s, h in self.old.items():
            signal.signal(s, h)


# ---- the loop -----------------------------------------------------------------------------------
def train(cfg: RunConfig, freeze_chains: Optional[int] = None, resume: bool = False) -> dict:
    rank, world, device = init_distributed(cfg.train.device)
    log = Logger(cfg.out, rank)
    t = cfg.train

    start = dckpt.latest_step(cfg.out) if resume else None
    if resume and start is None:
        log.info(f"--resume: no checkpoint in {cfg.out}/checkpoints, starting from step 0")
    if not resume and dckpt.latest_step(cfg.out) is not None:
        raise SystemExit(f"{cfg.out} already has checkpoints: pass --resume to continue, or choose another `out`")
    resuming = start is not None

    # what to freeze: the command line, else the run config, else what `expand` wrote in run.json
    if freeze_chains is None:
        freeze_chains = t.freeze_chains
    prior = os.path.join(cfg.out, "run.json")
    if freeze_chains is None and os.path.exists(prior):
        freeze_chains = _prior_freeze(prior)
    freeze_chains = int(freeze_chains or 0)
    t.freeze_chains = freeze_chains

    model, init = build_model(cfg, resuming)
    n = model.config.n_chains
    if not 0 <= freeze_chains < n:
        raise SystemExit(f"--freeze-chains {freeze_chains}: the model has {n} chains; at most {n - 1} can be frozen")
    ks, weights = cfg.loss_plan(n)
    model.freeze_chains(freeze_chains)
    if all(k <= freeze_chains for k in ks):
        raise SystemExit(f"train.loss_chains {ks}: every k reads only frozen chains 1..{freeze_chains}; nothing would train")

    # tokenizer and data (rank 0 tokenizes, the others wait)
    tok_src = os.path.join(cfg.out, "tokenizer.json") if resuming else _tokenizer_source(cfg, init)
    if tok_src is None or not os.path.exists(tok_src):
        raise SystemExit("no tokenizer: set data.tokenizer (a tokenizer.json)")
    if rank == 0 and not resuming:
        prepare_run_dir(cfg, model, tok_src)
    dc = cfg.data
    shard_dir = dc.shards or os.path.join(cfg.out, "data")
    eval_dir = dc.eval_shards or (os.path.join(cfg.out, "eval_data") if dc.eval_corpus else None)
    if rank == 0 and (not dc.shards or (dc.eval_corpus and not dc.eval_shards)):
        from tokenizers import Tokenizer

        eos = find_eos_id(Tokenizer.from_file(tok_src), dc.eos_token, model.config.eos_token_id)
        files = [] if dc.shards else expand_corpus(dc.corpus)
        if not dc.shards:
            idx = ensure_shards(files, tok_src, shard_dir, eos)
            log.info(f"data: {idx['tokens']} tokens in {len(idx['shards'])} shard(s) at {shard_dir}")
        if dc.eval_corpus and not dc.eval_shards:
            eval_files = expand_corpus(dc.eval_corpus)
            both = sorted(set(map(os.path.abspath, files)) & set(map(os.path.abspath, eval_files)))
            if both:
                raise SystemExit(f"data.eval_corpus: {both[0]} is in data.corpus too; held-out text must not be trained on")
            idx = ensure_shards(eval_files, tok_src, eval_dir, eos)
            log.info(f"held-out data: {idx['tokens']} tokens at {eval_dir}")
    barrier()
    stream = TokenStream(shard_dir)
    if stream.vocab_size > model.config.vocab_size:
        raise SystemExit(f"tokenizer has {stream.vocab_size} ids, the model's vocab_size is {model.config.vocab_size}")
    # the held-out split: a share of this stream's blocks, or a separate stream
    train_iv, eval_stream, eval_win, early = None, None, None, None
    if dc.eval_fraction > 0:
        train_iv, eval_iv = holdout_split(stream.n_tokens, dc.eval_fraction, dc.block_tokens())
        eval_stream = stream
    elif eval_dir is not None:
        eval_stream = TokenStream(eval_dir)
        eval_iv = np.array([[0, eval_stream.n_tokens]], dtype=np.int64)
        if eval_stream.vocab_size > model.config.vocab_size:
            raise SystemExit(f"held-out data: {eval_stream.vocab_size} ids, the model's vocab_size is {model.config.vocab_size}")
    if eval_stream is not None:
        eval_win = eval_starts(eval_iv, dc.seq_len, t.eval_windows)
        es = t.early_stopping
        early = EarlyStopping(n, es.patience if es else None, es.min_delta if es else 0.0)
        held = int(sum(b - a for a, b in eval_iv))
        log.info(f"held-out: {held} tokens ({eval_dir or f'{dc.eval_fraction:g} of the stream in blocks of {dc.block_tokens()}'}); "
                 f"{len(eval_win)} windows of {dc.seq_len + 1} per evaluation, "
                 + (f"every {t.eval_every} steps and after the last" if t.eval_every else "after the last step")
                 + (f"; early stopping: patience {es.patience}, min_delta {es.min_delta:g}" if es else ""))
    sampler = WindowSampler(stream, dc.seq_len, t.batch, cfg.seed, rank, world, intervals=train_iv)

    # parallelize, optimizer
    n_all, n_non_embed = count_params(model)
    n_frozen = sum(p.numel() for i in range(freeze_chains) for p in model.chain_parameters(i))
    fpt = (model.flops_per_token(cfg.data.seq_len) if hasattr(model, "flops_per_token")
           else flops_per_token(n_non_embed, model.config.to_dict(), cfg.data.seq_len))
    model.to(device)
    parallelize(model, t.dtype, t.activation_checkpoint)
    opt = build_optimizer(model, cfg.optim)
    trainable = [p for p in model.parameters() if p.requires_grad]

    step = 0
    if resuming:
        got = dckpt.load(cfg.out, start, model, opt, sampler.state_dict(0),
                         eval_template=early.state_dict() if early else None)
        step = got["step"]
        if got["data"].get("seed") != cfg.seed:
            raise SystemExit(f"--resume: the checkpoint was trained with seed {got['data'].get('seed')}, the config says {cfg.seed}")
        if rank == 0:
            _trim_log(cfg.out, step)
        log.info(f"resumed from {cfg.out}/checkpoints/step_{step}")
        if early is not None:
            if got["eval"] is not None:
                early.load_state_dict(got["eval"])
            # best/ weights written after this checkpoint belong to steps about to be redone
            dckpt.prune_best(cfg.out, {early.best_step})
            if early.best_step and early.best_step not in dckpt.list_best_steps(cfg.out):
                log.info(f"warning: best/step_{early.best_step} (the checkpoint's best evaluation) is missing")
    barrier()
    ckpt_best = early.best_step if early else 0   # the best step the latest checkpoint refers to

    peak = t.peak_flops or guess_peak_flops(device)
    tokens_per_step = t.batch * cfg.data.seq_len * t.grad_accum * world
    log.info(f"model: {n_all / 1e6:.3f}M parameters ({n_frozen / 1e6:.3f}M frozen: chains 1..{freeze_chains}), "
             f"{n} chains; loss over k={ks} weights={weights}; world {world} on {device}; "
             f"{tokens_per_step} tokens/step; dtype {t.dtype}" + ("" if peak else "; MFU not reported (no train.peak_flops)"))

    meter = Meter(fpt, peak, world)
    ctx = autocast_context(device, t.dtype)
    history: list[dict] = []
    last_saved = step
    stopped = False
    early_stopped = bool(early and early.stop_step)
    if early_stopped:
        log.info(f"early-stopped at step {early.stop_step} (best evaluation: step {early.best_step}); nothing to resume")
    t_start = time.perf_counter()
    with StopFlag() as stop:
        while step < t.steps and not early_stopped:
            step += 1
            lr = lr_at(step, t.steps, cfg.optim)
            set_lr(opt, lr)
            acc = torch.zeros(len(ks) + 1, dtype=torch.float64)
            for micro in range(t.grad_accum):
                batch = sampler.get(step, micro).to(device, non_blocking=True)
                inp, tgt = batch[:, :-1], batch[:, 1:]
                with ctx:
                    logits = model(inp, ks)
                losses = [F.cross_entropy(logits[k].float().flatten(0, 1), tgt.flatten()) for k in ks]
                loss = sum(w * l for w, l in zip(weights, losses))
                (loss / t.grad_accum).backward()
                acc[:len(ks)] += torch.tensor([l.item() for l in losses], dtype=torch.float64) / t.grad_accum
                del logits, losses, loss
            gnorm = clip_grad_norm(trainable, cfg.optim.clip)
            opt.step()
            opt.zero_grad(set_to_none=True)
            meter.add(tokens_per_step)

            acc[-1] = 1.0 if stop.hit else 0.0
            if dist.is_initialized():
                dist.all_reduce(acc)  # loss sums over ranks; the stop flag: any rank
                acc[:len(ks)] /= world
            stop_now = bool(acc[-1] > 0)
            loss_k = {str(k): float(acc[i]) for i, k in enumerate(ks)}
            rec = {"step": step, "loss": float(sum(w * acc[i] for i, w in enumerate(weights))),
                   "loss_k": loss_k, "lr": lr, "grad_norm": gnorm}
            history.append(rec)
            do_eval = early is not None and ((t.eval_every and step % t.eval_every == 0) or step == t.steps)
            do_log = step % t.log_every == 0 or step == t.steps or step == 1 or stop_now or do_eval
            if do_log:
                rec.update(meter.read())
                rec["tokens"] = step * tokens_per_step
                rec["elapsed_s"] = time.perf_counter() - t_start
            if do_eval:
                ev = evaluate(model, eval_stream, eval_win, dc.seq_len, t.eval_batch or t.batch, device, ctx, rank, world)
                new_best, early_stopped = early.update(step, ev["loss_k"])
                rec.update({"eval_loss": ev["loss"], "eval_loss_k": ev["loss_k"], "eval_ppl_k": ev["ppl_k"],
                            "eval_tokens": ev["tokens"], **early.record()})
                if early_stopped:
                    rec["early_stop"] = True
                if new_best:
                    dckpt.save_best(cfg.out, step, model, {"step": step, **{k: v for k, v in rec.items() if k.startswith("eval_")}},
                                    keep={ckpt_best})
                meter.reset()  # evaluation is not training time
            if do_log:
                log.log(rec)
            if step % t.checkpoint_every == 0 or step == t.steps or stop_now or early_stopped:
                dckpt.save(cfg.out, step, model, opt, sampler.state_dict(step + 1), keep=t.keep_checkpoints,
                           eval_state=early.state_dict() if early else None)
                last_saved = step
                log.info(f"checkpoint: {cfg.out}/checkpoints/step_{step}")
                if early is not None:
                    ckpt_best = early.best_step
                    dckpt.prune_best(cfg.out, {ckpt_best})
                meter.reset()  # the save is not training time
            if early_stopped:
                log.info(f"early stopping after step {step}: no sub-model's held-out loss improved by more than "
                         f"{early.min_delta:g} in {early.patience} evaluations; the best weights (step "
                         f"{early.best_step}, mean held-out loss {early.best_mean:.4f}) are in {cfg.out}/best")
                break
            if stop_now:
                stopped = True
                log.info(f"stopped by a signal after step {step}; continue with --resume")
                break
    if early is not None and early.best_step and not stopped:
        log.info(f"best evaluation: step {early.best_step}, mean held-out loss {early.best_mean:.4f} "
                 f"-> {cfg.out}/best/step_{early.best_step} (export with --best)")
    return {"steps": step, "history": history, "stopped": stopped, "last_saved": last_saved,
            "early_stopped": early_stopped, "best_step": early.best_step if early else None,
            "rank": rank, "world": world, "model": model}


def _prior_freeze(path: str) -> Optional[int]:
    """freeze_chains from an existing RUN_DIR/run.json: `expand` writes {"freeze_chains": K} at the top;
    a run.json written by train has it under "train"."""
    with open(path) as f:
        d = json.load(f)
    if d.get("freeze_chains") is not None:
        return int(d["freeze_chains"])
    v = (d.get("train") or {}).get("freeze_chains")
    return None if v is None else int(v)


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m colm_torch.train", description=__doc__.split("\n")[0])
    ap.add_argument("--config", required=True, help="the run config (JSON), see docs/TRAINING.md")
    ap.add_argument("--freeze-chains", type=int, default=None, metavar="K",
                    help="do not train chains 1..K (chain tuning of an expanded model)")
    ap.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in RUN_DIR")
    ap.add_argument("--steps", type=int, default=None, help="override train.steps")
    ap.add_argument("--out", default=None, help="override `out` (RUN_DIR)")
    args = ap.parse_args(argv)
    cfg = RunConfig.load(args.config)
    if args.steps is not None:
        cfg.train.steps = args.steps
    if args.out is not None:
        cfg.out = os.path.abspath(args.out)
    try:
        result = train(cfg, freeze_chains=args.freeze_chains, resume=args.resume)
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    return 130 if result["stopped"] else 0


if __name__ == "__main__":
    sys.exit(main())
