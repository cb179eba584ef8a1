#include "bindings.h"
namespace colm_addon {
void RegisterSampler(Napi::Env env, Napi::Object exports) {}
colm::Sampler* UnwrapSampler(Napi::Value) { return nullptr; }
}
