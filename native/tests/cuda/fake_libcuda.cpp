// A stand-in for the NVIDIA driver library (libcuda.so.1) with one function, for the host-side
// test of "driver too old": test/native/cuda-backend.test.ts puts it first on LD_LIBRARY_PATH and
// the CUDA backend's driver check (src/cuda/driver.cpp) reads its version. The version it claims
// comes from COLM_FAKE_CUDA_DRIVER_VERSION (default 12040: a CUDA 12.4 driver).
#include <cstdlib>

extern "C" __attribute__((visibility("default"))) int cuDriverGetVersion(int* version) {
  const char* v = std::getenv("COLM_FAKE_CUDA_DRIVER_VERSION");
  *version = v ? std::atoi(v) : 12040;
  return 0;
}
