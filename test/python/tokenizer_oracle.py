"""Oracle of test/integration/tokenizer-parity and chat-template-parity: Hugging Face `tokenizers`
and transformers on real tokenizer files.

Reads one JSON request on stdin:
  {"tokenizers": [{"name": str, "dir": str}], "texts": [str], "chats": [{"messages": [...],
   "template": str | null}]}
and writes one JSON answer on stdout, per tokenizer:
  texts: for each text, ids from the `tokenizers` library on tokenizer.json as written ("raw") and
         from transformers' AutoTokenizer ("hf"), without and with special tokens, and the decodes of
         hf's ids with special tokens, keeping and skipping them (both libraries).
  chats: transformers' apply_chat_template(..., add_generation_prompt=True), text and ids, the ids
         of the `tokenizers` library for that text (raw_ids), or the exception message when the
         template refuses the conversation.
"""
import json
import sys
import warnings

warnings.filterwarnings("ignore")

from tokenizers import Tokenizer  # noqa: E402
from transformers import AutoTokenizer  # noqa: E402


def chat_ids(result):
    # transformers 5 returns a BatchEncoding (dict) for tokenize=True; 4.x returned a list.
    if isinstance(result, dict) or hasattr(result, "keys"):
        result = result["input_ids"]
    return [int(i) for i in result]


def one_tokenizer(spec, texts, chats):
    raw = Tokenizer.from_file(spec["dir"] + "/tokenizer.json")
    hf = AutoTokenizer.from_pretrained(spec["dir"])
    out_texts = []
    for text in texts:
        hf_special = hf.encode(text, add_special_tokens=True)
        out_texts.append({
            "raw": raw.encode(text, add_special_tokens=False).ids,
            "raw_special": raw.encode(text, add_special_tokens=True).ids,
            "hf": hf.encode(text, add_special_tokens=False),
            "hf_special": hf_special,
            "hf_decode": hf.decode(hf_special, skip_special_tokens=False, clean_up_tokenization_spaces=False),
            "hf_decode_skip": hf.decode(hf_special, skip_special_tokens=True, clean_up_tokenization_spaces=False),
            "raw_decode": raw.decode(hf_special, skip_special_tokens=False),
            "raw_decode_skip": raw.decode(hf_special, skip_special_tokens=True),
        })
    out_chats = []
    for chat in chats:
        kwargs = {"add_generation_prompt": True}
        if chat.get("template"):
            kwargs["chat_template"] = chat["template"]
        try:
            text = hf.apply_chat_template(chat["messages"], tokenize=False, **kwargs)
            ids = chat_ids(hf.apply_chat_template(chat["messages"], tokenize=True, **kwargs))
            raw_ids = raw.encode(text, add_special_tokens=False).ids
            out_chats.append({"text": text, "ids": ids, "raw_ids": raw_ids})
        except Exception as error:  # the template's raise_exception, or no template at all
            out_chats.append({"error": f"{type(error).__name__}: {error}"})
    return {
        "class": type(hf).__name__,
        "bos_token": hf.bos_token,
        "eos_token": hf.eos_token,
        "texts": out_texts,
        "chats": out_chats,
    }


def main():
    request = json.load(sys.stdin)
    answer = {}
    for spec in request["tokenizers"]:
        chats = [c for c in request.get("chats", []) if c.get("tokenizer") in (None, spec["name"])]
        answer[spec["name"]] = one_tokenizer(spec, request["texts"], chats)
    json.dump(answer, sys.stdout, ensure_ascii=True)


if __name__ == "__main__":
    main()
