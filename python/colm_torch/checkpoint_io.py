"""Read and write FORMAT.md 1.1 checkpoints (and Hugging Face Llama/Mistral/Qwen2/Qwen3 folders).

    load_model(path)                       -> (ColmForCausalLM, extras)
    save_model(model, path, extras, dtype)  FORMAT.md: one *.safetensors with colm.config/colm.tokenizer
                                            metadata, or a folder (config.json, model.safetensors, ...)

`path` for loading: a folder (config.json + model.safetensors or a sharded index; an HF folder is a
1-chain CoLM), one *.safetensors file carrying its config and tokenizer, or a *.gguf (converted first
by the engine's `colm convert`). Chain linears may be stored whole (zero outside the mask, checked)
or per chain; biases too; F32/F16/BF16. Every refusal names the file and the tensor or key.

extras: {"tokenizer": tokenizer.json text, "tokenizer_config": text or None,
         "generation_config": text or None}.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile

import torch

from .config import ColmConfig, ConfigError
from .model import ColmForCausalLM

LINEARS = ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
           "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")
EXTRA_FILES = {"tokenizer": "tokenizer.json", "tokenizer_config": "tokenizer_config.json",
               "generation_config": "generation_config.json"}
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16,
          "F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16}
READABLE = (torch.float32, torch.float16, torch.bfloat16)
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class CheckpointError(ValueError):
    """A checkpoint that breaks FORMAT.md; the message names the file and the tensor or key."""


# -------------------------------------------------------------------------------------------------
# safetensors files
# -------------------------------------------------------------------------------------------------

def read_safetensors(path: str) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """All tensors (as stored) and the __metadata__ of one file, or CheckpointError naming the file."""
    from safetensors import safe_open
    try:
        with safe_open(path, framework="pt") as f:
            meta = f.metadata() or {}
            tensors = {name: f.get_tensor(name) for name in f.keys()}
    except Exception as e:  # the library's message says what is wrong with the header or offsets
        raise CheckpointError(f"{path}: not a readable safetensors file ({e})") from None
    for name, t in tensors.items():
        if t.dtype not in READABLE:
            raise CheckpointError(f"{path}: tensor {name}: dtype {t.dtype} is not F32, F16 or BF16")
    return tensors, meta


def _read_text(path: str) -> str | None:
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return f.read()


def _json(text: str, where: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise CheckpointError(f"{where}: not valid JSON ({e})") from None


def convert_gguf(path: str, out_dir: str) -> str:
    """A .gguf as one FORMAT.md file, by the engine's reader (`node bin/colm.js convert`)."""
    cli = os.path.join(REPO_ROOT, "bin", "colm.js")
    if not os.path.exists(cli) or shutil.which("node") is None:
        raise CheckpointError(f"{path}: reading a GGUF needs the engine's converter (node {cli}); "
                              "run `colm convert MODEL.gguf --out MODEL.safetensors` and pass that file")
    out = os.path.join(out_dir, "converted.safetensors")
    res = subprocess.run(["node", cli, "convert", path, "--out", out], capture_output=True, text=True)
    if res.returncode != 0:
        raise CheckpointError(f"{path}: colm convert failed: {res.stderr.strip() or res.stdout.strip()}")
    return out


def read_checkpoint(path: str) -> tuple[ColmConfig, dict[str, torch.Tensor], dict, str]:
    """(config, tensors by FORMAT.md name, extras, where) of a folder or a single file."""
    if os.path.isdir(path):
        cfg_path = os.path.join(path, "config.json")
        text = _read_text(cfg_path)
        if text is None:
            raise CheckpointError(f"{cfg_path}: missing")
        try:
            config = ColmConfig.from_dict(_json(text, cfg_path), cfg_path)
        except ConfigError as e:
            raise CheckpointError(str(e)) from None
        single = os.path.join(path, "model.safetensors")
        index = os.path.join(path, "model.safetensors.index.json")
        if os.path.exists(single):
            tensors, _ = read_safetensors(single)
        elif os.path.exists(index):
            idx = _json(_read_text(index), index)
            wmap = idx.get("weight_map") if isinstance(idx, dict) else None
            if not isinstance(wmap, dict):
                raise CheckpointError(f"{index}: weight_map missing or not an object")
            tensors = {}
            for shard in sorted(set(wmap.values())):
                shard_path = os.path.join(path, str(shard))
                if os.path.basename(str(shard)) != shard or not os.path.exists(shard_path):
                    raise CheckpointError(f"{index}: shard {shard!r} missing")
                part, _ = read_safetensors(shard_path)
                for name, t in part.items():
                    if wmap.get(name) != shard:
                        raise CheckpointError(f"{shard_path}: tensor {name} is not listed for this shard in the index")
                    tensors[name] = t
            for name, shard in wmap.items():
                if name not in tensors:
                    raise CheckpointError(f"{index}: tensor {name} not found in {shard}")
        else:
            raise CheckpointError(f"{path}: neither model.safetensors nor model.safetensors.index.json")
        extras = {key: _read_text(os.path.join(path, fname)) for key, fname in EXTRA_FILES.items()}
        return config, tensors, extras, path
    if not os.path.exists(path):
        raise CheckpointError(f"{path}: no such file or folder")
    tensors, meta = read_safetensors(path)
    if "colm.config" not in meta:
        raise CheckpointError(f"{path}: __metadata__ lacks colm.config (a single file must carry its config)")
    if "colm.tokenizer" not in meta:
        raise CheckpointError(f"{path}: __metadata__ lacks colm.tokenizer (a single file must carry its tokenizer)")
    where = f"{path}: colm.config"
    try:
        config = ColmConfig.from_dict(_json(meta["colm.config"], where), where)
    except ConfigError as e:
        raise CheckpointError(str(e)) from None
    extras = {"tokenizer": meta["colm.tokenizer"], "tokenizer_config": meta.get("colm.tokenizer_config"),
              "generation_config": meta.get("colm.generation_config")}
    return config, tensors, extras, path


# -------------------------------------------------------------------------------------------------
# FORMAT.md tensors <-> the model's per-chain parameters
# -------------------------------------------------------------------------------------------------

def _linear_module(model: ColmForCausalLM, l: int, short: str):
    part, name = short.split(".")
    return getattr(getattr(model.layers[l], part), name)


@torch.no_grad()
def load_tensors(model: ColmForCausalLM, T: dict[str, torch.Tensor], where: str = "checkpoint") -> None:
    """Copies FORMAT.md tensors into the model's parameters; refuses missing, unknown, misshapen ones."""
    c = model.config
    n = c.n_chains
    used: set[str] = set()

    def take(name: str, shape: list[int]) -> torch.Tensor:
        if name not in T:
            raise CheckpointError(f"{where}: missing tensor {name}")
        t = T[name]
        if list(t.shape) != list(shape):
            raise CheckpointError(f"{where}: tensor {name} has shape {list(t.shape)}, expected {shape}")
        used.add(name)
        return t.float()

    def put(param: torch.Tensor, value: torch.Tensor) -> None:
        param.copy_(value.to(param.dtype))

    def columns(name: str, chunks) -> None:   # [V, D] -> column blocks
        W = take(name, [c.vocab_size, c.hidden_size])
        cum = c.cum_hidden
        for i, p in enumerate(chunks):
            put(p, W[:, cum[i]:cum[i + 1]])

    def vector(name: str, weights, cum: list[int]) -> None:   # [D] -> per-chain slices
        w = take(name, [cum[-1]])
        for i, p in enumerate(weights):
            put(p, w[cum[i]:cum[i + 1]])

    def chain_linear(prefix: str, mod) -> None:
        whole = f"{prefix}.weight"
        per = [f"{prefix}.chains.{i}.weight" for i in range(n)]
        has_per = any(nm.startswith(prefix + ".chains.") and nm.endswith(".weight") for nm in T)
        if whole in T and has_per:
            raise CheckpointError(f"{where}: tensor {prefix} is stored both whole and per chain")
        ci, co = mod.cum_in, mod.cum_out
        if has_per:
            if n == 1:
                raise CheckpointError(f"{where}: tensor {prefix}: a 1-chain model stores chain linears whole only")
            for i in range(n):
                put(mod.weights[i], take(per[i], [co[i + 1] - co[i], ci[i + 1]]))
        else:
            W = take(whole, [co[-1], ci[-1]])
            for i in range(n):
                blk = W[co[i]:co[i + 1]]
                if torch.count_nonzero(blk[:, ci[i + 1]:]).item():
                    raise CheckpointError(f"{where}: tensor {whole} has a nonzero entry outside the block lower-triangular mask (chain {i})")
                put(mod.weights[i], blk[:, : ci[i + 1]])
        if mod.biases is not None:
            wb = f"{prefix}.bias"
            pb = [f"{prefix}.chains.{i}.bias" for i in range(n)]
            if wb in T and any(p in T for p in pb):
                raise CheckpointError(f"{where}: tensor {wb} is stored both whole and per chain")
            if wb in T or n == 1:
                b = take(wb, [co[-1]])
                for i in range(n):
                    put(mod.biases[i], b[co[i]:co[i + 1]])
            else:
                for i in range(n):
                    put(mod.biases[i], take(pb[i], [co[i + 1] - co[i]]))

    columns("model.embed_tokens.weight", model.embed.chunks)
    for l, block in enumerate(model.layers):
        p = f"model.layers.{l}"
        vector(f"{p}.input_layernorm.weight", block.input_layernorm.weights, c.cum_hidden)
        vector(f"{p}.post_attention_layernorm.weight", block.post_attention_layernorm.weights, c.cum_hidden)
        for short in LINEARS:
            mod = _linear_module(model, l, short)
            if isinstance(mod, torch.nn.Linear):  # Air k/v: dense, chain 1 only
                if any(nm.startswith(f"{p}.{short}.chains.") for nm in T):
                    raise CheckpointError(f"{where}: tensor {p}.{short}: with kv_sharing it is dense, not per chain")
                put(mod.weight, take(f"{p}.{short}.weight", list(mod.weight.shape)))
                if mod.bias is not None:
                    put(mod.bias, take(f"{p}.{short}.bias", list(mod.bias.shape)))
            else:
                chain_linear(f"{p}.{short}", mod)
        if block.self_attn.q_norm is not None:
            put(block.self_attn.q_norm.weight, take(f"{p}.self_attn.q_norm.weight", [c.head_size]))
            put(block.self_attn.k_norm.weight, take(f"{p}.self_attn.k_norm.weight", [c.head_size]))
    vector("model.norm.weight", model.norm.weights, c.cum_hidden)
    if model.lm_head is None:
        used.add("lm_head.weight")  # tied: a stored copy is ignored
    else:
        columns("lm_head.weight", model.lm_head.chunks)
    unknown = sorted(set(T) - used)
    if unknown:
        more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
        raise CheckpointError(f"{where}: unknown tensor {unknown[0]}{more}")


@torch.no_grad()
def model_tensors(model: ColmForCausalLM, per_chain: bool | None = None,
                  dtype: torch.dtype = torch.float32) -> dict[str, torch.Tensor]:
    """FORMAT.md tensors of the model: chain linears per chain when n > 1 (whole when n = 1)."""
    c = model.config
    n = c.n_chains
    per_chain = n > 1 if per_chain is None else (per_chain and n > 1)
    out: dict[str, torch.Tensor] = {}

    def store(name: str, t: torch.Tensor) -> None:
        out[name] = t.detach().to("cpu", dtype).contiguous().clone()

    def cat(ps) -> torch.Tensor:
        return torch.cat([p.detach().float() for p in ps], dim=-1)

    store("model.embed_tokens.weight", cat(model.embed.chunks))
    for l, block in enumerate(model.layers):
        p = f"model.layers.{l}"
        store(f"{p}.input_layernorm.weight", cat(block.input_layernorm.weights))
        store(f"{p}.post_attention_layernorm.weight", cat(block.post_attention_layernorm.weights))
        for short in LINEARS:
            mod = _linear_module(model, l, short)
            if isinstance(mod, torch.nn.Linear):
                store(f"{p}.{short}.weight", mod.weight)
                if mod.bias is not None:
                    store(f"{p}.{short}.bias", mod.bias)
            elif per_chain:
                for i in range(n):
                    store(f"{p}.{short}.chains.{i}.weight", mod.weights[i])
                    if mod.biases is not None:
                        store(f"{p}.{short}.chains.{i}.bias", mod.biases[i])
            else:
                store(f"{p}.{short}.weight", mod.dense_weight().float())
                if mod.biases is not None:
                    store(f"{p}.{short}.bias", cat(mod.biases))
        if block.self_attn.q_norm is not None:
            store(f"{p}.self_attn.q_norm.weight", block.self_attn.q_norm.weight)
            store(f"{p}.self_attn.k_norm.weight", block.self_attn.k_norm.weight)
    store("model.norm.weight", cat(model.norm.weights))
    if model.lm_head is not None:
        store("lm_head.weight", cat(model.lm_head.chunks))
    return out


# -------------------------------------------------------------------------------------------------
# Public API
# -------------------------------------------------------------------------------------------------

def load_model(path: str, dtype: torch.dtype = torch.float32, kernel: str = "torch",
               device: str | torch.device = "cpu") -> tuple[ColmForCausalLM, dict]:
    """A FORMAT.md folder/file, an HF Llama/Mistral/Qwen2/Qwen3 folder or a .gguf -> (model, extras)."""
    if str(path).endswith(".gguf") and os.path.isfile(path):
        with tempfile.TemporaryDirectory() as tmp:
            return load_model(convert_gguf(path, tmp), dtype, kernel, device)
    config, tensors, extras, where = read_checkpoint(path)
    with torch.device("meta"):
        model = ColmForCausalLM(config, kernel=kernel)
    model.to_empty(device=device)
    model.to(dtype)
    load_tensors(model, tensors, where)
    return model, extras


def save_model(model: ColmForCausalLM, path: str, extras: dict | None = None, dtype: str = "float32",
               per_chain: bool | None = None) -> str:
    """Writes FORMAT.md: `path` ending in .safetensors -> one file with colm.* metadata, else a folder."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype {dtype!r}: one of float32, bfloat16, float16")
    extras = dict(extras or {})
    tensors = model_tensors(model, per_chain, DTYPES[dtype])
    cfg = model.config.to_dict()
    cfg["torch_dtype"] = {torch.float32: "float32", torch.bfloat16: "bfloat16", torch.float16: "float16"}[DTYPES[dtype]]
    config_text = json.dumps(cfg, indent=2) + "\n"
    from safetensors.torch import save_file
    if str(path).endswith(".safetensors"):
        if not extras.get("tokenizer"):
            raise ValueError(f"{path}: a single-file checkpoint needs a tokenizer (extras['tokenizer'], tokenizer.json text)")
        meta = {"colm.config": config_text, "colm.tokenizer": extras["tokenizer"]}
        for key in ("tokenizer_config", "generation_config"):
            if extras.get(key) is not None:
                meta[f"colm.{key}"] = extras[key]
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        tmp = path + ".tmp"
        save_file(tensors, tmp, metadata=meta)
        os.replace(tmp, path)
        return path
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "config.json"), "w", encoding="utf-8") as f:
        f.write(config_text)
    for key, fname in EXTRA_FILES.items():
        if extras.get(key) is not None:
            with open(os.path.join(path, fname), "w", encoding="utf-8") as f:
                f.write(extras[key])
    save_file(tensors, os.path.join(path, "model.safetensors"), metadata={"format": "pt"})
    return path
