"""GGUF oracles (issue 9, item 5): tiny random Llama, Mistral, Qwen2 and Qwen3 models made with
transformers' own classes, written as GGUF files with gguf.GGUFWriter the way llama.cpp's converter
writes them (llama q/k rows permuted, gpt2-style tokenizer.ggml.*), in every tensor type this project
reads. For each case OUT/<case>.gguf and OUT/<case>.json:

    {"name", "arch", "type", "tokens", "prefill",
     "logits_gguf":  transformers' float32 logits of the GGUF (from_pretrained(gguf_file=...), which
                     dequantizes), or of the HF model itself where transformers cannot read the
                     GGUF's feature (oracle = "hf"),
     "logits_q8":    the same model with every chain linear of a block type other than Q8_0 replaced
                     by its q8_0 re-quantization (docs/FORMAT-Q8.md): what colm runs by default,
     "logits_bf16":  the same with those linears rounded to BF16 (colm convert --dequantize bf16),
     "requant_error": max |logits_q8 - logits_gguf|, "bf16_error": max |logits_bf16 - logits_gguf|}

Quantized types: gguf.quants.quantize where the package can (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, BF16);
the K types (Q2_K..Q6_K) as random valid blocks (random bytes, small finite F16 scales).
Usage: gguf_models.py OUT          gguf_models.py --list
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

V_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
MERGES = [("Ġ", "t"), ("h", "e"), ("Ġt", "he")]
CHATML = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
          "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")

# name, arch (GGUF general.architecture), hf (transformers family), linear type, extra
CASES = [
    dict(name="llama_f32", arch="llama", hf="llama", type="F32", kv=2, tied=False),
    dict(name="llama_f16_tied", arch="llama", hf="llama", type="F16", kv=4, tied=True),
    dict(name="llama_bf16", arch="llama", hf="llama", type="BF16", kv=1, tied=False),
    dict(name="llama_q8_0", arch="llama", hf="llama", type="Q8_0", kv=2, tied=False, embed="Q8_0", output="Q8_0"),
    dict(name="mistral_q4_0", arch="llama", hf="mistral", type="Q4_0", kv=2, tied=False, embed="Q4_0", output="Q4_0"),
    dict(name="qwen2_q4_1", arch="qwen2", hf="qwen2", type="Q4_1", kv=2, tied=True),
    dict(name="qwen3_q5_0", arch="qwen3", hf="qwen3", type="Q5_0", kv=2, tied=False),
    dict(name="llama_q5_1", arch="llama", hf="llama", type="Q5_1", kv=2, tied=False),
    dict(name="llama_q2_k", arch="llama", hf="llama", type="Q2_K", kv=2, tied=False),
    dict(name="qwen2_q3_k", arch="qwen2", hf="qwen2", type="Q3_K", kv=2, tied=False),
    dict(name="llama_q4_k", arch="llama", hf="llama", type="Q4_K", kv=2, tied=False, embed="Q4_K", output="Q6_K"),
    dict(name="qwen3_q5_k", arch="qwen3", hf="qwen3", type="Q5_K", kv=1, tied=True),
    dict(name="llama_q6_k", arch="llama", hf="llama", type="Q6_K", kv=2, tied=False, embed="Q6_K"),
    dict(name="qwen2_f16", arch="qwen2", hf="qwen2", type="F16", kv=2, tied=False),
    dict(name="qwen3_f32_tied", arch="qwen3", hf="qwen3", type="F32", kv=4, tied=True),
    # llama.cpp writes Llama 3 RoPE scaling as rope_freqs.weight; transformers' GGUF reader ignores
    # that tensor, so this case's oracle is the HF model itself.
    dict(name="llama3_rope_freqs", arch="llama", hf="llama", type="F32", kv=2, tied=True, llama3=True),
]

D, H, L, HEADS = 256, 512, 2, 4
K_TYPES = {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"}


def gpt2_tokens():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    tokens = [chr(c) for _, c in sorted(zip(bs, cs))]
    tokens += [a + b for a, b in MERGES] + V_SPECIALS
    types = [1] * (len(tokens) - len(V_SPECIALS)) + [3] * len(V_SPECIALS)
    return tokens, types


TOKENS, TOKEN_TYPES = gpt2_tokens()
V = len(TOKENS)


def make_hf(case, torch, transformers):
    common = dict(vocab_size=V, hidden_size=D, intermediate_size=H, num_hidden_layers=L, num_attention_heads=HEADS,
                  num_key_value_heads=case["kv"], rms_norm_eps=1e-6, max_position_embeddings=512,
                  tie_word_embeddings=case["tied"], bos_token_id=V - 3, eos_token_id=V - 1)
    fam = case["hf"]
    if fam == "llama":
        rope = {"rope_type": "default", "rope_theta": 10000.0}
        if case.get("llama3"):
            rope = {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
                    "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}
        config = transformers.LlamaConfig(**common, rope_parameters=rope, head_dim=D // HEADS)
        cls = transformers.LlamaForCausalLM
    elif fam == "mistral":
        config = transformers.MistralConfig(**common, rope_parameters={"rope_type": "default", "rope_theta": 10000.0}, sliding_window=None, head_dim=D // HEADS)
        cls = transformers.MistralForCausalLM
    elif fam == "qwen2":
        config = transformers.Qwen2Config(**common, rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}, use_sliding_window=False)
        cls = transformers.Qwen2ForCausalLM
    else:
        config = transformers.Qwen3Config(**common, head_dim=D // HEADS, rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}, use_sliding_window=False)
        cls = transformers.Qwen3ForCausalLM
    config._attn_implementation = "eager"
    torch.manual_seed(sum(map(ord, case["name"])))
    model = cls(config).float().eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                p.copy_(1 + 0.1 * torch.randn_like(p))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn_like(p))
            else:
                p.copy_(0.05 * torch.randn_like(p))
    return model


def permute(w, n_head, n_head_kv):
    """convert_hf_to_gguf.py's LlamaModel.permute."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def random_k_blocks(np, rng, qtype, rows, cols):
    """Random valid blocks of a K type, with F16 scales small enough for weights of about 0.05."""
    import gguf
    block, size = gguf.GGML_QUANT_SIZES[qtype]
    n = rows * cols // block
    b = rng.integers(0, 256, size=(n, size), dtype=np.uint8)
    name = qtype.name
    def put(at, lo, hi):
        b[:, at:at + 2] = rng.uniform(lo, hi, size=n).astype(np.float16).view(np.uint8).reshape(n, 2)
    if name == "Q2_K":
        put(80, 1e-3, 3e-3); put(82, 1e-3, 3e-3)
    elif name == "Q3_K":
        put(108, 1e-4, 4e-4)
    elif name == "Q4_K":
        put(0, 2e-5, 8e-5); put(2, 2e-5, 8e-5)
    elif name == "Q5_K":
        put(0, 1e-5, 4e-5); put(2, 1e-5, 4e-5)
    elif name == "Q6_K":
        put(208, 5e-6, 2e-5)
    return b.reshape(rows, cols // block * size)


def encode(np, rng, qtype_name, w):
    """(data, raw_dtype) for GGUFWriter.add_tensor; w is float32 [rows, cols]."""
    import gguf
    from gguf import GGMLQuantizationType as Q
    if qtype_name == "F32":
        return w.astype(np.float32), None
    if qtype_name == "F16":
        return w.astype(np.float16), None
    qtype = Q[qtype_name]
    if qtype_name in K_TYPES:
        return random_k_blocks(np, rng, qtype, *w.shape), qtype
    return gguf.quants.quantize(w.astype(np.float32), qtype), qtype


LAYER = {"self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output",
         "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down", "input_layernorm": "attn_norm",
         "post_attention_layernorm": "ffn_norm", "self_attn.q_norm": "attn_q_norm", "self_attn.k_norm": "attn_k_norm"}
LINEARS = {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"}


def gguf_name(hf):
    if hf == "model.embed_tokens.weight":
        return "token_embd.weight"
    if hf == "model.norm.weight":
        return "output_norm.weight"
    if hf == "lm_head.weight":
        return "output.weight"
    parts = hf.split(".")
    layer, rest, kind = parts[2], ".".join(parts[3:-1]), parts[-1]
    return f"blk.{layer}.{LAYER[rest]}.{kind}"


def write_gguf(path, case, model, np, torch):
    import gguf
    rng = np.random.default_rng(sum(map(ord, case["name"])))
    cfg = model.config
    w = gguf.GGUFWriter(str(path), case["arch"])
    w.add_name("mistral-tiny" if case["hf"] == "mistral" else case["name"])
    w.add_context_length(512)
    w.add_embedding_length(D)
    w.add_block_count(L)
    w.add_feed_forward_length(H)
    w.add_head_count(HEADS)
    w.add_head_count_kv(case["kv"])
    w.add_layer_norm_rms_eps(1e-6)
    w.add_rope_freq_base(float(cfg.rope_parameters["rope_theta"]))
    w.add_vocab_size(V)
    if case["arch"] == "llama":
        w.add_rope_dimension_count(D // HEADS)
    w.add_key_length(D // HEADS)
    w.add_value_length(D // HEADS)
    w.add_file_type(0)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("default")
    w.add_token_list(TOKENS)
    w.add_token_types(TOKEN_TYPES)
    w.add_token_merges([f"{a} {b}" for a, b in MERGES])
    w.add_bos_token_id(V - 3)
    w.add_eos_token_id(V - 1)
    w.add_add_bos_token(False)
    w.add_chat_template(CHATML)
    state = {k: v.detach().float().numpy() for k, v in model.state_dict().items()}
    if cfg.tie_word_embeddings:
        state.pop("lm_head.weight", None)
    if case.get("llama3"):
        rp = cfg.rope_parameters
        dim = D // HEADS
        freqs = 1.0 / (rp["rope_theta"] ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
        import math
        factors = []
        lo, hi, old = rp["low_freq_factor"], rp["high_freq_factor"], rp["original_max_position_embeddings"]
        for f in freqs:
            wl = 2 * math.pi / f
            if wl < old / hi:
                factors.append(1)
            elif wl > old / lo:
                factors.append(rp["factor"])
            else:
                s = (old / wl - lo) / (hi - lo)
                factors.append(1 / ((1 - s) / rp["factor"] + s))
        w.add_tensor("rope_freqs.weight", torch.tensor(factors, dtype=torch.float32).numpy())
    for hf, t in state.items():
        name = gguf_name(hf)
        part = name.split(".")[-2]
        if case["arch"] == "llama" and part in ("attn_q", "attn_k"):
            t = permute(t, HEADS, HEADS if part == "attn_q" else case["kv"])
        if part in LINEARS and name.endswith(".weight"):
            qtype = case["type"]
        elif name == "token_embd.weight":
            qtype = case.get("embed", case["type"] if case["type"] in ("F16", "BF16") else "F32")
        elif name == "output.weight":
            qtype = case.get("output", case["type"] if case["type"] in ("F16", "BF16") else "F32")
        else:
            qtype = "F32"
        data, raw = encode(np, rng, qtype, np.ascontiguousarray(t))
        if raw is None:
            w.add_tensor(name, data)
        else:
            w.add_tensor(name, data, raw_dtype=raw)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def q8_requantize(np, w):
    """docs/FORMAT-Q8.md: absmax/127 as F16, q = round(x / s) ties away from zero, clamp +-127."""
    rows, cols = w.shape
    b = w.astype(np.float32).reshape(rows, cols // 32, 32)
    s = (np.abs(b).max(axis=-1, keepdims=True).astype(np.float64) / 127).astype(np.float32).astype(np.float16).astype(np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(s == 0, 0, b.astype(np.float64) / s.astype(np.float64))
    q = np.clip(np.sign(x) * np.floor(np.abs(x) + 0.5), -127, 127)
    return (q.astype(np.float32) * s).reshape(rows, cols)


def transformers_from_gguf(path, torch, transformers):
    """transformers' own GGUF reading (config, dequantization, llama q/k un-permutation): what
    from_pretrained(gguf_file=...) does, without the accelerate package it insists on."""
    from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint
    config = transformers.AutoConfig.from_pretrained(str(path.parent), gguf_file=path.name)
    config._attn_implementation = "eager"
    if config.model_type == "qwen3":
        # transformers' GGUF config mapping skips qwen3.attention.key_length (Qwen3Config's default
        # head_dim is 128); llama.cpp reads it, and so do we.
        import gguf
        field = gguf.GGUFReader(str(path)).fields["qwen3.attention.key_length"]
        config.head_dim = int(field.parts[field.data[0]][0])
    model = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    tensors = load_gguf_checkpoint(str(path), return_tensors=True, model_to_load=model)["tensors"]
    missing, unexpected = model.load_state_dict({k: torch.from_numpy(v) if not torch.is_tensor(v) else v for k, v in tensors.items()}, strict=False)
    missing = [k for k in missing if not (k == "lm_head.weight" and config.tie_word_embeddings)]
    if missing or unexpected:
        raise SystemExit(f"{path.name}: transformers' GGUF reading left missing {missing} unexpected {unexpected}")
    if config.tie_word_embeddings:
        model.tie_weights()
    return model.float().eval()


def logits_of(model, torch, tokens):
    with torch.no_grad():
        return model(torch.tensor([tokens])).logits[0].float().numpy()


def main(out):
    import numpy as np
    import torch
    import transformers
    torch.set_num_threads(2)
    out.mkdir(parents=True, exist_ok=True)
    from transformers import AutoModelForCausalLM
    for case in CASES:
        model = make_hf(case, torch, transformers)
        path = out / f"{case['name']}.gguf"
        write_gguf(path, case, model, np, torch)
        rng = np.random.default_rng(7)
        tokens = [int(t) for t in rng.integers(0, V, size=12)]
        if case.get("llama3"):
            oracle, ref = "hf", model
        else:
            oracle = "transformers-gguf"
            ref = transformers_from_gguf(path, torch, transformers)
        base = logits_of(ref, torch, tokens)
        result = dict(name=case["name"], arch=case["arch"], type=case["type"], tokens=tokens, prefill=5, oracle=oracle,
                      logits_gguf=base.tolist())
        block = case["type"] not in ("F32", "F16", "BF16", "Q8_0")
        for key in ("q8", "bf16"):
            if not block:
                result[f"logits_{key}"] = base.tolist()
                continue
            with torch.no_grad():
                saved = {}
                for n, p in ref.named_parameters():
                    if n.endswith(".weight") and any(s in n for s in ("_proj",)):
                        saved[n] = p.detach().clone()
                        w = p.detach().float().numpy()
                        if key == "q8":
                            p.copy_(torch.from_numpy(q8_requantize(np, w)))
                        else:
                            p.copy_(p.to(torch.bfloat16).float())
                altered = logits_of(ref, torch, tokens)
                for n, p in ref.named_parameters():
                    if n in saved:
                        p.copy_(saved[n])
            result[f"logits_{key}"] = altered.tolist()
        result["requant_error"] = float(np.abs(np.array(result["logits_q8"]) - base).max())
        result["bf16_error"] = float(np.abs(np.array(result["logits_bf16"]) - base).max())
        if oracle != "hf":
            # The transformers reading must agree with the HF model for float types (checks our writer).
            if case["type"] in ("F32",):
                diff = float(np.abs(logits_of(model, torch, tokens) - base).max())
                if diff > 1e-4:
                    raise SystemExit(f"{case['name']}: transformers' GGUF reading differs from the HF model by {diff}")
        (out / f"{case['name']}.json").write_text(json.dumps(result))
    (out / "manifest.json").write_text(json.dumps([c["name"] for c in CASES]))


if __name__ == "__main__":
    if sys.argv[1:] == ["--list"]:
        print(json.dumps([dict(name=c["name"], arch=c["arch"], type=c["type"]) for c in CASES]))
    else:
        main(Path(sys.argv[1]))
