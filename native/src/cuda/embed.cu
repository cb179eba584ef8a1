// Embedding gather: sub-model k reads the first d_k columns of each token's row.
#include "device.cuh"
#include "kernels.h"

namespace colm_cuda {

namespace {

__global__ void embed_kernel(DevWeight e, const int32_t* tokens, int32_t dk, float* x, int64_t ldx) {
  const int32_t t = blockIdx.x;
  const int64_t row = tokens[t];
  for (int32_t c = threadIdx.x; c < dk; c += blockDim.x) x[t * ldx + c] = load_w(e, row, c);
}

}  // namespace

void launch_embed(const DevWeight& embed, const int32_t* tokens, int32_t T, int32_t dk, float* x, int64_t ldx,
                  cudaStream_t s) {
  embed_kernel<<<T, 256, 0, s>>>(embed, tokens, dk, x, ldx);
}

}  // namespace colm_cuda
