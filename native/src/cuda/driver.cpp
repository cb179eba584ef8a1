// Is there an NVIDIA driver, and is it new enough? Asked of libcuda directly (dlopen), before
// the runtime creates a context, so "no driver" and "driver too old" get their own messages.
#include <string>

#include <cuda_runtime.h>

#include "common.h"

#if defined(_WIN32)
#include <windows.h>
#else
#include <dlfcn.h>
#endif

namespace colm_cuda {

namespace {

using DriverGetVersion = int (*)(int*);

// 0: no driver library; -1: the library but no version; else cuDriverGetVersion's answer.
int driver_version_query() {
#if defined(_WIN32)
  HMODULE lib = LoadLibraryA("nvcuda.dll");
  if (!lib) return 0;
  auto fn = reinterpret_cast<DriverGetVersion>(GetProcAddress(lib, "cuDriverGetVersion"));
#else
  void* lib = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
  if (!lib) lib = dlopen("libcuda.so", RTLD_LAZY | RTLD_LOCAL);
  if (!lib) return 0;
  auto fn = reinterpret_cast<DriverGetVersion>(dlsym(lib, "cuDriverGetVersion"));
#endif
  int v = 0;
  if (!fn || fn(&v) != 0) return -1;
  return v;
}

// Asked once per process (a thread-safe static).
int driver_version_raw() {
  static const int v = driver_version_query();
  return v;
}

std::string cuda_version_text(int v) { return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10); }

}  // namespace

int driver_version() {
  const int v = driver_version_raw();
  return v > 0 ? v : 0;
}

// Throws Failure when the runtime cannot work here: no driver, or one too old for this build.
void require_driver() {
  const int v = driver_version_raw();
#if defined(_WIN32)
  const char* lib = "nvcuda.dll";
#else
  const char* lib = "libcuda.so.1";
#endif
  if (v == 0) fail(COLM_CUDA_NO_DRIVER, std::string("no NVIDIA driver: ") + lib + " was not found");
  if (v < 0) fail(COLM_CUDA_NO_DRIVER, std::string("the NVIDIA driver library ") + lib + " does not answer cuDriverGetVersion");
  // CUDA minor-version compatibility: any driver of the runtime's major version runs it.
  if (v / 1000 < CUDART_VERSION / 1000)
    fail(COLM_CUDA_DRIVER_TOO_OLD, "driver too old: it supports CUDA " + cuda_version_text(v) + ", this build needs a CUDA " +
                                       std::to_string(CUDART_VERSION / 1000) +
                                       " driver (NVIDIA driver 580 or newer); update the driver or use --device cpu");
}

}  // namespace colm_cuda
