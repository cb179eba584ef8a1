"""Oracle of test/integration/gguf-tokenizer-parity: a real tokenizer.json (+ tokenizer_config.json)
written as the tokenizer.ggml.* metadata of a small GGUF, the way llama.cpp's convert_hf_to_gguf.py
does (gpt2 BPE: tokens in the byte-level alphabet, token types, merges, a `pre` name; llama
SentencePiece: pieces, scores, token types with <0xNN> byte tokens), with a dummy tensor; then
transformers loads the tokenizer from that GGUF (AutoTokenizer.from_pretrained(dir, gguf_file=...)).

Reads one JSON request on stdin:
  {"name": str, "dir": str (tokenizer.json folder), "out": str (folder for the .gguf), "texts": [str]}
Writes one JSON answer on stdout: {"gguf": path, "class": str, "texts": [{"hf": ids, "hf_special": ids}]}

Scores of a SentencePiece model are not in tokenizer.json; a piece's score here is minus the rank
of the first merge that makes it (pieces no merge makes: minus a number past every rank), which
orders merges as the file does, as the real model's scores do.
"""
import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("TQDM_DISABLE", "1")  # transformers shows a progress bar while it builds SentencePiece merges

import numpy as np  # noqa: E402
import gguf  # noqa: E402
from transformers import AutoTokenizer  # noqa: E402

NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6

# HF tokenizer.json of a family -> llama.cpp's name for its pre-tokenizer, and the GGUF architecture.
FAMILIES = {
    "llama3": ("gpt2", "llama-bpe", "llama"),
    "qwen3": ("gpt2", "qwen2", "qwen3"),
    "llama2": ("llama", None, "llama"),
}


def token_content(value):
    if isinstance(value, dict):
        return value.get("content")
    return value


def write_gguf(name, folder, out):
    model_kind, pre, arch = FAMILIES[name]
    with open(os.path.join(folder, "tokenizer.json"), encoding="utf-8") as f:
        tj = json.load(f)
    with open(os.path.join(folder, "tokenizer_config.json"), encoding="utf-8") as f:
        tc = json.load(f)
    hf = AutoTokenizer.from_pretrained(folder)
    vocab = tj["model"]["vocab"]
    added = {t["id"]: t for t in tj["added_tokens"]}
    size = max(list(vocab.values()) + list(added.keys())) + 1
    by_id = {i: t for t, i in vocab.items()}
    for i, t in added.items():
        by_id[i] = t["content"]

    tokens, types, scores = [], [], []
    merges = [m if isinstance(m, str) else " ".join(m) for m in tj["model"]["merges"]]
    first_rank = {}
    for rank, merge in enumerate(merges):
        left, right = merge.split(" ")
        first_rank.setdefault(left + right, rank)
    for i in range(size):
        token = by_id.get(i)
        if token is None:  # convert_hf_to_gguf pads holes with [PADn] of type UNUSED
            tokens.append(f"[PAD{i}]")
            types.append(UNUSED)
            scores.append(-1000.0)
            continue
        tokens.append(token)
        if i in added:
            if token == token_content(tc.get("unk_token")):
                types.append(UNKNOWN)
            else:
                types.append(CONTROL if added[i]["special"] else USER_DEFINED)
            scores.append(0.0)
        elif model_kind == "llama" and token.startswith("<0x") and token.endswith(">") and len(token) == 6:
            types.append(BYTE)
            scores.append(0.0)
        else:
            types.append(NORMAL)
            scores.append(-float(first_rank.get(token, len(merges) + i)))

    path = os.path.join(out, f"{name}.gguf")
    writer = gguf.GGUFWriter(path, arch)
    # Enough of a config for transformers to read the file; the weights are one dummy tensor.
    writer.add_context_length(4096)
    writer.add_embedding_length(64)
    writer.add_block_count(1)
    writer.add_feed_forward_length(128)
    writer.add_head_count(4)
    writer.add_head_count_kv(4)
    writer.add_rope_dimension_count(16)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(size)
    writer.add_tokenizer_model(model_kind)
    if pre is not None:
        writer.add_tokenizer_pre(pre)
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    if model_kind == "llama":
        writer.add_token_scores(scores)
        writer.add_add_space_prefix(True)
    else:
        writer.add_token_merges(merges)
    ids = {t: i for i, t in enumerate(tokens)}
    for key, add in (("bos_token", writer.add_bos_token_id), ("eos_token", writer.add_eos_token_id),
                     ("unk_token", writer.add_unk_token_id), ("pad_token", writer.add_pad_token_id)):
        content = token_content(tc.get(key))
        if content is not None and content in ids:
            add(ids[content])
    # add_bos_token as the HF tokenizer behaves (what convert_hf_to_gguf's SpecialVocab reads).
    adds_bos = hf.bos_token_id is not None and hf.encode("x")[:1] == [hf.bos_token_id]
    writer.add_add_bos_token(bool(adds_bos))
    writer.add_add_eos_token(False)
    if tc.get("chat_template"):
        writer.add_chat_template(tc["chat_template"])
    writer.add_tensor("token_embd.weight", np.zeros((size, 64), dtype=np.float32)[:8, :].copy())
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def main():
    request = json.load(sys.stdin)
    os.makedirs(request["out"], exist_ok=True)
    path = write_gguf(request["name"], request["dir"], request["out"])
    tok = AutoTokenizer.from_pretrained(request["out"], gguf_file=os.path.basename(path))
    texts = [{"hf": tok.encode(t, add_special_tokens=False), "hf_special": tok.encode(t, add_special_tokens=True)} for t in request["texts"]]
    json.dump({"gguf": path, "class": type(tok).__name__, "texts": texts}, sys.stdout, ensure_ascii=True)


if __name__ == "__main__":
    main()
