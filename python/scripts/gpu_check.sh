#!/usr/bin/env bash
# GPU check of issue 10 (device machine): kernel parity on the GPU, kernel vs dense timings, and the
# FSDP2 training step when colm_torch.train provides it. No install: the image's torch/triton/numpy.
# Usage (repository root): bash python/scripts/gpu_check.sh [--quick] [--dry-run]
set -euo pipefail
cd "$(dirname "$0")/../.."
export PYTHONPATH="python${PYTHONPATH:+:$PYTHONPATH}"
unset TRITON_INTERPRET
exec timeout 470 "${PYTHON:-python}" python/scripts/gpu_check.py "$@"
