"""AdamW with linear warm-up and cosine decay, and gradient clipping.

Only parameters that require a gradient reach the optimizer, so frozen chains carry no optimizer
state and are never touched (no weight decay either). Matrices get weight decay; norm weights and
biases (1-D) do not.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from .run_config import OptimConfig


def build_optimizer(model: nn.Module, cfg: OptimConfig) -> torch.optim.AdamW:
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (decay if p.ndim >= 2 else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": cfg.weight_decay},
              {"params": no_decay, "weight_decay": 0.0}]
    groups = [g for g in groups if g["params"]]
    if not groups:
        raise ValueError("nothing to train: every parameter is frozen")
    # foreach=False: the same arithmetic order whatever the sharding, for bit-exact resume
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=tuple(cfg.betas), eps=cfg.eps, foreach=False)


def lr_at(step: int, total: int, cfg: OptimConfig) -> float:
    """Learning rate of optimizer step `step` (1-based): warm-up to cfg.lr over cfg.warmup steps,
    then half a cosine down to cfg.lr * cfg.min_lr_ratio at step `total`."""
    if cfg.warmup > 0 and step <= cfg.warmup:
        return cfg.lr * step / cfg.warmup
    span = max(1, total - cfg.warmup)
    t = min(1.0, (step - cfg.warmup) / span)
    lo = cfg.lr * cfg.min_lr_ratio
    return lo + (cfg.lr - lo) * 0.5 * (1.0 + math.cos(math.pi * t))


def set_lr(opt: torch.optim.Optimizer, lr: float) -> None:
    for g in opt.param_groups:
        g["lr"] = lr


def clip_grad_norm(params: list[torch.Tensor], max_norm: float) -> float:
    """Global grad norm over all ranks (DTensor-aware), clipped to max_norm when > 0."""
    params = [p for p in params if p.grad is not None]
    if not params:
        return 0.0
    norm = torch.nn.utils.clip_grad_norm_(params, max_norm if max_norm > 0 else float("inf"), foreach=False)
    if hasattr(norm, "full_tensor"):
        norm = norm.full_tensor()
    return float(norm)
