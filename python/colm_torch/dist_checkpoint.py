"""Sharded training checkpoints with torch.distributed.checkpoint (DCP).

RUN_DIR/checkpoints/step_N/ holds one DCP checkpoint of the state dict
    {"model": model state dict (sharded under FSDP2; HF/FORMAT.md names, no wrapper prefixes),
     "optim": optimizer state dict (keyed by parameter names),
     "step": N, "rng": torch CPU (and CUDA) generator state, "data": the sampler state,
     "eval": the early-stopping state (evaluate.EarlyStopping), only in runs that evaluate}
Every rank writes its own shards; a step is written to step_N.tmp and renamed when complete, so a
folder named step_N is always whole. `export.load_run` (P1) reads the "model" part.

RUN_DIR/best/step_N/ (runs with a held-out split) holds the weights of the evaluation with the
lowest mean held-out loss over k: a DCP checkpoint of {"model", "step"} plus eval.json (the
evaluation). At most two are kept: the one the latest training checkpoint's eval state names and a
newer, better one written since; the highest N is the best. `export RUN_DIR --best` reads it.
"""
from __future__ import annotations

import os
import re
import shutil
import warnings
import json
from typing import Optional

import torch
import torch.distributed as dist
import torch.distributed.checkpoint as dcp
from torch.distributed.checkpoint.state_dict import (StateDictOptions, get_model_state_dict, get_state_dict,
                                                     set_state_dict)

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


def _write_whole(state: dict, final: str, files: Optional[dict] = None) -> None:
    """DCP-save `state` to final.tmp (every rank its part), add `files` (rank 0), rename to final."""
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
        for name, obj in (files or {}).items():
            with open(os.path.join(tmp, name), "w") as f:
                json.dump(obj, f, indent=1)
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)


def save(run_dir: str, step: int, model, optim, data_state: dict, keep: int = 0,
         eval_state: Optional[dict] = None) -> str:
    msd, osd = get_state_dict(model, optim, options=StateDictOptions(full_state_dict=False))
    state = {"model": msd, "optim": osd, "step": step, "rng": _rng_state(), "data": data_state}
    if eval_state is not None:
        state["eval"] = eval_state
    final = os.path.join(checkpoint_dir(run_dir), f"step_{step}")
    _write_whole(state, final)
    if _rank() == 0:
        if keep > 0:
            for old in list_steps(run_dir)[:-keep]:
                shutil.rmtree(os.path.join(checkpoint_dir(run_dir), f"step_{old}"), ignore_errors=True)
    _barrier()
    return final


def load(run_dir: str, step: int, model, optim, data_template: dict, eval_template: Optional[dict] = None) -> dict:
    """Load step_N into model and optim (in place); returns {"step", "data", "rng", "eval"} and restores
    RNG. DCP loads into the structure it is given, so `data_template` names the data keys to read, and
    `eval_template` the early-stopping state's ("eval" is None when the checkpoint has none)."""
    msd, osd = get_state_dict(model, optim, options=StateDictOptions(full_state_dict=False))
    state = {"model": msd, "optim": osd, "step": 0, "rng": _rng_state(), "data": dict(data_template)}
    path = os.path.join(checkpoint_dir(run_dir), f"step_{step}")
    if eval_template is not None:
        stored = dcp.FileSystemReader(path).read_metadata().state_dict_metadata
        if any(k.startswith("eval.") for k in stored):
            state["eval"] = dict(eval_template)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*torch.distributed is disabled.*")
        dcp.load(state, checkpoint_id=path)
    set_state_dict(model, optim, model_state_dict=state["model"], optim_state_dict=state["optim"],
                   options=StateDictOptions(full_state_dict=False))
    torch.set_rng_state(state["rng"]["cpu"])
    if "cuda" in state["rng"] and torch.cuda.is_available():
        torch.cuda.set_rng_state(state["rng"]["cuda"])
    return {"step": int(state["step"]), "data": state["data"], "rng": state["rng"], "eval": state.get("eval")}


# ---- the best weights (held-out evaluation) -------------------------------------------------------
def best_dir(run_dir: str) -> str:
    return os.path.join(run_dir, "best")


def list_best_steps(run_dir: str) -> list[int]:
    d = best_dir(run_dir)
    if not os.path.isdir(d):
        return []
    return sorted(int(m.group(1)) for n in os.listdir(d) if (m := _STEP.match(n))
                  and os.path.exists(os.path.join(d, n, ".metadata")))


def prune_best(run_dir: str, keep: set[int]) -> None:
    """Rank 0: delete best/step_N for every N not in `keep` (and any unfinished .tmp)."""
    if _rank() != 0 or not os.path.isdir(best_dir(run_dir)):
        return
    for name in os.listdir(best_dir(run_dir)):
        m = _STEP.match(name)
        if name.endswith(".tmp") or (m and int(m.group(1)) not in keep):
            shutil.rmtree(os.path.join(best_dir(run_dir), name), ignore_errors=True)


def save_best(run_dir: str, step: int, model, info: dict, keep: set[int]) -> str:
    """Write the model (sharded as it is) to best/step_N with eval.json = info; keep only N and `keep`."""
    msd = get_model_state_dict(model, options=StateDictOptions(full_state_dict=False))
    final = os.path.join(best_dir(run_dir), f"step_{step}")
    _write_whole({"model": msd, "step": step}, final, {"eval.json": info})
    prune_best(run_dir, set(keep) | {step})
    _barrier()
    return final
