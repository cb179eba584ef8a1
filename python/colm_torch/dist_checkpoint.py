"""Sharded training checkpoints with torch.distributed.checkpoint (DCP).

RUN_DIR/checkpoints/step_N/ holds one DCP checkpoint of the state dict
    {"model": model state dict (sharded under FSDP2; HF/FORMAT.md names, no wrapper prefixes),
     "optim": optimizer state dict (keyed by parameter names),
     "step": N, "rng": torch CPU (and CUDA) generator state, "data": the sampler state}
Every rank writes its own shards; a step is written to step_N.tmp and renamed when complete, so a
folder named step_N is always whole. `export.load_run` (P1) reads the "model" part.
"""
from __future__ import annotations

import os
import re
import shutil
import warnings
from typing import Optional

import torch
import torch.distributed as dist
import torch.distributed.checkpoint as dcp
from torch.distributed.checkpoint.state_dict import StateDictOptions, get_state_dict, set_state_dict

_STEP = re.compile(r"^step_(\d+)$")


def _rank() -> int:
    return dist.get_rank() if dist.is_initialized() else 0


def _barrier() -> None:
    if dist.is_initialized():
        dist.barrier()


def checkpoint_dir(run_dir: str) -> str:
    return os.path.join(run_dir, "checkpoints")


def list_steps(run_dir: str) -> list[int]:
    d = checkpoint_dir(run_dir)
    if not os.path.isdir(d):
        return []
    steps = [int(m.group(1)) for n in os.listdir(d) if (m := _STEP.match(n))
             and os.path.exists(os.path.join(d, n, ".metadata"))]
    return sorted(steps)


def latest_step(run_dir: str) -> Optional[int]:
    steps = list_steps(run_dir)
    return steps[-1] if steps else None


def _rng_state() -> dict:
    st = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        st["cuda"] = torch.cuda.get_rng_state()
    return st


def save(run_dir: str, step: int, model, optim, data_state: dict, keep: int = 0) -> str:
    msd, osd = get_state_dict(model, optim, options=StateDictOptions(full_state_dict=False))
    state = {"model": msd, "optim": osd, "step": step, "rng": _rng_state(), "data": data_state}
    final = os.path.join(checkpoint_dir(run_dir), f"step_{step}")
    tmp = final + ".tmp"
    if _rank() == 0:
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp, exist_ok=True)
    _barrier()
    with warnings.catch_warnings():  # "assuming the intent is to save in a single process": it is
        warnings.filterwarnings("ignore", message=".*torch.distributed is disabled.*")
        dcp.save(state, checkpoint_id=tmp)
    _barrier()
    if _rank() == 0:
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
        if keep > 0:
            for old in list_steps(run_dir)[:-keep]:
                shutil.rmtree(os.path.join(checkpoint_dir(run_dir), f"step_{old}"), ignore_errors=True)
    _barrier()
    return final


def load(run_dir: str, step: int, model, optim, data_template: dict) -> dict:
    """Load step_N into model and optim (in place); returns {"step", "data", "rng"} and restores RNG.
    DCP loads into the structure it is given, so `data_template` names the data keys to read."""
    msd, osd = get_state_dict(model, optim, options=StateDictOptions(full_state_dict=False))
    state = {"model": msd, "optim": osd, "step": 0, "rng": _rng_state(), "data": dict(data_template)}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*torch.distributed is disabled.*")
        dcp.load(state, checkpoint_id=os.path.join(checkpoint_dir(run_dir), f"step_{step}"))
    set_state_dict(model, optim, model_state_dict=state["model"], optim_state_dict=state["optim"],
                   options=StateDictOptions(full_state_dict=False))
    torch.set_rng_state(state["rng"]["cpu"])
    if "cuda" in state["rng"] and torch.cuda.is_available():
        torch.cuda.set_rng_state(state["rng"]["cuda"])
    return {"step": int(state["step"]), "data": state["data"], "rng": state["rng"]}
