// Free functions about the machine and the build: which kernels were picked, thread counts.
#include <thread>

#include "bindings.h"

namespace colm_addon {

static Napi::Value SystemInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("hardwareThreads", Napi::Number::New(env, std::thread::hardware_concurrency()));
  return out;
}

void RegisterSystem(Napi::Env env, Napi::Object exports) {
  exports.Set("systemInfo", Napi::Function::New(env, SystemInfo, "systemInfo"));
}

}  // namespace colm_addon
