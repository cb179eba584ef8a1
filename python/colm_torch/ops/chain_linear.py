"""The chain linear: a linear map whose weight is block lower-triangular (COLM.md, FORMAT.md).

Output chain i reads input columns [0, cum_in_i) only. It is stored per chain: weights[i] has shape
[out_i, cum_in_i], with cum_in_0 <= cum_in_1 <= ... . Sub-model k uses chains 0..k-1 and its output
is the concatenation y = [y_0, .., y_{k-1}], y_i = x[..., :cum_in_i] @ W_i^T (+ b_i).

Two implementations behind one call:
  "torch"  one matmul per chain (F.linear on the input prefix); the reference and the fallback.
  "triton" the block-sparse kernel of chain_linear_triton.py (forward, grad-input and grad-weight
           walk only the blocks inside the mask).
  "auto"   "triton" when x is on CUDA and Triton imports, else "torch".
"""

from __future__ import annotations

from typing import Optional, Sequence

import torch
import torch.nn.functional as F

_IMPLS = ("torch", "triton", "auto")


def triton_available() -> bool:
    """True when Triton imports (kernels still need CUDA, or TRITON_INTERPRET=1 for CPU tensors)."""
    try:
        import triton  # noqa: F401
        import triton.language  # noqa: F401
    except Exception:
        return False
    return True


def _check_args(x: torch.Tensor, weights: Sequence[torch.Tensor],
                biases: Optional[Sequence[Optional[torch.Tensor]]], k: int) -> None:
    if not 1 <= k <= len(weights):
        raise ValueError(f"chain_linear: k={k} must be in 1..{len(weights)} (the number of chains)")
    prev = 0
    for i in range(k):
        w = weights[i]
        if w.dim() != 2:
            raise ValueError(f"chain_linear: weights[{i}] must be 2-D [out_i, cum_in_i], got {tuple(w.shape)}")
        if w.shape[1] < prev:
            raise ValueError(f"chain_linear: cum_in must not decrease: weights[{i}] reads {w.shape[1]} "
                             f"columns, chain {i - 1} reads {prev}")
        prev = w.shape[1]
        if biases is not None and biases[i] is not None and tuple(biases[i].shape) != (w.shape[0],):
            raise ValueError(f"chain_linear: biases[{i}] must have shape [{w.shape[0]}], got {tuple(biases[i].shape)}")
    if x.shape[-1] < prev:
        raise ValueError(f"chain_linear: x has {x.shape[-1]} features, chain {k - 1} reads {prev}")


def chain_linear_torch(x: torch.Tensor, weights: Sequence[torch.Tensor],
                       biases: Optional[Sequence[Optional[torch.Tensor]]], k: int) -> torch.Tensor:
    """Reference: y_i = x[..., :cum_in_i] @ W_i^T (+ b_i) for i < k, concatenated. Autograd by torch."""
    ys = []
    for i in range(k):
        w = weights[i]
        b = None if biases is None else biases[i]
        ys.append(F.linear(x[..., : w.shape[1]], w, b))
    return ys[0] if k == 1 else torch.cat(ys, dim=-1)


def dense_masked_weight(weights: Sequence[torch.Tensor], k: Optional[int] = None) -> torch.Tensor:
    """The whole [sum out_i, cum_in_{k-1}] weight, zero outside the block lower-triangular mask."""
    k = len(weights) if k is None else k
    width = weights[k - 1].shape[1]
    rows = []
    for i in range(k):
        w = weights[i]
        rows.append(F.pad(w, (0, width - w.shape[1])))
    return torch.cat(rows, dim=0)


def chain_linear(x: torch.Tensor, weights: Sequence[torch.Tensor],
                 biases: Optional[Sequence[Optional[torch.Tensor]]], k: int,
                 impl: str = "torch") -> torch.Tensor:
    """Chain linear of sub-model k: x [..., >= cum_in_{k-1}] -> [..., out_0 + .. + out_{k-1}].

    weights[i]: [out_i, cum_in_i]; biases: None, or a sequence whose entries are [out_i] tensors
    (or None for a chain without bias). fp32, bf16 and fp16 (fp32 accumulation in the kernel).
    """
    if impl not in _IMPLS:
        raise ValueError(f"chain_linear: impl must be one of {_IMPLS}, got {impl!r}")
    _check_args(x, weights, biases, k)
    if impl == "auto":
        impl = "triton" if (x.is_cuda and triton_available()) else "torch"
    if impl == "torch":
        return chain_linear_torch(x, weights, biases, k)
    from .chain_linear_triton import chain_linear_triton
    return chain_linear_triton(x, weights, biases, k)
