"""Held-out evaluation of every sub-model k = 1..n, and early stopping on it.

`evaluate` runs a fixed list of held-out windows (data.eval_starts) through the model once per batch
and returns, for each k, the mean cross-entropy over every target token of those windows and its
perplexity exp(CE). Under torchrun the windows are split over the ranks the way training batches
are (round r, rank q takes windows r*B*W + q*B .. +B); every rank runs the same number of forwards
(FSDP2 needs all ranks in each all-gather), a rank past the end runs a copy of window 0 with weight
0 (left out of the sums), and the per-k sums of token losses (float64) and the token count are all-reduced, so the mean is
over all windows whatever the world size.

`EarlyStopping` keeps, per k, the best held-out loss so far; an evaluation in which no k got below
its best by more than min_delta is a bad one, and `patience` bad ones in a row stop the run. It also
keeps the step of the lowest mean over k (the `best` checkpoint). Its state goes into every
training checkpoint, so a resumed run makes the same decisions as an uninterrupted one.
"""
from __future__ import annotations

import math
from typing import Optional

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F


@torch.no_grad()
def evaluate(model, stream, starts: np.ndarray, seq_len: int, batch: int, device: torch.device,
             ctx, rank: int = 0, world: int = 1) -> dict:
    """{"loss": mean over k of the held-out CE, "loss_k": {k: CE}, "ppl_k": {k: exp CE}, "tokens": N}."""
    n = model.config.n_chains
    ks = list(range(1, n + 1))
    starts = np.asarray(starts, dtype=np.int64)
    per_round = batch * world
    rounds = -(-len(starts) // per_round)
    acc = torch.zeros(n + 1, dtype=torch.float64)   # sums of token CE per k, then the token count
    was_training = model.training
    model.eval()
    try:
        for r in range(rounds):
            idx = np.arange(r * per_round + rank * batch, r * per_round + (rank + 1) * batch)
            real = idx < len(starts)
            rows = [stream.window(int(starts[i] if ok else starts[0]), seq_len + 1) for i, ok in zip(idx, real)]
            ids = torch.from_numpy(np.stack(rows)).to(device)
            inp, tgt = ids[:, :-1], ids[:, 1:]
            with ctx:
                logits = model(inp, ks)
            keep = torch.from_numpy(real)
            for i, k in enumerate(ks):
                ce = F.cross_entropy(logits[k].float().flatten(0, 1), tgt.flatten(), reduction="none")
                acc[i] += ce.view(len(idx), seq_len).double().sum(1).cpu()[keep].sum()
            acc[n] += float(real.sum()) * seq_len
            del logits
    finally:
        model.train(was_training)
        _reshard(model)
    if dist.is_initialized():
        dist.all_reduce(acc)
    loss_k = {str(k): float(acc[i] / acc[n]) for i, k in enumerate(ks)}
    return {"loss": sum(loss_k.values()) / n, "loss_k": loss_k,
            "ppl_k": {k: math.exp(min(v, 700.0)) for k, v in loss_k.items()}, "tokens": int(acc[n])}


def _reshard(model) -> None:
    """FSDP2 keeps a module gathered after a forward with no backward when reshard_after_forward is
    off (the last block): free it, so checkpoints and the next step see the sharded parameters."""
    try:
        from torch.distributed.fsdp import FSDPModule
    except ImportError:
        return
    for m in model.modules():
        if isinstance(m, FSDPModule):
            m.reshard()


class EarlyStopping:
    """The best held-out loss of each k, the best mean over k and its step, and the bad-evaluation
    count. patience None: only tracks the best (no stopping)."""

    def __init__(self, n_chains: int, patience: Optional[int] = None, min_delta: float = 0.0):
        self.n, self.patience, self.min_delta = n_chains, patience, float(min_delta)
        self.best_k = [math.inf] * n_chains
        self.best_mean = math.inf
        self.best_step = 0
        self.bad = 0              # evaluations in a row with no k improved
        self.stop_step = 0        # the step at which patience ran out (0: not stopped)

    def update(self, step: int, loss_k: dict) -> tuple[bool, bool]:
        """Takes an evaluation; returns (is the new best mean -> save `best`, stop now)."""
        vals = [float(loss_k[str(k)]) for k in range(1, self.n + 1)]
        improved = False
        for i, v in enumerate(vals):
            if v < self.best_k[i] - self.min_delta:   # Keras' rule: best_k moves on real improvements only
                self.best_k[i] = v
                improved = True
        self.bad = 0 if improved else self.bad + 1
        mean = sum(vals) / self.n
        new_best = mean < self.best_mean
        if new_best:
            self.best_mean, self.best_step = mean, step
        stop = self.patience is not None and self.bad >= self.patience
        if stop:
            self.stop_step = step
        return new_best, stop

    def record(self) -> dict:
        """What the log shows next to an evaluation."""
        out = {"eval_best_step": self.best_step, "eval_best_loss": self.best_mean, "eval_bad": self.bad}
        if self.patience is not None:
            out["eval_patience"] = self.patience
        return out

    # a checkpoint part: tensors and ints only, so DCP saves and loads it on any world size
    def state_dict(self) -> dict:
        return {"best_k": torch.tensor(self.best_k, dtype=torch.float64),
                "best_mean": torch.tensor([self.best_mean], dtype=torch.float64),
                "best_step": int(self.best_step), "bad": int(self.bad), "stop_step": int(self.stop_step)}

    def load_state_dict(self, d: dict) -> None:
        self.best_k = [float(x) for x in d["best_k"].tolist()]
        self.best_mean = float(d["best_mean"][0])
        self.best_step, self.bad, self.stop_step = int(d["best_step"]), int(d["bad"]), int(d["stop_step"])
