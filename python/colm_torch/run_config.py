"""The run config: one JSON file, read into plain dataclasses ("flavors", as in TorchTitan).

A run config says what to train (a model config dict, or an `init` checkpoint), on what data, and
how. Every field has a default so a config can be short; unknown keys are refused by name, so a
typo never silently trains something else. docs/TRAINING.md lists every field.

    {
      "out": "runs/tiny",                      # RUN_DIR: config.json, tokenizer.json, run.json, checkpoints/
      "seed": 0,
      "model": {...FORMAT.md config...},       # or "init": "base.safetensors" / "RUN_DIR/init"
      "data":  {"tokenizer": "...", "corpus": ["texts/*.txt"], "seq_len": 256, "eval_fraction": 0.02},
      "optim": {"lr": 3e-4, "warmup": 100, "min_lr_ratio": 0.1, "weight_decay": 0.1, "clip": 1.0},
      "train": {"batch": 8, "grad_accum": 1, "steps": 1000, "loss_chains": null, "eval_every": 100,
                "early_stopping": {"patience": 5, "min_delta": 0.0}, ...}
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
    # the held-out split (evaluation): either a share of the training stream, or a separate set
    eval_fraction: float = 0.0          # share of the stream held out, in whole blocks spread evenly over it
    eval_block: Optional[int] = None    # tokens per block of that split; default 16 * (seq_len + 1)
    eval_corpus: list[str] = field(default_factory=list)  # or: held-out text files, tokenized to RUN_DIR/eval_data
    eval_shards: Optional[str] = None   # or: a folder of held-out shards (index.json); wins over eval_corpus

    def has_eval(self) -> bool:
        return self.eval_fraction > 0 or bool(self.eval_corpus) or self.eval_shards is not None

    def block_tokens(self) -> int:
        return self.eval_block or 16 * (self.seq_len + 1)


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
class EarlyStoppingConfig:
    patience: int = 5                   # evaluations in a row in which no sub-model k improved -> stop
    min_delta: float = 0.0              # an improvement is a held-out loss below best_k - min_delta


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
    eval_every: int = 0                 # steps between held-out evaluations (0: only at the end); needs a split
    eval_windows: int = 128             # held-out windows per evaluation (fixed; fewer if the split is smaller)
    eval_batch: Optional[int] = None    # windows per rank per forward; default train.batch
    early_stopping: Optional[EarlyStoppingConfig] = None   # {"patience": P, "min_delta": d}; default off


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
        es = cfg.train.early_stopping
        if isinstance(es, dict):
            cfg.train.early_stopping = _build(EarlyStoppingConfig, es, "train.early_stopping")
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
        self.data.eval_shards = rel(self.data.eval_shards)
        self.data.eval_corpus = [rel(p) for p in self.data.eval_corpus]

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
        dc = self.data
        if not 0.0 <= dc.eval_fraction < 1.0:
            raise ValueError("data.eval_fraction must be in [0, 1)")
        if dc.eval_fraction > 0 and (dc.eval_corpus or dc.eval_shards):
            raise ValueError("data: give eval_fraction (a share of the corpus) or eval_corpus/eval_shards, not both")
        if dc.eval_block is not None and dc.eval_block < dc.seq_len + 1:
            raise ValueError(f"data.eval_block must be >= seq_len + 1 = {dc.seq_len + 1}")
        if t.eval_every < 0 or t.eval_windows < 1 or (t.eval_batch is not None and t.eval_batch < 1):
            raise ValueError("train.eval_every >= 0, train.eval_windows >= 1, train.eval_batch >= 1")
        if (t.eval_every > 0 or t.early_stopping is not None) and not dc.has_eval():
            raise ValueError("train.eval_every / train.early_stopping need a held-out split: "
                             "data.eval_fraction, data.eval_corpus or data.eval_shards")
        es = t.early_stopping
        if es is not None:
            if t.eval_every < 1:
                raise ValueError("train.early_stopping needs train.eval_every >= 1")
            if es.patience < 1 or es.min_delta < 0:
                raise ValueError("train.early_stopping: patience >= 1 and min_delta >= 0")

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
