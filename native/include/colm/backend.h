// One interface for a conversation's state, whatever runs it: the CPU engine (colm::Session) or
// the optional CUDA backend (libcolm_cuda, loaded at run time). The addon's Session binding and
// the GPU check hold an InferenceSession and never branch on the device.
//
// The CUDA backend is a separate shared library (native/src/cuda, C ABI in colm_cuda_api.h)
// found beside the module that holds this code (colm.node, or the check program), or at
// COLM_CUDA_LIB. Its absence is a normal state: cuda_probe() says why in one line.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "colm/model.h"
#include "colm/session.h"

namespace colm {

class InferenceSession {
 public:
  virtual ~InferenceSession() = default;

  // "cpu" or "cuda:N".
  virtual std::string device() const = 0;
  virtual const Model& model() const = 0;
  virtual int32_t position() const = 0;
  virtual int32_t context_size() const = 0;
  virtual const std::vector<int32_t>& tokens() const = 0;

  // As Session::evaluate / prefill / truncate (native/include/colm/session.h).
  virtual std::vector<float> evaluate(const int32_t* tokens, int32_t count, int32_t k, LogitsWanted want) = 0;
  virtual std::vector<float> prefill(const int32_t* tokens, int32_t count, int32_t k) = 0;
  virtual void truncate(int32_t length) = 0;

  // Debug views. The CUDA cache is BF16: kv_cache widens it. last_hidden is empty on CUDA.
  virtual std::vector<float> kv_cache(int32_t layer, bool values) const = 0;
  virtual int64_t kv_cache_bytes() const = 0;
  // How the cache stores K and V (the CPU: SessionOptions::kv_type; CUDA: always BF16).
  virtual KvType kv_type() const = 0;
  virtual std::vector<uint8_t> kv_chains() const = 0;
  virtual const std::vector<float>& last_hidden() const = 0;
  virtual int32_t last_hidden_chains() const = 0;

  // CPU worker threads (the CUDA session keeps one host thread: set_threads is a no-op).
  virtual void set_threads(int32_t threads) = 0;
  virtual int32_t threads() const = 0;

  // From any thread: the running evaluation stops at its next check and throws Cancelled.
  virtual void request_cancel() = 0;
};

// The CPU engine behind the interface: a colm::Session, unchanged.
std::unique_ptr<InferenceSession> make_cpu_session(std::shared_ptr<const Model> model, const SessionOptions& options);

// ---- the CUDA backend ----

struct CudaDevice {
  int32_t index = 0;
  std::string name;
  int32_t cc_major = 0, cc_minor = 0;
  uint64_t total_bytes = 0, free_bytes = 0;
  int32_t multiprocessors = 0;
  int32_t driver_version = 0;   // 13000: CUDA 13.0
  int32_t runtime_version = 0;
};

// What this process can use. `reason` is one line when no device is usable:
//   "the CUDA backend was not built (...)", "no NVIDIA driver: libcuda.so.1 was not found",
//   "driver too old: ...", "the NVIDIA driver reports no CUDA device", ...
struct CudaProbe {
  bool library_loaded = false;
  std::string library_path;     // where it was found or looked for
  std::string library_version;  // "colm_cuda 0.1.0 (CUDA runtime 13.0)"
  int32_t status = 0;           // colm_cuda_status of the device query (0: devices listed)
  std::string reason;           // empty when devices is not empty
  int32_t driver_version = 0;
  std::vector<CudaDevice> devices;
};

// Loads the library (once per process and path) and lists the devices. `library_path` empty:
// COLM_CUDA_LIB, else beside this module (and in its Release/ folder). A given path is probed
// on its own, not cached (tests).
CudaProbe cuda_probe(const std::string& library_path = "");

// Bytes the CUDA backend would allocate for this model (chains 1..max_chains, 0: all) and one
// session of context_size positions. Throws Error with the probe's reason when unavailable.
struct CudaMemoryPlan {
  uint64_t weight_bytes = 0, kv_bytes = 0, workspace_bytes = 0;
};
CudaMemoryPlan cuda_plan_memory(const Model& model, int32_t context_size, int32_t max_chains = 0);

// A session on CUDA device `device`. Cheap: the weights are uploaded (once per model and device,
// shared by its sessions) and the cache allocated on the first evaluation, off the caller's
// thread in the addon. Throws Error with the reason when the backend or the device is missing.
std::unique_ptr<InferenceSession> make_cuda_session(std::shared_ptr<const Model> model, int32_t device,
                                                    const SessionOptions& options);

// Device-to-device copy bandwidth in GB/s (bytes read + written): the GPU check's roofline.
double cuda_copy_bandwidth(int32_t device, uint64_t bytes, int32_t iterations);

// Frees the device copy of a model's weights once no session uses it (Model.dispose()).
void cuda_release_model(const Model* model);

}  // namespace colm
