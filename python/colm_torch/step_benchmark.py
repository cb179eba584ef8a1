"""Training-step time of a CoLM-Air model against dense Llamas of its shape and of its parameters.

The issue's GPU check: one GPU, bf16 parameters, the multi-chain loss for the CoLM and the plain
loss for the dense model, AdamW; tokens/s, MFU and the step-time ratio CoLM / dense against its
ideal (the chain linears' share of a dense layer, (n+1)/(2n) for n equal chains) + 10%.
`python/scripts/gpu_check.py` calls `gpu_step_benchmark()`; the tests run `step_benchmark` on the
CPU with tiny shapes, so the code path is checked where no GPU is.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from colm_torch.config import ColmConfig
from colm_torch.model import ColmForCausalLM

# About 350M stored parameters: CoLM-Air with 4 equal chains, Llama-style head sizes.
AIR_350M = {
    "model_type": "colm", "hidden_size": 2048, "intermediate_size": 5632, "num_hidden_layers": 8,
    "num_attention_heads": 16, "num_key_value_heads": 4, "head_dim": 128, "vocab_size": 32000,
    "chains": [1, 1, 1, 1], "kv_sharing": True, "max_position_embeddings": 4096,
}


@dataclass
class StepResult:
    name: str
    parameters: int
    step_ms: float
    tokens_per_second: float
    mfu: float | None


def dense_like(colm: dict, target_params: int, head_dim_multiple: int = 16) -> dict:
    """A 1-chain Llama with the CoLM's depth, heads and vocabulary whose width (head_dim a multiple of
    head_dim_multiple, 16 for tensor cores) gives the stored parameter count closest to target_params."""
    best, best_gap = None, None
    heads = colm["num_attention_heads"]
    step = heads * head_dim_multiple
    for hidden in range(step, 2 * colm["hidden_size"] + 1, step):
        cfg = {**colm, "chains": [1], "kv_sharing": False, "hidden_size": hidden,
               "intermediate_size": max(step, int(round(hidden * colm["intermediate_size"] / colm["hidden_size"] / step)) * step),
               "head_dim": hidden // heads}
        with torch.device("meta"):
            n = ColmForCausalLM(ColmConfig.from_dict(cfg, "dense_like")).num_params()
        gap = abs(n - target_params)
        if best_gap is None or gap < best_gap:
            best, best_gap = cfg, gap
    assert best is not None
    return best


def _time_steps(model: ColmForCausalLM, ks: list[int], batch: int, seq: int, steps: int, device: torch.device) -> float:
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    gen = torch.Generator(device="cpu").manual_seed(0)
    vocab = model.config.vocab_size
    ids = torch.randint(0, vocab, (batch, seq + 1), generator=gen).to(device)

    def step() -> None:
        logits = model(ids[:, :-1], ks)
        loss = sum(F.cross_entropy(logits[k].float().flatten(0, 1), ids[:, 1:].flatten()) for k in ks) / len(ks)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    step()  # warm-up: kernels compiled, autotune done, optimizer state allocated
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / steps


def step_benchmark(colm_cfg: dict, device: str = "cuda", dtype: torch.dtype = torch.bfloat16, batch: int = 4,
                   seq: int = 2048, steps: int = 5, kernel: str = "auto", peak_flops: float | None = None,
                   head_dim_multiple: int = 16) -> dict:
    """Step times of the CoLM (multi-chain loss over every k), of the dense model of its shape (the
    same widths with one chain: the ideal ratio is the chain linears' mask share) and of a dense
    model of its stored parameter count."""
    dev = torch.device(device)
    colm_config = ColmConfig.from_dict(colm_cfg, "step_benchmark")
    with torch.device("meta"):
        target = ColmForCausalLM(colm_config).num_params()
    same_shape = {**colm_cfg, "chains": [1], "kv_sharing": False}
    same_params = dense_like(colm_cfg, target, head_dim_multiple)
    n = len(colm_cfg["chains"])
    results = []
    for name, cfg, ks in (("colm-air", colm_cfg, list(range(1, n + 1))),
                          ("dense, same shape", same_shape, [1]),
                          ("dense, same params", same_params, [1])):
        model = ColmForCausalLM(ColmConfig.from_dict(cfg, "step_benchmark"), kernel=kernel)
        model.init_weights()
        model.to(device=dev, dtype=dtype)
        seconds = _time_steps(model, ks, batch, seq, steps, dev)
        tokens = batch * seq
        flops = model.flops_per_token(seq) * tokens  # 6 x parameters + attention, per token
        results.append(StepResult(name, model.num_params(), seconds * 1e3, tokens / seconds,
                                  flops / seconds / peak_flops if peak_flops else None))
        del model
        if dev.type == "cuda":
            torch.cuda.empty_cache()
    ideal = (n + 1) / (2 * n)
    ratio = results[0].step_ms / results[1].step_ms
    return {"results": results, "ratio": ratio, "ratio_same_params": results[0].step_ms / results[2].step_ms,
            "ideal": ideal, "target": ideal + 0.10, "met": ratio <= ideal + 0.10}


def gpu_step_benchmark(quick: bool = False) -> dict:
    """The GPU check's training-step row (python/scripts/gpu_check.py): prints and returns it."""
    name = torch.cuda.get_device_name(0)
    peak = 989e12 if ("H100" in name or "H200" in name) else None  # dense bf16 tensor-core peak
    out = step_benchmark(AIR_350M, device="cuda", steps=2 if quick else 5, peak_flops=peak)
    for r in out["results"]:
        mfu = f"{100 * r.mfu:.1f}%" if r.mfu is not None else "-"
        print(f"  {r.name:18s} {r.parameters / 1e6:7.1f}M params  {r.step_ms:8.1f} ms/step  "
              f"{r.tokens_per_second:9.0f} tok/s  MFU {mfu}")
    print(f"  CoLM / dense of its shape: step time {out['ratio']:.3f} (ideal {out['ideal']:.3f} for the chain "
          f"linears, target <= {out['target']:.3f}: {'met' if out['met'] else 'NOT met'}); "
          f"CoLM / dense of its parameters: {out['ratio_same_params']:.3f}")
    return out
