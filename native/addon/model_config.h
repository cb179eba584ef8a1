// The ColmConfig object of app/checkpoint/types.ts (already checked by the TypeScript reader) as
// the engine's ModelConfig; shared by the model and trainer bindings.
#pragma once
#include <napi.h>

#include "colm/model.h"

namespace colm_addon {

colm::ModelConfig ParseModelConfig(const Napi::Object& config);

}  // namespace colm_addon
