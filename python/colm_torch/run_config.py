"""The run config: one JSON file, read into plain dataclasses ("flavors", as in TorchTitan).

A run config says what to train (a model config dict, or an `init` checkpoint), on what data, and
how. Every field has a default so a config can be short; unknown keys are refused by name, so a
typo never silently trains something else. docs/TRAINING.md lists every field.

    {
      "out": "runs/tiny",                      # RUN_DIR: config.json, tokenizer.json, run.json, checkpoints/
      "seed": 0,
      "model": {...FORMAT.md config...},       # or "init": "base.safetensors" / "RUN_DIR/init"
      "data":  {"tokenizer": "...", "corpus": ["texts/*.txt"], "seq_len": 256},
      "optim": {"lr": 3e-4, "warmup": 100, "min_lr_ratio": 0.1, "weight_decay": 0.1, "clip": 1.0},
      "train": {"batch": 8, "grad_accum": 1, "steps": 1000, "loss_chains": null, ...}
    }
"""
from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass
class DataConfig:
    tokenizer: Optional[str] = None     # tokenizer.json; default: RUN_DIR/tokenizer.json or the init's
    corpus: list[str] = field(default_factory=list)   # text files, folders or globs (tokenized once)
    shards: Optional[str] = None        # a folder of pre-tokenized shards (index.json); wins over corpus
    seq_len: int = 256
    eos_token: Optional[str] = None     # appended after each file; default: the config's eos / <|endoftext|> / </s>


@dataclass
class OptimConfig:
    lr: float = 3e-4                    # peak learning rate
    warmup: int = 100                   # linear warm-up steps (0 -> none)
    min_lr_ratio: float = 0.1           # cosine decays to lr * min_lr_ratio at the last step
    weight_decay: float = 0.1           # AdamW, on matrices only (not norms, biases)
    betas: tuple[float, float] = (0.9, 0.95)
    eps: float = 1e-8
    clip: float = 1.0                   # max global grad norm; 0 -> no clipping


@dataclass
class TrainConfig:
    batch: int = 8                      # sequences per rank per micro-step
    grad_accum: int = 1                 # micro-steps per optimizer step
    steps: int = 1000                   # optimizer steps in all
    loss_chains: Optional[list[int]] = None     # which sub-models k get a loss; default all 1..n
    loss_weights: Optional[list[float]] = None  # one per loss_chains entry; default equal, summing to 1
    freeze_chains: Optional[int] = None         # chains 1..K not trained; default 0 (or RUN_DIR/run.json's)
    dtype: str = "float32"              # parameter/compute dtype: float32 or bfloat16 (reduce is fp32)
    activation_checkpoint: bool = False # recompute each block in backward
    kernel: str = "torch"               # chain linear: "torch" (per-chain matmul) or "triton"
    device: str = "auto"                # auto: cuda when present, else cpu
    checkpoint_every: int = 500         # steps between checkpoints (the last step always saves)
    keep_checkpoints: int = 3           # older step_N folders are deleted; 0 keeps all
    log_every: int = 10
    peak_flops: Optional[float] = None  # per device, for MFU; default a guess from the GPU name


@dataclass
class RunConfig:
    out: str = "runs/run"
    seed: int = 0
    model: Optional[dict[str, Any]] = None
    init: Optional[str] = None
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    # ---- reading and writing ------------------------------------------------------------------
    @classmethod
    def from_dict(cls, d: dict, base_dir: str = ".") -> "RunConfig":
        """Paths in the file are relative to the file's folder (so a config can travel with its data)."""
        d = dict(d)
        sections = {"data": DataConfig, "optim": OptimConfig, "train": TrainConfig}
        kw: dict[str, Any] = {}
        for name, sub in sections.items():
            kw[name] = _build(sub, d.pop(name, {}) or {}, name)
        top = _build(cls, d, "run config", partial=True)
        cfg = cls(**top, **kw)
        cfg.optim.betas = tuple(cfg.optim.betas)
        cfg._resolve_paths(base_dir)
        cfg.validate()
        return cfg

    @classmethod
    def load(cls, path: str) -> "RunConfig":
        with open(path) as f:
            d = json.load(f)
        return cls.from_dict(d, base_dir=os.path.dirname(os.path.abspath(path)))

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["optim"]["betas"] = list(self.optim.betas)
        return d

    def _resolve_paths(self, base: str) -> None:
        rel = lambda p: p if p is None or os.path.isabs(p) else os.path.normpath(os.path.join(base, p))
        self.out = rel(self.out)
        self.init = rel(self.init)
        self.data.tokenizer = rel(self.data.tokenizer)
        self.data.shards = rel(self.data.shards)
        self.data.corpus = [rel(p) for p in self.data.corpus]

    def validate(self) -> None:
        t, o = self.train, self.optim
        if self.model is not None and self.init is not None:
            raise ValueError("run config: give `model` (a config, random init) or `init` (a checkpoint), not both")
        if t.dtype not in ("float32", "bfloat16"):
            raise ValueError(f"train.dtype: {t.dtype!r} is not float32 or bfloat16")
        if t.kernel not in ("torch", "triton"):
            raise ValueError(f"train.kernel: {t.kernel!r} is not torch or triton")
        for name in ("batch", "grad_accum", "steps", "log_every", "checkpoint_every"):
            if getattr(t, name) < 1:
                raise ValueError(f"train.{name} must be >= 1")
        if self.data.seq_len < 1:
            raise ValueError("data.seq_len must be >= 1")
        if t.loss_weights is not None:
            if t.loss_chains is None or len(t.loss_weights) != len(t.loss_chains):
                raise ValueError("train.loss_weights needs train.loss_chains of the same length")
        if t.loss_chains is not None and (not t.loss_chains or len(set(t.loss_chains)) != len(t.loss_chains)):
            raise ValueError("train.loss_chains: a non-empty list of distinct k")
        if o.warmup < 0 or not (0.0 <= o.min_lr_ratio <= 1.0):
            raise ValueError("optim.warmup >= 0 and 0 <= optim.min_lr_ratio <= 1")

    def loss_plan(self, n_chains: int) -> tuple[list[int], list[float]]:
        """(ks, weights) of the multi-chain loss for a model of n chains."""
        ks = list(self.train.loss_chains or range(1, n_chains + 1))
        for k in ks:
            if not 1 <= k <= n_chains:
                raise ValueError(f"train.loss_chains: k={k} is not in 1..{n_chains}")
        ws = list(self.train.loss_weights or [1.0 / len(ks)] * len(ks))
        return ks, [float(w) for w in ws]


def _build(cls, d: dict, where: str, partial: bool = False) -> dict | Any:
    names = {f.name for f in dataclasses.fields(cls)}
    if partial:
        names -= {"data", "optim", "train"}
    unknown = sorted(set(d) - names)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(names))})")
    return dict(d) if partial else cls(**d)
