// Module entry: registers every wrapped class and free function of the addon.
#include <napi.h>

#include "bindings.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  colm_addon::RegisterModel(env, exports);
  colm_addon::RegisterSession(env, exports);
  colm_addon::RegisterSampler(env, exports);
  colm_addon::RegisterSystem(env, exports);
  colm_addon::RegisterTrainer(env, exports);
  return exports;
}

NODE_API_MODULE(colm, Init)
