// A tiny test harness for the native tests: TEST(name) registers a function, CHECK records
// a failure with file and line and keeps going. main.cpp runs them all and prints
// "N passed, N failed", which test/native/native.test.ts asserts on.
#pragma once
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace colm_test {

struct TestCase {
  const char* name;
  void (*fn)();
};

inline std::vector<TestCase>& registry() {
  static std::vector<TestCase> tests;
  return tests;
}

inline int& failures_in_current_test() {
  static int n = 0;
  return n;
}

struct Register {
  Register(const char* name, void (*fn)()) { registry().push_back({name, fn}); }
};

inline void fail(const char* file, int line, const std::string& what) {
  std::fprintf(stderr, "  FAIL %s:%d: %s\n", file, line, what.c_str());
  ++failures_in_current_test();
}

// Largest |a-b| / (atol + rtol*|b|) over two arrays; <= 1 means "close".
inline double worst_closeness(const float* a, const float* b, size_t n, double atol, double rtol) {
  double worst = 0;
  for (size_t i = 0; i < n; ++i) {
    double d = std::fabs(double(a[i]) - double(b[i])) / (atol + rtol * std::fabs(double(b[i])));
    if (!(d <= worst)) worst = d;  // NaN propagates as a failure
  }
  return worst;
}

}  // namespace colm_test

#define TEST(name)                                                        \
  static void name();                                                     \
  static colm_test::Register register_##name(#name, &name);               \
  static void name()

#define CHECK(cond)                                                                  \
  do {                                                                               \
    if (!(cond)) colm_test::fail(__FILE__, __LINE__, "CHECK(" #cond ")");            \
  } while (0)

#define CHECK_CLOSE(a, b, n, atol, rtol)                                                     \
  do {                                                                                       \
    double w_ = colm_test::worst_closeness((a), (b), (n), (atol), (rtol));                   \
    if (!(w_ <= 1.0))                                                                        \
      colm_test::fail(__FILE__, __LINE__, "CHECK_CLOSE(" #a ", " #b ") worst ratio " +       \
                                              std::to_string(w_));                           \
  } while (0)
