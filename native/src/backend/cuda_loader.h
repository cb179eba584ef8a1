// Finds and loads libcolm_cuda at run time (dlopen / LoadLibrary) and checks its ABI version.
#pragma once
#include <string>

#include "colm_cuda_api.h"

namespace colm {

struct CudaLibrary {
  const colm_cuda_api* api = nullptr;  // null: not loaded, `reason` says why
  std::string path;
  std::string reason;
};

// The library's file name on this platform: libcolm_cuda.so, colm_cuda.dll, libcolm_cuda.dylib.
const char* cuda_library_file_name();
// The process-wide library: COLM_CUDA_LIB, else beside this module or in its Release/ folder.
const CudaLibrary& cuda_library();
// A library at an explicit path (not cached, never unloaded: tests probe a few).
CudaLibrary cuda_library_at(const std::string& path);

}  // namespace colm
