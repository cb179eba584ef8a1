"""Training data: text files -> token shards on disk -> deterministic random windows.

Shards: a folder with `index.json` and `shard_NNNNN.npy` files, each a 1-D uint16 array (uint32
when the vocabulary has more than 65536 ids), memory-mapped at train time. Files are tokenized in
order, each followed by the end-of-text id when there is one, and concatenated into one stream.

    index.json = {"version": 1, "dtype": "uint16", "vocab_size": V, "eos_id": E | null,
                  "tokens": N, "shards": [{"file": "shard_00000.npy", "tokens": n}, ...],
                  "sources": [{"path": ..., "bytes": ..., "mtime": ...}], "tokenizer_sha256": ...}

Sampling: batch (step, micro) of the run is a (world*B, seq_len+1) block of windows whose start
positions come from numpy's PCG64 seeded by (seed, step, micro); rank r takes rows r*B..r*B+B-1.
The generator's whole state is therefore (seed, next step), which the checkpoint stores: a resumed
run reads exactly the windows the uninterrupted run would have read, and the global batch is the
same whatever the world size.

Held-out split (evaluation, `holdout_split` / `eval_starts`): with data.eval_fraction f the stream
is cut into blocks of data.eval_block tokens and an evenly spread, seed-free set of blocks (a share
f of them) is held out; training windows are drawn only from the rest (each wholly inside a run of
training blocks), so no held-out token is ever trained on. With data.eval_corpus / eval_shards the
held-out text is a separate shard folder and the training stream is untouched. The evaluation reads
a fixed list of non-overlapping windows of the held-out part, the same every time.
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
from typing import Iterable, Optional

import numpy as np
import torch

SHARD_TOKENS = 1 << 27  # 128M tokens per shard: 256 MB as uint16
_CHUNK_BYTES = 1 << 20  # text is encoded in ~1 MB pieces split at line ends


# ---- finding the text -----------------------------------------------------------------------------
def expand_corpus(patterns: Iterable[str]) -> list[str]:
    """Files named by paths, folders (every file below, sorted) and globs, in the order given."""
    out: list[str] = []
    for p in patterns:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs.sort()
                out += [os.path.join(root, f) for f in sorted(files) if not f.startswith(".")]
        elif any(c in p for c in "*?["):
            out += sorted(glob.glob(p, recursive=True))
        elif os.path.isfile(p):
            out.append(p)
        else:
            raise FileNotFoundError(f"data.corpus: {p} is not a file, folder or matching glob")
    if not out:
        raise FileNotFoundError("data.corpus: no files")
    return out


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def _sources(files: list[str]) -> list[dict]:
    return [{"path": os.path.abspath(f), "bytes": os.path.getsize(f), "mtime": os.path.getmtime(f)} for f in files]


def find_eos_id(tokenizer, eos_token: Optional[str], model_eos) -> Optional[int]:
    """The id appended after each file: data.eos_token, else the model config's eos_token_id,
    else <|endoftext|> or </s> if the tokenizer has one, else none."""
    if eos_token is not None:
        i = tokenizer.token_to_id(eos_token)
        if i is None:
            raise ValueError(f"data.eos_token: {eos_token!r} is not in the tokenizer")
        return i
    if isinstance(model_eos, list):
        model_eos = model_eos[0] if model_eos else None
    if model_eos is not None:
        return int(model_eos)
    for t in ("<|endoftext|>", "</s>", "<|end_of_text|>", "<eos>"):
        i = tokenizer.token_to_id(t)
        if i is not None:
            return i
    return None


# ---- text -> shards -------------------------------------------------------------------------------
def _pieces(path: str) -> Iterable[str]:
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        buf: list[str] = []
        size = 0
        for line in f:
            buf.append(line)
            size += len(line)
            if size >= _CHUNK_BYTES:
                yield "".join(buf)
                buf, size = [], 0
        if buf:
            yield "".join(buf)


def tokenize_corpus(files: list[str], tokenizer_path: str, out_dir: str,
                    eos_id: Optional[int] = None, shard_tokens: int = SHARD_TOKENS) -> dict:
    """Encode `files` with the tokenizer into shards under out_dir; returns the index."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(tokenizer_path)
    vocab = tok.get_vocab_size(with_added_tokens=True)
    dtype = np.uint16 if vocab <= 1 << 16 else np.uint32
    os.makedirs(out_dir, exist_ok=True)
    shards: list[dict] = []
    pending: list[np.ndarray] = []
    n_pending = 0
    total = 0

    def flush(final: bool) -> None:
        nonlocal pending, n_pending
        while n_pending >= shard_tokens or (final and n_pending):
            flat = np.concatenate(pending)
            take, rest = flat[:shard_tokens], flat[shard_tokens:]
            name = f"shard_{len(shards):05d}.npy"
            np.save(os.path.join(out_dir, name + ".tmp.npy"), take)
            os.replace(os.path.join(out_dir, name + ".tmp.npy"), os.path.join(out_dir, name))
            shards.append({"file": name, "tokens": int(take.size)})
            pending, n_pending = ([rest] if rest.size else []), int(rest.size)

    for path in files:
        for piece in _pieces(path):
            ids = np.asarray(tok.encode(piece, add_special_tokens=False).ids, dtype=dtype)
            pending.append(ids)
            n_pending += ids.size
            total += ids.size
            flush(False)
        if eos_id is not None:
            pending.append(np.asarray([eos_id], dtype=dtype))
            n_pending += 1
            total += 1
    flush(True)
    index = {"version": 1, "dtype": np.dtype(dtype).name, "vocab_size": vocab, "eos_id": eos_id,
             "tokens": total, "shards": shards, "sources": _sources(files),
             "tokenizer_sha256": _sha256(tokenizer_path)}
    with open(os.path.join(out_dir, "index.json.tmp"), "w") as f:
        json.dump(index, f, indent=1)
    os.replace(os.path.join(out_dir, "index.json.tmp"), os.path.join(out_dir, "index.json"))
    return index


def ensure_shards(files: list[str], tokenizer_path: str, out_dir: str, eos_id: Optional[int]) -> dict:
    """Tokenize unless out_dir already holds shards of these very files and tokenizer."""
    idx_path = os.path.join(out_dir, "index.json")
    if os.path.exists(idx_path):
        with open(idx_path) as f:
            index = json.load(f)
        if (index.get("sources") == _sources(files) and index.get("eos_id") == eos_id
                and index.get("tokenizer_sha256") == _sha256(tokenizer_path)):
            return index
    return tokenize_corpus(files, tokenizer_path, out_dir, eos_id)


# ---- shards -> windows ----------------------------------------------------------------------------
class TokenStream:
    """All shards of a folder as one read-only token sequence (memory-mapped)."""

    def __init__(self, shard_dir: str):
        with open(os.path.join(shard_dir, "index.json")) as f:
            self.index = json.load(f)
        self.arrays = [np.load(os.path.join(shard_dir, s["file"]), mmap_mode="r") for s in self.index["shards"]]
        self.offsets = np.cumsum([0] + [a.size for a in self.arrays])
        self.n_tokens = int(self.offsets[-1])
        self.vocab_size = int(self.index["vocab_size"])

    def window(self, start: int, length: int) -> np.ndarray:
        out = np.empty(length, dtype=np.int64)
        pos, filled = start, 0
        while filled < length:
            s = int(np.searchsorted(self.offsets, pos, side="right")) - 1
            a = self.arrays[s]
            lo = pos - int(self.offsets[s])
            n = min(length - filled, a.size - lo)
            out[filled:filled + n] = a[lo:lo + n]
            filled += n
            pos += n
        return out


class WindowSampler:
    """Batches of (B, seq_len+1) token windows, a pure function of (seed, step, micro, rank).

    `intervals` ([m, 2] int64 [start, end) token ranges, from `holdout_split`) restricts the windows to
    lie wholly inside one of them (the training part of a held-out split); None: the whole stream."""

    def __init__(self, stream: TokenStream, seq_len: int, batch: int, seed: int, rank: int = 0, world: int = 1,
                 intervals: Optional[np.ndarray] = None):
        if stream.n_tokens < seq_len + 2:
            raise ValueError(f"data: {stream.n_tokens} tokens, fewer than seq_len+2 = {seq_len + 2}")
        self.stream, self.seq_len, self.batch = stream, seq_len, batch
        self.seed, self.rank, self.world = seed, rank, world
        self.intervals = None
        if intervals is not None:
            iv = np.asarray(intervals, dtype=np.int64).reshape(-1, 2)
            n_starts = np.maximum(iv[:, 1] - iv[:, 0] - seq_len, 0)   # window [s, s + seq_len + 1) inside
            if n_starts.sum() < 1:
                raise ValueError(f"data: no training window of {seq_len + 1} tokens outside the held-out split")
            self.intervals, self._cum = iv, np.cumsum(n_starts)

    def starts(self, step: int, micro: int) -> np.ndarray:
        rng = np.random.Generator(np.random.PCG64([self.seed, step, micro]))
        if self.intervals is None:
            every = rng.integers(0, self.stream.n_tokens - self.seq_len - 1, size=self.batch * self.world)
        else:  # a uniform draw over every allowed start, mapped to its interval
            u = rng.integers(0, int(self._cum[-1]), size=self.batch * self.world)
            j = np.searchsorted(self._cum, u, side="right")
            before = np.concatenate([[0], self._cum])[j]
            every = self.intervals[j, 0] + (u - before)
        return every[self.rank * self.batch:(self.rank + 1) * self.batch]

    def get(self, step: int, micro: int) -> torch.Tensor:
        rows = [self.stream.window(int(s), self.seq_len + 1) for s in self.starts(step, micro)]
        return torch.from_numpy(np.stack(rows))

    def state_dict(self, next_step: int) -> dict:
        return {"seed": self.seed, "next_step": int(next_step), "tokens": self.stream.n_tokens}


# ---- the held-out split ---------------------------------------------------------------------------
def _runs(mask: np.ndarray, block: int, n_tokens: int) -> np.ndarray:
    """[m, 2] token ranges [start, end) of the maximal runs of True blocks in `mask`."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    first, last = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return np.stack([first * block, np.minimum(last * block, n_tokens)], axis=1).astype(np.int64)


def holdout_split(n_tokens: int, fraction: float, block: int) -> tuple[np.ndarray, np.ndarray]:
    """(train intervals, held-out intervals) of a stream of n_tokens: the stream is cut into blocks of
    `block` tokens and block i is held out when floor((i+1) f) > floor(i f), f = fraction as an exact
    decimal: for f = 0.1 blocks 9, 19, 29, ... A pure function of its arguments (no seed), so every
    run, rank and resume sees the same split, and no training window touches a held-out token."""
    from fractions import Fraction

    f = Fraction(str(fraction))
    n_blocks = -(-n_tokens // block)
    i = np.arange(n_blocks, dtype=np.int64)
    held = ((i + 1) * f.numerator) // f.denominator > (i * f.numerator) // f.denominator
    if not held.any():
        raise ValueError(f"data.eval_fraction {fraction}: {n_tokens} tokens make {n_blocks} block(s) of "
                         f"{block} tokens, none held out; lower data.eval_block or raise the fraction")
    return _runs(~held, block, n_tokens), _runs(held, block, n_tokens)


def eval_starts(intervals: np.ndarray, seq_len: int, max_windows: int) -> np.ndarray:
    """The fixed held-out windows: the intervals tiled by non-overlapping windows of seq_len+1 tokens,
    then `max_windows` of them spread evenly (window floor(i * total / max_windows)); all when fewer.
    No randomness: the same windows at every evaluation, in every run, whatever the world size."""
    w = seq_len + 1
    tiles = [np.arange(a, a + ((b - a) // w) * w, w, dtype=np.int64) for a, b in np.asarray(intervals).reshape(-1, 2)]
    every = np.concatenate(tiles) if tiles else np.zeros(0, dtype=np.int64)
    if every.size == 0:
        raise ValueError(f"data: the held-out split holds no window of {w} tokens")
    if every.size > max_windows:
        every = every[(np.arange(max_windows, dtype=np.int64) * every.size) // max_windows]
    return every
