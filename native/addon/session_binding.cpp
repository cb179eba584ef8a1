#include "bindings.h"
namespace colm_addon {
void RegisterSession(Napi::Env env, Napi::Object exports) {}
}
