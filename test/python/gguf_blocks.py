"""Random blocks of every ggml block type this project reads, and gguf-py's dequantization of them
(gguf.quants.dequantize: the float32 reference transformers uses). For each TYPE writes OUT/TYPE.bin
(the raw blocks) and OUT/TYPE.f32 (the expected float32 values, little-endian).
Blocks are random bytes with their F16 scale fields replaced by random finite F16 values (any sign,
normal and subnormal), plus a few hand-picked edge blocks (zero scales, largest finite scales).
Usage: gguf_blocks.py OUT
"""
import sys
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q

# byte offsets of the F16 fields in each block (ggml-common.h)
SCALES = {"Q4_0": [0], "Q4_1": [0, 2], "Q5_0": [0], "Q5_1": [0, 2], "Q8_0": [0],
          "Q2_K": [80, 82], "Q3_K": [108], "Q4_K": [0, 2], "Q5_K": [0, 2], "Q6_K": [208]}


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1234)
    for name, fields in SCALES.items():
        qtype = Q[name]
        block, size = gguf.GGML_QUANT_SIZES[qtype]
        n = 64
        b = rng.integers(0, 256, size=(n, size), dtype=np.uint8)
        for at in fields:
            bits = rng.integers(0, 0x7C00, size=n, dtype=np.uint16) | (rng.integers(0, 2, size=n, dtype=np.uint16) << 15)
            bits[0] = 0          # zero scale
            bits[1] = 0x7BFF     # largest finite
            bits[2] = 0x0001     # smallest subnormal
            b[:, at:at + 2] = bits.view(np.uint8).reshape(n, 2)
        values = gguf.quants.dequantize(b, qtype).astype(np.float32).reshape(-1)
        assert values.size == n * block
        (out / f"{name}.bin").write_bytes(b.tobytes())
        (out / f"{name}.f32").write_bytes(values.astype("<f4").tobytes())
    # float types too, through the same path
    x = rng.standard_normal(256).astype(np.float32)
    (out / "BF16.bin").write_bytes(gguf.quants.quantize(x, Q.BF16).tobytes())
    (out / "BF16.f32").write_bytes(gguf.quants.dequantize(gguf.quants.quantize(x, Q.BF16), Q.BF16).astype("<f4").tobytes())


if __name__ == "__main__":
    main(Path(sys.argv[1]))
