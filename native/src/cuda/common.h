// Shared by the host files (.cpp, compiled by the C++ compiler) and the kernels (.cu) of the CUDA
// backend: the device-side view of a weight, and the error type the host code throws (caught at
// the C ABI boundary in api.cpp, never crossing it).
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>
#include <string>

#include "colm_cuda_api.h"

namespace colm_cuda {

// ---- errors (host) ----

struct Failure {
  int status;
  std::string message;
};

// The status a CUDA error maps to: sticky errors mean the context (and every allocation) is gone.
int status_of(cudaError_t e);
[[noreturn]] void fail(int status, const std::string& message);
// Throws Failure naming `what` when e is not cudaSuccess.
void check(cudaError_t e, const char* what);
// After a batch of launches: a launch error (bad configuration) or a sticky error from before.
void check_launch(const char* what);

// ---- device view of one chain block, compacted at upload: rows `ld` elements apart ----

struct DevWeight {
  const void* data;
  const void* scales;  // Q8_0: (rows, scales_ld) in scale_dtype
  int32_t dtype;       // COLM_CUDA_F32 / F16 / BF16 / Q8_0
  int32_t scale_dtype;
  int32_t rows, cols;  // cols: the K-extent read (a prefix of the stored columns)
  int64_t ld, scales_ld;
  int32_t out_offset;  // first output feature of the block
};

// The blocks of sub-model k of one linear, passed by value to the kernels.
struct LinearArgs {
  DevWeight b[COLM_CUDA_MAX_CHAINS];
  int32_t n;           // blocks used (k, or 1 for a dense map)
  const float* bias;   // (total rows) or nullptr
  int32_t total_rows;  // out_offset + rows of the last block used
};

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace colm_cuda
