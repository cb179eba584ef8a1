// The CUDA backend's host side, on any machine: the loader tolerates a missing or foreign
// library with a one-line reason, and asking for a CUDA session without a device is an Error
// that says why. (GPU results are checked by native/tests/cuda/cuda_check.cpp on a GPU.)
#include <string>

#include "check.h"
#include "colm/backend.h"

namespace {
bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }
}  // namespace

TEST(cuda_probe_of_a_missing_library_says_not_built) {
  const colm::CudaProbe p = colm::cuda_probe("/nonexistent/dir/libcolm_cuda.so");
  CHECK(!p.library_loaded);
  CHECK(p.devices.empty());
  CHECK(contains(p.reason, "the CUDA backend was not built"));
}

TEST(cuda_probe_of_a_file_that_is_no_library_says_so) {
  const colm::CudaProbe p = colm::cuda_probe(__FILE__);
  CHECK(!p.library_loaded);
  CHECK(contains(p.reason, "could not be loaded"));
}

TEST(cuda_probe_default_lists_devices_or_gives_a_reason) {
  const colm::CudaProbe p = colm::cuda_probe();
  if (p.devices.empty()) {
    CHECK(!p.reason.empty());
  } else {
    CHECK(p.library_loaded);
    CHECK(p.reason.empty());
    CHECK(!p.devices[0].name.empty());
  }
}

TEST(cuda_session_without_a_device_is_an_error_with_the_reason) {
  const colm::CudaProbe p = colm::cuda_probe();
  if (!p.devices.empty()) return;  // a GPU machine: cuda_check covers sessions
  bool threw = false;
  try {
    colm::make_cuda_session(nullptr, 0, colm::SessionOptions{});
  } catch (const colm::Error& e) {
    threw = true;
    CHECK(contains(e.what(), "cuda:0 is not available: "));
    CHECK(contains(e.what(), p.reason.c_str()));
  }
  CHECK(threw);
}
