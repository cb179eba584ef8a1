// The engine's version string, reported by `colm info` and the addon.
#include "colm/version.h"

namespace colm {
const char* version() { return "0.1.0"; }
}  // namespace colm
