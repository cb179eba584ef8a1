"""Builds the two small Hugging Face tokenizer.json files used by the fixtures.

byte_level_bpe(): GPT-2 style byte-level BPE, 300 ids:
    0..255   the byte symbols of GPT-2's bytes_to_unicode map, id b = the symbol of byte b
    256..295 forty merges of common English pairs (hand-picked, each one's parts exist before it)
    296..299 "<s>", "</s>", "<|im_start|>", "<|im_end|>" (added, special)
llama2_bpe(): Llama 2 style BPE with byte fallback, 300 ids:
    0..2     "<unk>", "<s>", "</s>" (added, special)
    3..258   "<0x00>".."<0xFF>"
    259..273 "\u2581" and 14 single letters
    274..299 twenty-six merges
"""

from __future__ import annotations


def gpt2_bytes_to_unicode() -> dict[int, str]:
    """Byte value -> printable character, as GPT-2 defines it: printable Latin-1 bytes map to
    themselves, the others (control, space, ...) to 256, 257, ... in byte order."""
    keep = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1))
            + list(range(ord("\u00ae"), ord("\u00ff") + 1)))
    table = {}
    extra = 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


BYTE_LEVEL_MERGES = [
    ("\u0120", "t"), ("h", "e"), ("i", "n"), ("\u0120", "a"), ("e", "r"),
    ("o", "n"), ("\u0120t", "he"), ("r", "e"), ("\u0120", "s"), ("a", "t"),
    ("e", "n"), ("o", "r"), ("\u0120", "w"), ("e", "d"), ("\u0120", "o"),
    ("i", "s"), ("in", "g"), ("\u0120", "c"), ("a", "n"), ("\u0120", "b"),
    ("i", "t"), ("\u0120", "f"), ("a", "r"), ("e", "s"), ("\u0120", "m"),
    ("o", "u"), ("\u0120", "p"), ("l", "l"), ("\u0120", "h"), ("an", "d"),
    ("\u0120a", "n"), ("\u0120an", "d"), ("\u0120", "i"), ("\u0120", "in"), ("\u0120t", "o"),
    ("\u0120o", "f"), ("l", "e"), ("\u0120", "d"), ("o", "m"), ("\u0120", "is"),
]

CHATML_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

LLAMA2_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] + ' ' + eos_token }}"
    "{% else %}{{ '<<SYS>>\\n' + message['content'] + '\\n<</SYS>>\\n\\n' }}{% endif %}"
    "{% endfor %}"
)


def _added(i: int, content: str) -> dict:
    return {"id": i, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": False, "special": True}


def _bpe_model(vocab: dict[str, int], merges: list[tuple[str, str]], *, unk, byte_fallback, fuse_unk) -> dict:
    return {"type": "BPE", "dropout": None, "unk_token": unk, "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": fuse_unk, "byte_fallback": byte_fallback,
            "ignore_merges": False, "vocab": vocab, "merges": [f"{a} {b}" for a, b in merges]}


def _check_merges(vocab: dict[str, int], merges: list[tuple[str, str]]) -> None:
    seen = set()
    for a, b in merges:
        assert a in vocab and b in vocab, (a, b)
        assert a + b in vocab, a + b
        assert (a, b) not in seen
        seen.add((a, b))


def byte_level_bpe() -> dict:
    sym = gpt2_bytes_to_unicode()
    vocab: dict[str, int] = {sym[b]: b for b in range(256)}
    for a, b in BYTE_LEVEL_MERGES:
        assert a + b not in vocab, a + b
        vocab[a + b] = len(vocab)
    specials = ["<s>", "</s>", "<|im_start|>", "<|im_end|>"]
    added = []
    for s in specials:
        added.append(_added(len(vocab), s))
        vocab[s] = len(vocab)
    _check_merges(vocab, BYTE_LEVEL_MERGES)
    assert len(vocab) == 300
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": _bpe_model(vocab, BYTE_LEVEL_MERGES, unk=None, byte_fallback=False, fuse_unk=False),
    }


SP = "\u2581"
LLAMA_CHARS = list("etaoinsrhldcum")
LLAMA_MERGES = [
    (SP, "t"), ("h", "e"), (SP + "t", "he"), ("i", "n"), (SP, "a"), ("e", "r"), ("o", "n"),
    ("r", "e"), (SP, "s"), ("a", "t"), ("e", "n"), ("o", "r"), (SP, "c"), ("i", "s"),
    (SP, "o"), ("a", "n"), ("e", "s"), (SP, "m"), ("o", "u"), ("l", "l"), (SP, "h"),
    ("an", "d"), (SP + "a", "n"), (SP + "an", "d"), (SP, "d"), (SP, "l"),
]


def llama2_bpe() -> dict:
    vocab: dict[str, int] = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for piece in [SP] + LLAMA_CHARS:
        vocab[piece] = len(vocab)
    for a, b in LLAMA_MERGES:
        assert a + b not in vocab, a + b
        vocab[a + b] = len(vocab)
    _check_merges(vocab, LLAMA_MERGES)
    assert len(vocab) == 300
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [_added(0, "<unk>"), _added(1, "<s>"), _added(2, "</s>")],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": SP},
            {"type": "Replace", "pattern": {"String": " "}, "content": SP},
        ]},
        "pre_tokenizer": None,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}},
        },
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": SP}, "content": " "},
            {"type": "ByteFallback"},
            {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0},
        ]},
        "model": _bpe_model(vocab, LLAMA_MERGES, unk="<unk>", byte_fallback=True, fuse_unk=True),
    }
