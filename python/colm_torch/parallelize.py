"""How a model is spread over devices: activation checkpointing per block, then FSDP2 per block.

The train loop calls `parallelize(model, ...)` and never looks inside the model; all it needs is
that `model.layers` is the list of transformer blocks (TorchTitan's layout).

- world size > 1: FSDP2 (`fully_shard`) on every block, then on the root (embedding, final norm,
  head). MixedPrecisionPolicy(param_dtype=dtype, reduce_dtype=float32): bf16 compute with fp32
  gradient reduction and fp32 master weights. Works on CPU with gloo and on GPUs with NCCL.
- world size 1: no sharding; bf16 runs use autocast over fp32 master weights (`autocast_context`).
"""
from __future__ import annotations

import contextlib

import torch
import torch.distributed as dist
from torch import nn

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}


def apply_activation_checkpointing(model: nn.Module) -> None:
    """Recompute each block's activations in backward instead of keeping them."""
    from torch.distributed.algorithms._checkpoint.checkpoint_wrapper import checkpoint_wrapper

    for i, block in enumerate(model.layers):
        model.layers[i] = checkpoint_wrapper(block, preserve_rng_state=False)


def apply_fsdp(model: nn.Module, param_dtype: torch.dtype) -> None:
    from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard

    mp = MixedPrecisionPolicy(param_dtype=param_dtype, reduce_dtype=torch.float32)
    n = len(model.layers)
    for i, block in enumerate(model.layers):
        # the last block's parameters are needed again at once by backward: keep them gathered
        fully_shard(block, mp_policy=mp, reshard_after_forward=i < n - 1)
    fully_shard(model, mp_policy=mp)


def parallelize(model: nn.Module, dtype: str, activation_checkpoint: bool) -> nn.Module:
    if activation_checkpoint:
        apply_activation_checkpointing(model)
    if dist.is_initialized() and dist.get_world_size() > 1:
        apply_fsdp(model, DTYPES[dtype])
    return model


def autocast_context(device: torch.device, dtype: str):
    """bf16 on one process without FSDP: autocast; everything else: nothing to do."""
    sharded = dist.is_initialized() and dist.get_world_size() > 1
    if dtype == "bfloat16" and not sharded:
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()
