// The trainer's reference kernels, built for the baseline target: the GEMM as plain fused
// multiply-adds in k order (the result every tiled set must give bit for bit), the elementwise
// kernels as the compiler vectorises them for the baseline.
#define COLM_TRAIN_ISA scalar
#define COLM_TRAIN_REFERENCE_GEMM
#include "train_isa_body.h"
