"""Throughput and model FLOPs utilisation, and the training log.

FLOPs per token (TorchTitan / PaLM appendix B convention):
    6 * N  +  12 * L * T * h * head_dim
N counts every parameter except the input embedding table (a lookup, no FLOPs); with a
block-lower-triangular chain linear only the stored blocks count, which is what the sparse kernel
computes. The second term is attention (QK^T and AV, forward and backward) at sequence length T.
Frozen chains are counted as trained (6 per parameter), as is usual.

MFU = FLOPs per token * tokens/s / (peak FLOPs per device * devices). The peak is
`train.peak_flops` in the run config, else a guess from the GPU name (dense bf16 tensor-core peak,
the same for float32 runs: we report against the hardware's best), else MFU is not reported.
"""
from __future__ import annotations

import json
import os
import time
from typing import Optional

import torch
from torch import nn

# dense bf16 peak per device (no sparsity), FLOP/s
_PEAKS = [("H200", 989e12), ("H100", 989e12), ("H800", 989e12), ("A100", 312e12), ("A800", 312e12),
          ("L40S", 362e12), ("L4", 121e12), ("A10", 125e12), ("4090", 165e12), ("3090", 71e12),
          ("V100", 125e12), ("T4", 65e12)]


def guess_peak_flops(device: torch.device) -> Optional[float]:
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    for key, peak in _PEAKS:
        if key in name:
            return peak
    return None


def count_params(model: nn.Module) -> tuple[int, int]:
    """(all parameters, all but the input embedding), counted on full (unsharded) shapes."""
    total, embed = 0, 0
    for name, p in model.named_parameters():
        n = p.numel()  # a DTensor reports its global size
        total += n
        if "embed_tokens" in name or name.endswith("embed.weight"):
            embed += n
    return total, total - embed


def flops_per_token(n_non_embed: int, cfg, seq_len: int) -> float:
    L = cfg["num_hidden_layers"]
    h = cfg["num_attention_heads"]
    hd = cfg.get("head_dim") or cfg["hidden_size"] // h
    return 6.0 * n_non_embed + 12.0 * L * seq_len * h * hd


class Meter:
    """Tokens/s and MFU over the steps since the last report."""

    def __init__(self, flops_tok: float, peak: Optional[float], world: int):
        self.flops_tok, self.peak, self.world = flops_tok, peak, world
        self.reset()

    def reset(self) -> None:
        self.t0 = time.perf_counter()
        self.tokens = 0

    def add(self, tokens: int) -> None:
        self.tokens += tokens

    def read(self) -> dict:
        dt = max(time.perf_counter() - self.t0, 1e-9)
        tps = self.tokens / dt
        out = {"tok_s": tps}
        if self.peak:
            out["mfu"] = self.flops_tok * tps / (self.peak * self.world)
        self.reset()
        return out


class Logger:
    """Rank 0 prints one line per report and appends the same record to RUN_DIR/log.jsonl.
    A step with a held-out evaluation also carries eval_loss (mean over k), eval_loss_k, eval_ppl_k,
    eval_tokens, eval_best_loss / eval_best_step (the best mean so far), eval_bad (evaluations in a
    row with no k improved), eval_patience and early_stop when early stopping is on."""

    def __init__(self, run_dir: str, rank: int):
        self.rank = rank
        self.path = os.path.join(run_dir, "log.jsonl")

    def log(self, rec: dict) -> None:
        if self.rank != 0:
            return
        parts = [f"step {rec['step']}", f"loss {rec['loss']:.4f}"]
        parts += [f"k{k} {v:.4f}" for k, v in rec["loss_k"].items()]
        parts += [f"lr {rec['lr']:.3g}", f"gnorm {rec['grad_norm']:.3f}", f"tok/s {rec['tok_s']:.0f}"]
        if "mfu" in rec:
            parts.append(f"mfu {100 * rec['mfu']:.2f}%")
        if "eval_loss" in rec:  # a held-out evaluation at this step
            ev = " ".join(f"k{k} {v:.4f} (ppl {rec['eval_ppl_k'][k]:.2f})" for k, v in rec["eval_loss_k"].items())
            best = f"best {rec['eval_best_loss']:.4f} @ step {rec['eval_best_step']}"
            if "eval_patience" in rec:
                best += f", {rec['eval_bad']}/{rec['eval_patience']} without improvement"
            parts.append(f"eval {rec['eval_loss']:.4f}: {ev}; {best}" + (" -> early stop" if rec.get("early_stop") else ""))
        print(" | ".join(parts), flush=True)
        with open(self.path, "a") as f:
            f.write(json.dumps(rec) + "\n")

    def info(self, msg: str) -> None:
        if self.rank == 0:
            print(msg, flush=True)
