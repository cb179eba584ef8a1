// Free functions about the machine and the build: the kernel variants this CPU can run, the
// one in use, and thread counts.
#include <string>
#include <thread>

#include "bindings.h"
#include "colm/kernels.h"
#include "colm/thread_pool.h"

namespace colm_addon {

static Napi::Value SystemInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("hardwareThreads", Napi::Number::New(env, std::thread::hardware_concurrency()));
  out.Set("defaultThreads", Napi::Number::New(env, colm::default_thread_count()));
  out.Set("kernels", Napi::String::New(env, colm::cpu_kernels().name));
  auto available = colm::cpu_kernels_available();
  Napi::Array names = Napi::Array::New(env, available.size());
  for (size_t i = 0; i < available.size(); ++i) names.Set(uint32_t(i), Napi::String::New(env, available[i]->name));
  out.Set("kernelsAvailable", names);
  auto opt_in = colm::cpu_kernels_opt_in();
  Napi::Array opt_names = Napi::Array::New(env, opt_in.size());
  for (size_t i = 0; i < opt_in.size(); ++i) opt_names.Set(uint32_t(i), Napi::String::New(env, opt_in[i]->name));
  out.Set("kernelsOptIn", opt_names);
  return out;
}

// setKernels(name): picks a kernel variant for the whole process (tests and benchmarks compare
// variants); throws when this CPU cannot run it. Not while a session is evaluating.
static Napi::Value SetKernels(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "setKernels(name: string)");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  if (!colm::set_cpu_kernels(name)) throw Napi::Error::New(env, "kernel variant \"" + name + "\" is not available on this CPU");
  return env.Undefined();
}

void RegisterSystem(Napi::Env env, Napi::Object exports) {
  exports.Set("systemInfo", Napi::Function::New(env, SystemInfo, "systemInfo"));
  exports.Set("setKernels", Napi::Function::New(env, SetKernels, "setKernels"));
}

}  // namespace colm_addon
