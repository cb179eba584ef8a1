// Runs every registered native test; an optional argument filters tests by name substring.
#include <cstring>

#include "check.h"

int main(int argc, char** argv) {
  const char* filter = argc > 1 ? argv[1] : nullptr;
  int passed = 0, failed = 0;
  for (const auto& t : colm_test::registry()) {
    if (filter && !std::strstr(t.name, filter)) continue;
    colm_test::failures_in_current_test() = 0;
    t.fn();
    if (colm_test::failures_in_current_test() == 0) {
      ++passed;
      std::printf("ok   %s\n", t.name);
    } else {
      ++failed;
      std::printf("FAIL %s\n", t.name);
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
