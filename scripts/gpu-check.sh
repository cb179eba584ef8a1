#!/usr/bin/env bash
# The GPU check: builds the CUDA backend and the native check program from this working tree
# with CMake + nvcc (no Node, no npm, no network), then runs, in order:
#   1. colm_native_tests  - the CPU kernels and the CUDA loader's host side (sanity)
#   2. colm_cuda_check    - GPU against CPU on the golden fixtures' models (test/fixtures/cuda)
#                           and on synthetic models (F32/F16/BF16/Q8_0, Air and plain, GQA,
#                           biases, qk-norm, sliding windows, odd widths), the Air and switch
#                           invariants, then the benchmark table (decode tok/s and GB/s against
#                           the measured device-to-device copy, prefill tok/s, switch latency)
# Meant to finish within 8 minutes on one GPU. Exit status: 0 all passed, 1 a failure,
# 2 no usable GPU. Options: --quick (smaller benchmark), --no-bench, --all-archs (build every
# shipped architecture instead of this GPU's only).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${COLM_GPU_CHECK_BUILD:-$ROOT/build/gpu-check}
QUICK=""
BENCH=""
ALL_ARCHS=0
for a in "$@"; do
  case "$a" in
    --quick) QUICK=--quick ;;
    --no-bench) BENCH=--no-bench ;;
    --all-archs) ALL_ARCHS=1 ;;
    *) echo "usage: scripts/gpu-check.sh [--quick] [--no-bench] [--all-archs]" >&2; exit 2 ;;
  esac
done

start=$(date +%s)
echo "== machine"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,compute_cap,memory.total,driver_version --format=csv,noheader || echo "nvidia-smi: not found"
command -v nvcc >/dev/null || { echo "nvcc not found: install the CUDA toolkit (13.x) or put it on PATH" >&2; exit 2; }
nvcc --version | tail -1
cmake --version | head -1

ARCHS=""
if [ "$ALL_ARCHS" = 0 ] && command -v nvidia-smi >/dev/null; then
  cc=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d ' .')
  [ -n "$cc" ] && ARCHS="${cc}-real"
fi
echo "== build ($BUILD, CUDA architectures: ${ARCHS:-all shipped})"
cmake -S native -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCOLM_CUDA=ON ${ARCHS:+-DCOLM_CUDA_ARCHS=$ARCHS} >"$BUILD.configure.log" 2>&1 ||
  { cat "$BUILD.configure.log"; exit 1; }
cmake --build "$BUILD" --target colm_cuda colm_cuda_check colm_native_tests -j "$(nproc)" >"$BUILD.build.log" 2>&1 ||
  { tail -60 "$BUILD.build.log"; exit 1; }
echo "built in $(( $(date +%s) - start )) s"

echo "== native tests (CPU kernels, CUDA loader)"
"$BUILD/colm_native_tests" | tail -3

echo "== GPU against CPU, then the benchmark"
set +e
COLM_CUDA_LIB="$BUILD/libcolm_cuda.so" timeout 420 "$BUILD/colm_cuda_check" --root "$ROOT" $QUICK $BENCH
rc=$?
set -e
echo "== done in $(( $(date +%s) - start )) s, exit $rc"
exit $rc
