#include "bindings.h"
namespace colm_addon {
void RegisterModel(Napi::Env env, Napi::Object exports) {}
}
