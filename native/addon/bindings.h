// The addon's wrapped classes register themselves here; one file per wrapped class.
#pragma once
#include <napi.h>

#include <memory>

namespace colm {
class Sampler;
struct Model;
}

namespace colm_addon {

void RegisterModel(Napi::Env env, Napi::Object exports);    // model_binding.cpp
void RegisterSession(Napi::Env env, Napi::Object exports);  // session_binding.cpp
void RegisterSampler(Napi::Env env, Napi::Object exports);  // sampler_binding.cpp
void RegisterSystem(Napi::Env env, Napi::Object exports);   // system_binding.cpp
void RegisterTrainer(Napi::Env env, Napi::Object exports);  // trainer_binding.cpp

// The native sampler behind a JS Sampler object, or nullptr when `value` is not one.
colm::Sampler* UnwrapSampler(Napi::Value value);

// The native model behind a JS Model object; throws a TypeError when it is not one or was disposed.
std::shared_ptr<const colm::Model> UnwrapModel(Napi::Value value);

}  // namespace colm_addon
