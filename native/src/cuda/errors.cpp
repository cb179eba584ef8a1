// CUDA errors -> colm_cuda_status + one-line messages.
#include <cuda_runtime.h>

#include "common.h"

namespace colm_cuda {

int status_of(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return COLM_CUDA_OK;
    case cudaErrorMemoryAllocation: return COLM_CUDA_OUT_OF_MEMORY;
    case cudaErrorInsufficientDriver: return COLM_CUDA_DRIVER_TOO_OLD;
    case cudaErrorNoDevice: return COLM_CUDA_NO_DEVICE;
    case cudaErrorInvalidDevice: return COLM_CUDA_BAD_DEVICE;
    // Sticky: the context is unusable; every later call fails the same way.
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
    case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction:
    case cudaErrorMisalignedAddress:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorECCUncorrectable:
    case cudaErrorLaunchTimeout:
    case cudaErrorDevicesUnavailable:
      return COLM_CUDA_DEVICE_LOST;
    default: return COLM_CUDA_ERROR;
  }
}

void fail(int status, const std::string& message) { throw Failure{status, message}; }

void check(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return;
  const int st = status_of(e);
  std::string msg = std::string(what) + ": " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")";
  if (st == COLM_CUDA_DEVICE_LOST)
    msg += "; the GPU context is lost: this session stopped, load the model again (or use --device cpu)";
  fail(st, msg);
}

void check_launch(const char* what) { check(cudaGetLastError(), what); }

}  // namespace colm_cuda
