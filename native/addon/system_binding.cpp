// Free functions about the machine and the build: the kernel variants this CPU can run, the
// one in use, thread counts, and the CUDA devices (through the optional backend library).
#include <string>
#include <thread>

#include "bindings.h"
#include "colm/backend.h"
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

// cudaDevices(libraryPath?) -> {available, reason, libraryLoaded, libraryPath, libraryVersion,
// driverVersion, devices: [{index, name, computeCapability, totalBytes, freeBytes,
// multiprocessors, driverVersion, runtimeVersion}]}. Never throws for a missing library, driver
// or device: `reason` says which. A path probes that file instead of the library beside the addon.
static Napi::Value CudaDevices(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  if (info.Length() > 0 && info[0].IsString()) path = info[0].As<Napi::String>().Utf8Value();
  const colm::CudaProbe p = colm::cuda_probe(path);
  Napi::Object out = Napi::Object::New(env);
  out.Set("available", Napi::Boolean::New(env, !p.devices.empty()));
  out.Set("reason", p.devices.empty() ? Napi::Value(Napi::String::New(env, p.reason)) : env.Null());
  out.Set("libraryLoaded", Napi::Boolean::New(env, p.library_loaded));
  out.Set("libraryPath", Napi::String::New(env, p.library_path));
  out.Set("libraryVersion", p.library_loaded ? Napi::Value(Napi::String::New(env, p.library_version)) : env.Null());
  out.Set("driverVersion", Napi::Number::New(env, p.driver_version));
  Napi::Array devices = Napi::Array::New(env, p.devices.size());
  for (size_t i = 0; i < p.devices.size(); ++i) {
    const colm::CudaDevice& d = p.devices[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("index", Napi::Number::New(env, d.index));
    o.Set("name", Napi::String::New(env, d.name));
    o.Set("computeCapability", Napi::String::New(env, std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor)));
    o.Set("totalBytes", Napi::Number::New(env, double(d.total_bytes)));
    o.Set("freeBytes", Napi::Number::New(env, double(d.free_bytes)));
    o.Set("multiprocessors", Napi::Number::New(env, d.multiprocessors));
    o.Set("driverVersion", Napi::Number::New(env, d.driver_version));
    o.Set("runtimeVersion", Napi::Number::New(env, d.runtime_version));
    devices.Set(uint32_t(i), o);
  }
  out.Set("devices", devices);
  return out;
}

void RegisterSystem(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaDevices", Napi::Function::New(env, CudaDevices, "cudaDevices"));
  exports.Set("systemInfo", Napi::Function::New(env, SystemInfo, "systemInfo"));
  exports.Set("setKernels", Napi::Function::New(env, SetKernels, "setKernels"));
}

}  // namespace colm_addon
