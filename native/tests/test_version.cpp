#include <cstring>

#include "check.h"
#include "colm/version.h"

TEST(version_is_semver_like) {
  const char* v = colm::version();
  CHECK(v != nullptr);
  CHECK(std::strchr(v, '.') != nullptr);
}
