"""Chain expansion of a pretrained checkpoint, as the paper grew TinyLlama and Llama-3.2-1B.

    python -m colm_torch.expand BASE --add-chains C [C ...] --out RUN_DIR [--seed S] [--kv-sharing]
                                [--dtype float32|bfloat16]

BASE: an HF Llama/Mistral/Qwen2/Qwen3 folder, a FORMAT.md file or folder, or a .gguf (converted by
the engine's `colm convert`). Its chains stay as they are (a dense model is chain 1); each C appends
one chain of ratio C, exactly as the engine's `colm grow` does (app/trainer/grow/README.md):

- with S = sum(chains), every old chain keeps its widths and the new chain adds C*x/S of each size x
  (hidden, heads, FFN, and for plain CoLM the KV heads; CoLM-Air keeps h_kv: the new chain's query
  heads must be a multiple of it). A ratio that breaks a FORMAT.md rule is refused naming the key and
  the smallest ratio that fits.
- old per-chain blocks are copied unchanged (they read input columns [0, cum_i), which growth keeps);
  the new chain's chain-linear blocks are N(0, 1/fan_in); its embedding columns are random at the
  old table's RMS (zero when tied); its norm weights are ones; its biases zero; the LM head gains
  ZERO columns, so the grown top sub-model gives the base's logits exactly until trained, and the
  old sub-models are the base's sub-models bit for bit. Air's dense k/v and qwen3's q/k norms are
  chain 1's and are kept; sliding windows are kept as configured.
- `--kv-sharing` makes a CoLM-Air of a 1-chain base (a dense HF model): its query heads are
  reordered from the grouped map (j div h/h_kv) to Air's tiled map (j mod h_kv), q rows and o columns
  permuted together, so the Air model computes the same function. A plain CoLM of several chains
  cannot become Air (its KV heads belong to chains) and is refused.

RUN_DIR gets config.json, tokenizer.json (+ tokenizer_config/generation_config), init/model.safetensors
(FORMAT.md, one file: the engine loads it as is), run.json {"freeze_chains": <base chain count>} (the
hint `colm_torch.train` reads to train only the new chains) and expand.json (what was done).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

import torch

from .checkpoint_io import EXTRA_FILES, CheckpointError, load_model, save_model
from .config import ColmConfig, ConfigError
from .model import ColmForCausalLM

FALLBACK_EMBEDDING_STD = 0.02   # HF's initializer_range, when the old table is all zeros


class ExpandError(ValueError):
    def __init__(self, where: str, key: str, rule: str):
        super().__init__(f"{where}: key \"{key}\": {rule}")
        self.key, self.rule = key, rule


# -------------------------------------------------------------------------------------------------
# Config growth (app/trainer/grow/grow-config.ts)
# -------------------------------------------------------------------------------------------------

def _growth_problem(old: ColmConfig, ratio: int) -> tuple[str, str] | None:
    S = sum(old.chains)
    shares = [("hidden_size", old.hidden_size), ("num_attention_heads", old.num_attention_heads),
              ("intermediate_size", old.intermediate_size)]
    if not old.kv_sharing:
        shares.append(("num_key_value_heads", old.kv_heads))
    for key, total in shares:
        if total * ratio % S:
            return key, (f"the new chain's share {key}*{ratio}/sum(chains) = {total}*{ratio}/{S} is not a whole "
                         "number (FORMAT.md: every chain width must be whole)")
    if old.kv_sharing:
        heads = old.num_attention_heads * ratio // S
        if heads % old.kv_heads:
            return "num_key_value_heads", (f"with kv_sharing the new chain's {heads} query heads must be a multiple "
                                           f"of num_key_value_heads {old.kv_heads} (FORMAT.md, CoLM-Air)")
    return None


def smallest_fitting_ratio(old: ColmConfig) -> int:
    bound = sum(old.chains) * max(1, old.kv_heads)
    for ratio in range(1, bound):
        if _growth_problem(old, ratio) is None:
            return ratio
    return bound


def grow_config(old: ColmConfig, ratio: int, where: str = "base") -> ColmConfig:
    """The config after appending a chain of `ratio` (every rule checked, old chains' widths kept)."""
    if not isinstance(ratio, int) or ratio <= 0:
        raise ExpandError(where, "chains", f"a chain ratio must be a positive integer, got {ratio!r}")
    problem = _growth_problem(old, ratio)
    if problem:
        key, rule = problem
        raise ExpandError(where, key, f"cannot add a chain of ratio {ratio} to chains {old.chains}: {rule}; "
                                      f"the smallest ratio that fits is {smallest_fitting_ratio(old)}")
    S = sum(old.chains)
    grow = lambda total: total + total * ratio // S
    # A grown Llama is a "colm"; the other families keep their type (qwen2's implicit q/k/v biases,
    # qwen3's q/k norms and the windows read the same with chains).
    model_type = "colm" if old.model_type in ("llama", "colm") else old.model_type
    try:
        new = old.replace(model_type=model_type, hidden_size=grow(old.hidden_size),
                          intermediate_size=grow(old.intermediate_size),
                          num_attention_heads=grow(old.num_attention_heads),
                          num_key_value_heads=old.kv_heads if old.kv_sharing else grow(old.kv_heads),
                          head_dim=old.head_size, chains=[*old.chains, ratio])
    except ConfigError as e:
        raise ExpandError(where + " (grown config)", e.key, f"the grown config breaks FORMAT.md: {e.rule}") from None
    for attr in ("cum_hidden", "cum_heads", "cum_kv_heads", "cum_ffn"):
        assert getattr(new, attr)[: len(old.chains) + 1] == getattr(old, attr), attr   # a bug, not bad input
    return new


# -------------------------------------------------------------------------------------------------
# Weights
# -------------------------------------------------------------------------------------------------

def _new_model(config: ColmConfig, like: ColmForCausalLM) -> ColmForCausalLM:
    dtype = next(like.parameters()).dtype
    with torch.device("meta"):
        model = ColmForCausalLM(config, kernel=like.kernel)
    model.to_empty(device="cpu")
    return model.to(dtype)


@torch.no_grad()
def grow_model(base: ColmForCausalLM, ratio: int, seed: int = 0, where: str = "base") -> ColmForCausalLM:
    """`base` with one chain of `ratio` appended; the new top sub-model computes base's full model."""
    config = grow_config(base.config, ratio, where)
    model = _new_model(config, base)
    n = base.n_chains
    old = dict(base.named_parameters())
    gen = torch.Generator().manual_seed(seed)
    table = torch.cat([p.float() for p in base.embed.chunks], dim=1)
    embed_std = table.pow(2).mean().sqrt().item() or FALLBACK_EMBEDDING_STD
    for name, p in model.named_parameters():
        if name in old:
            if old[name].shape != p.shape:
                raise AssertionError(f"grow: {name} changed shape {tuple(old[name].shape)} -> {tuple(p.shape)}")
            p.copy_(old[name])
            continue
        if not name.endswith(f".{n}"):
            raise AssertionError(f"grow: new parameter {name} is not chain {n}'s")
        if name.startswith("embed.chunks."):
            value = (torch.zeros(p.shape) if config.tie_word_embeddings
                     else torch.randn(p.shape, generator=gen) * embed_std)
        elif name.startswith("lm_head.chunks."):
            value = torch.zeros(p.shape)                                  # the exact start
        elif "norm" in name:
            value = torch.ones(p.shape)
        elif ".biases." in name:
            value = torch.zeros(p.shape)
        elif ".weights." in name:                                         # chain linear block
            value = torch.randn(p.shape, generator=gen) / math.sqrt(p.shape[1])
        else:
            raise AssertionError(f"grow: no rule for new parameter {name}")
        p.copy_(value.to(p.dtype))
    return model.eval()


@torch.no_grad()
def to_kv_sharing(base: ColmForCausalLM, where: str = "base") -> ColmForCausalLM:
    """A 1-chain model as the same function in CoLM-Air form (query heads reordered to the tiled map)."""
    c = base.config
    if c.kv_sharing:
        return base
    if c.n_chains != 1:
        raise ExpandError(where, "kv_sharing", f"a plain CoLM of {c.n_chains} chains cannot become CoLM-Air "
                                               "(its KV heads belong to chains); only a 1-chain base can")
    try:
        config = c.replace(kv_sharing=True)
    except ConfigError as e:
        raise ExpandError(where, e.key, f"cannot make CoLM-Air: {e.rule}") from None
    model = _new_model(config, base)
    h, hkv, hd = c.num_attention_heads, c.kv_heads, c.head_size
    r = h // hkv
    # new head j reads KV head j mod h_kv; it is old head (j mod h_kv)*r + (j div h_kv), which read that KV head
    order = torch.tensor([(j % hkv) * r + j // hkv for j in range(h)])
    rows = (order[:, None] * hd + torch.arange(hd)[None, :]).reshape(-1)
    old = dict(base.named_parameters())
    for name, p in model.named_parameters():
        if ".self_attn.k_proj." in name or ".self_attn.v_proj." in name:
            src = old[name.replace(".weight", ".weights.0").replace(".bias", ".biases.0")]
            p.copy_(src)
        elif ".self_attn.q_proj.weights." in name or ".self_attn.q_proj.biases." in name:
            p.copy_(old[name][rows])
        elif ".self_attn.o_proj.weights." in name:
            p.copy_(old[name][:, rows])
        else:
            p.copy_(old[name])
    return model.eval()


def expand(base: ColmForCausalLM, add_chains: list[int], seed: int = 0, kv_sharing: bool = False,
           where: str = "base") -> ColmForCausalLM:
    model = to_kv_sharing(base, where) if kv_sharing else base
    for step, ratio in enumerate(add_chains):
        model = grow_model(model, ratio, seed + step, where)
    return model


# -------------------------------------------------------------------------------------------------
# The run folder
# -------------------------------------------------------------------------------------------------

def write_run(model: ColmForCausalLM, extras: dict, out: str, freeze_chains: int, info: dict,
              dtype: str = "float32") -> str:
    if not extras.get("tokenizer"):
        raise CheckpointError(f"{info.get('base', 'base')}: has no tokenizer.json; the run needs one")
    os.makedirs(os.path.join(out, "init"), exist_ok=True)
    with open(os.path.join(out, "config.json"), "w", encoding="utf-8") as f:
        json.dump(model.config.to_dict(), f, indent=2)
        f.write("\n")
    for key, fname in EXTRA_FILES.items():
        if extras.get(key) is not None:
            with open(os.path.join(out, fname), "w", encoding="utf-8") as f:
                f.write(extras[key])
    save_model(model, os.path.join(out, "init", "model.safetensors"), extras, dtype=dtype)
    with open(os.path.join(out, "run.json"), "w", encoding="utf-8") as f:
        json.dump({"freeze_chains": freeze_chains}, f, indent=2)
        f.write("\n")
    with open(os.path.join(out, "expand.json"), "w", encoding="utf-8") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m colm_torch.expand", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("base", help="HF folder, FORMAT.md file/folder, or .gguf")
    ap.add_argument("--add-chains", type=int, nargs="+", required=True, metavar="C", help="ratios of the chains to append")
    ap.add_argument("--out", required=True, help="RUN_DIR to create")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--kv-sharing", action="store_true", help="make a 1-chain base CoLM-Air first")
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"], help="of init/model.safetensors")
    args = ap.parse_args(argv)
    try:
        base, extras = load_model(args.base)
        n = base.n_chains
        model = expand(base, args.add_chains, args.seed, args.kv_sharing, args.base)
        info = {"base": os.path.abspath(args.base), "base_chains": base.config.chains, "add_chains": args.add_chains,
                "seed": args.seed, "kv_sharing": model.config.kv_sharing, "chains": model.config.chains}
        write_run(model, extras, args.out, n, info, args.dtype)
    except (CheckpointError, ConfigError, ExpandError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}: chains {base.config.chains} -> {model.config.chains}"
          f"{' (CoLM-Air)' if model.config.kv_sharing else ''}; train with chains 1..{n} frozen")
    return 0


if __name__ == "__main__":
    sys.exit(main())
