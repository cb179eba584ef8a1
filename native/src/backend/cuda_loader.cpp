#include "cuda_loader.h"

#include <cstdlib>
#include <mutex>
#include <sys/stat.h>

#if defined(_WIN32)
#include <windows.h>
#else
#include <dlfcn.h>
#endif

namespace colm {

namespace {

bool file_exists(const std::string& p) {
  struct stat st;
  return !p.empty() && stat(p.c_str(), &st) == 0;
}

// The folder of the module (colm.node or an executable) that holds this function.
std::string module_dir() {
#if defined(_WIN32)
  HMODULE self = nullptr;
  GetModuleHandleExA(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                     reinterpret_cast<LPCSTR>(&module_dir), &self);
  char buf[MAX_PATH] = {0};
  GetModuleFileNameA(self, buf, MAX_PATH);
  std::string p(buf);
  const size_t cut = p.find_last_of("\\/");
#else
  Dl_info info{};
  if (!dladdr(reinterpret_cast<void*>(&module_dir), &info) || !info.dli_fname) return ".";
  std::string p(info.dli_fname);
  const size_t cut = p.find_last_of('/');
#endif
  return cut == std::string::npos ? "." : p.substr(0, cut);
}

std::string load_error() {
#if defined(_WIN32)
  return "LoadLibrary error " + std::to_string(GetLastError());
#else
  const char* e = dlerror();
  return e ? e : "unknown dlopen error";
#endif
}

}  // namespace

const char* cuda_library_file_name() {
#if defined(_WIN32)
  return "colm_cuda.dll";
#elif defined(__APPLE__)
  return "libcolm_cuda.dylib";
#else
  return "libcolm_cuda.so";
#endif
}

CudaLibrary cuda_library_at(const std::string& path) {
  CudaLibrary lib;
  lib.path = path;
  if (!file_exists(path)) {
    lib.reason = std::string("the CUDA backend was not built (no ") + cuda_library_file_name() + " at " + path +
                 "; build with the CUDA toolkit installed)";
    return lib;
  }
#if defined(_WIN32)
  HMODULE h = LoadLibraryA(path.c_str());
  void* sym = h ? reinterpret_cast<void*>(GetProcAddress(h, "colm_cuda_get_api")) : nullptr;
#else
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  void* sym = h ? dlsym(h, "colm_cuda_get_api") : nullptr;
#endif
  if (!h) {
    lib.reason = "the CUDA backend library could not be loaded: " + load_error();
    return lib;
  }
  if (!sym) {
    lib.reason = "the CUDA backend library " + path + " has no colm_cuda_get_api: it is not a CoLM CUDA backend";
    return lib;
  }
  const colm_cuda_api* api = reinterpret_cast<colm_cuda_get_api_fn>(sym)(COLM_CUDA_ABI_VERSION);
  if (!api || api->struct_size < sizeof(colm_cuda_api)) {
    lib.reason = "the CUDA backend library " + path + " was built from another version (ABI " +
                 std::to_string(COLM_CUDA_ABI_VERSION) + " wanted): rebuild it with the addon";
    return lib;
  }
  lib.api = api;
  return lib;
}

const CudaLibrary& cuda_library() {
  static CudaLibrary lib;
  static std::once_flag once;
  std::call_once(once, [] {
    const char* env = std::getenv("COLM_CUDA_LIB");
    if (env && *env) {
      lib = cuda_library_at(env);
      return;
    }
    const std::string dir = module_dir();
    const std::string beside = dir + "/" + cuda_library_file_name();
    const std::string release = dir + "/Release/" + cuda_library_file_name();
    lib = cuda_library_at(file_exists(beside) || !file_exists(release) ? beside : release);
  });
  return lib;
}

}  // namespace colm
