"""Export a training run to FORMAT.md, for this project's engine.

    python -m colm_torch.export RUN_DIR --out MODEL.safetensors      # one file, config + tokenizer inside
    python -m colm_torch.export RUN_DIR --out MODEL_DIR              # a folder
        [--step N | --best] [--dtype float32|bfloat16|float16]

RUN_DIR is what `colm_torch.train` (or `colm_torch.expand`) writes:
    config.json                 ColmConfig.to_dict()
    tokenizer.json              (+ tokenizer_config.json, generation_config.json when present)
    checkpoints/step_N/         torch.distributed.checkpoint, state dict key "model" = model.state_dict()
    init/model.safetensors      FORMAT.md, the start of a run (used when there is no checkpoint yet)
    best/step_N/                DCP {"model"}: the weights of the best held-out evaluation (--best)
The latest step is taken unless --step or --best says otherwise. DCP reads a sharded checkpoint on one process
without a process group, whatever the world size that wrote it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import warnings

import torch

from .checkpoint_io import EXTRA_FILES, CheckpointError, load_model, save_model
from .config import ColmConfig, ConfigError
from .model import ColmForCausalLM

_STEP = re.compile(r"^step_(\d+)$")
# Prefixes wrappers may leave in state-dict names (torch.compile, activation checkpointing, DDP).
_WRAPPER_PARTS = ("_orig_mod.", "_checkpoint_wrapped_module.", "_fsdp_wrapped_module.", "module.")


def run_steps(run_dir: str) -> list[int]:
    """Steps with a complete DCP checkpoint (a .metadata file), ascending."""
    d = os.path.join(run_dir, "checkpoints")
    if not os.path.isdir(d):
        return []
    return sorted(int(m.group(1)) for name in os.listdir(d)
                  if (m := _STEP.match(name)) and os.path.exists(os.path.join(d, name, ".metadata")))


def best_steps(run_dir: str) -> list[int]:
    """Steps with complete best/step_N weights, ascending; the last is the run's best evaluation."""
    d = os.path.join(run_dir, "best")
    if not os.path.isdir(d):
        return []
    return sorted(int(m.group(1)) for name in os.listdir(d)
                  if (m := _STEP.match(name)) and os.path.exists(os.path.join(d, name, ".metadata")))


def run_extras(run_dir: str) -> dict:
    out = {}
    for key, fname in EXTRA_FILES.items():
        p = os.path.join(run_dir, fname)
        out[key] = open(p, encoding="utf-8").read() if os.path.exists(p) else None
    return out


def _clean(name: str) -> str:
    for part in _WRAPPER_PARTS:
        name = name.replace(part, "")
    return name


@torch.no_grad()
def load_dcp_model_state(model: ColmForCausalLM, ckpt_dir: str) -> None:
    """Loads the "model" part of a DCP checkpoint into `model` (plain tensors, one process)."""
    import torch.distributed.checkpoint as dcp
    from torch.distributed.checkpoint.metadata import TensorStorageMetadata

    reader = dcp.FileSystemReader(ckpt_dir)
    meta = reader.read_metadata().state_dict_metadata
    params = dict(model.state_dict())
    # Template with the stored names, shapes and dtypes; copied (and cast) into the model after.
    template, target = {}, {}
    for key, md in meta.items():
        if not key.startswith("model."):
            continue
        name = _clean(key[len("model."):])
        if name not in params:
            raise CheckpointError(f"{ckpt_dir}: tensor {key} has no parameter {name} in the model of config.json")
        if not isinstance(md, TensorStorageMetadata):
            raise CheckpointError(f"{ckpt_dir}: {key} is not a tensor")
        if list(md.size) != list(params[name].shape):
            raise CheckpointError(f"{ckpt_dir}: tensor {key} has shape {list(md.size)}, config.json needs {list(params[name].shape)}")
        template[key[len("model."):]] = torch.empty(md.size, dtype=md.properties.dtype)
        target[key[len("model."):]] = name
    missing = sorted(set(params) - set(target.values()))
    if missing:
        raise CheckpointError(f"{ckpt_dir}: missing tensor model.{missing[0]}" + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
    state = {"model": template}
    with warnings.catch_warnings():     # "no process group: loading in a single process" is the intent
        warnings.simplefilter("ignore", UserWarning)
        dcp.load(state, storage_reader=reader)
    for stored, name in target.items():
        params[name].copy_(state["model"][stored].to(params[name].dtype))


def load_run(run_dir: str, step: int | None = None, dtype: torch.dtype = torch.float32,
             kernel: str = "torch", best: bool = False) -> ColmForCausalLM:
    """The model of RUN_DIR at `step` (default: the latest checkpoint, else init/model.safetensors);
    best=True: the weights of the best held-out evaluation (best/step_N, the highest N)."""
    cfg_path = os.path.join(run_dir, "config.json")
    if best:
        if step is not None:
            raise CheckpointError("give a step or best, not both")
        got = best_steps(run_dir)
        if not got:
            raise CheckpointError(f"{run_dir}: no best/step_N (the run had no held-out evaluation, or none finished)")
        model = _empty_model(cfg_path, dtype, kernel)
        load_dcp_model_state(model, os.path.join(run_dir, "best", f"step_{got[-1]}"))
        return model
    steps = run_steps(run_dir)
    if step is None and not steps:
        init = os.path.join(run_dir, "init", "model.safetensors")
        if not os.path.exists(init):
            raise CheckpointError(f"{run_dir}: no checkpoints/step_N and no init/model.safetensors")
        model, _ = load_model(init, dtype=dtype, kernel=kernel)
        return model
    if step is not None and step not in steps:
        raise CheckpointError(f"{run_dir}: no complete checkpoint for step {step} (have: {steps or 'none'})")
    step = steps[-1] if step is None else step
    model = _empty_model(cfg_path, dtype, kernel)
    load_dcp_model_state(model, os.path.join(run_dir, "checkpoints", f"step_{step}"))
    return model


def _empty_model(cfg_path: str, dtype: torch.dtype, kernel: str) -> ColmForCausalLM:
    if not os.path.exists(cfg_path):
        raise CheckpointError(f"{cfg_path}: missing")
    try:
        with open(cfg_path, encoding="utf-8") as f:
            config = ColmConfig.from_dict(json.load(f), cfg_path)
    except (ConfigError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{cfg_path}: {e}") from None
    with torch.device("meta"):
        model = ColmForCausalLM(config, kernel=kernel)
    model.to_empty(device="cpu")
    model.to(dtype)
    return model


def export_run(run_dir: str, out: str, step: int | None = None, dtype: str = "float32", best: bool = False) -> str:
    model = load_run(run_dir, step, best=best)
    extras = run_extras(run_dir)
    if not extras.get("tokenizer"):
        init = os.path.join(run_dir, "init", "model.safetensors")
        if os.path.exists(init):
            extras = load_model(init)[1]
    return save_model(model, out, extras, dtype=dtype)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m colm_torch.export", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir")
    ap.add_argument("--out", required=True, help="MODEL.safetensors (one file) or a folder")
    which = ap.add_mutually_exclusive_group()
    which.add_argument("--step", type=int, default=None, help="checkpoint step (default: the latest)")
    which.add_argument("--best", action="store_true",
                       help="the weights of the best held-out evaluation (RUN_DIR/best), not the last step")
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    args = ap.parse_args(argv)
    try:
        path = export_run(args.run_dir, args.out, args.step, args.dtype, best=args.best)
    except (CheckpointError, ConfigError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
