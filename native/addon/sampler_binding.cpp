// The JS Sampler: `new Sampler({temperature, topK, topP, minP, repeatPenalty, repeatLastN, seed})`,
// `sample(logits: Float32Array, recent?: Int32Array): number` and the `params` getter.
// sample() is synchronous: it takes well under a millisecond even for a 256k vocabulary with the
// default filters. A session's decode worker reaches the same native sampler through
// UnwrapSampler and samples off the JS thread.
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bindings.h"
#include "colm/sampler.h"

namespace colm_addon {

namespace {

// Tags every object this class constructs, so UnwrapSampler can tell a Sampler from any other
// object (another wrapped class included) without keeping a constructor reference per env.
const napi_type_tag kSamplerTypeTag = {0x8d3f2a61c7e94b05ull, 0x3b6e0f9a12d84c77ull};

// ---------------------------------------------------------------------------------------------
// Reading and checking the options. Every message names the field and the rule; a value of the
// wrong type is a TypeError, a number outside the rule a RangeError. `undefined` (or a missing
// key) keeps SamplerParams' default.

[[noreturn]] void throw_type_error(Napi::Env env, const std::string& message) {
  throw Napi::TypeError::New(env, message);
}

[[noreturn]] void throw_range_error(Napi::Env env, const std::string& message) {
  throw Napi::RangeError::New(env, message);
}

// options[name] as a number, or false when it is absent.
bool read_number(const Napi::Object& options, const char* name, const std::string& rule,
                 double* out) {
  Napi::Value value = options.Get(name);
  if (value.IsUndefined()) return false;
  if (!value.IsNumber()) throw_type_error(options.Env(), rule);
  *out = value.As<Napi::Number>().DoubleValue();
  return true;
}

bool is_integer(double v) { return std::isfinite(v) && std::floor(v) == v; }

// A float field whose value must lie in [lo, hi] (and be finite once it is a float).
void read_float(const Napi::Object& options, const char* name, double lo, double hi,
                const std::string& rule, float* field) {
  double v;
  if (!read_number(options, name, rule, &v)) return;
  if (!(v >= lo && v <= hi) || !std::isfinite(float(v))) throw_range_error(options.Env(), rule);
  *field = float(v);
}

void read_int32(const Napi::Object& options, const char* name, double lo, const std::string& rule,
                int32_t* field) {
  double v;
  if (!read_number(options, name, rule, &v)) return;
  if (!is_integer(v) || v < lo || v > 2147483647.0) throw_range_error(options.Env(), rule);
  *field = int32_t(v);
}

// The seed takes all 64 bits: a Number only up to 2^53 - 1 (beyond that a Number cannot hold
// every integer), a BigInt up to 2^64 - 1.
void read_seed(const Napi::Object& options, uint64_t* field) {
  const std::string rule =
      "seed must be a non-negative integer: a number up to 2^53 - 1 or a BigInt below 2^64";
  Napi::Value value = options.Get("seed");
  if (value.IsUndefined()) return;
  if (value.IsBigInt()) {
    bool lossless = false;
    uint64_t seed = value.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) throw_range_error(options.Env(), rule);  // negative or >= 2^64
    *field = seed;
    return;
  }
  if (!value.IsNumber()) throw_type_error(options.Env(), rule);
  double v = value.As<Napi::Number>().DoubleValue();
  if (!is_integer(v) || v < 0 || v > 9007199254740991.0) throw_range_error(options.Env(), rule);
  *field = uint64_t(v);
}

colm::SamplerParams parse_options(const Napi::CallbackInfo& info) {
  colm::SamplerParams params;  // the defaults
  if (info.Length() == 0 || info[0].IsUndefined()) return params;
  if (!info[0].IsObject() || info[0].IsArray() || info[0].IsFunction())
    throw_type_error(info.Env(), "Sampler options must be an object");
  Napi::Object options = info[0].As<Napi::Object>();

  read_float(options, "temperature", 0.0, FLT_MAX,
             "temperature must be a finite number >= 0 (0 means greedy)", &params.temperature);
  read_int32(options, "topK", 0, "topK must be an integer >= 0 (0 turns top-k off)",
             &params.top_k);
  read_float(options, "topP", 0.0, 1.0, "topP must be a number in [0, 1]", &params.top_p);
  read_float(options, "minP", 0.0, 1.0, "minP must be a number in [0, 1]", &params.min_p);
  read_float(options, "repeatPenalty", FLT_MIN, FLT_MAX,
             "repeatPenalty must be a finite number > 0 (1 turns it off)", &params.repeat_penalty);
  read_int32(options, "repeatLastN", -1,
             "repeatLastN must be an integer >= -1 (-1: the whole context, 0: off)",
             &params.repeat_last_n);
  read_seed(options, &params.seed);
  return params;
}

// The float the engine holds, as the shortest decimal that reads back to the same float, so
// `params.topP` shows 0.95 rather than 0.949999988079071 for what was given as 0.95.
double shortest_decimal(float v) {
  char text[32];
  for (int digits = 1; digits <= 9; ++digits) {  // 9 significant digits always round-trip
    std::snprintf(text, sizeof text, "%.*g", digits, double(v));
    if (std::strtof(text, nullptr) == v) return std::strtod(text, nullptr);
  }
  return double(v);
}

// ---------------------------------------------------------------------------------------------
// The wrapped class.

class SamplerWrap : public Napi::ObjectWrap<SamplerWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Sampler",
                       {
                           InstanceMethod("sample", &SamplerWrap::Sample),
                           InstanceAccessor("params", &SamplerWrap::GetParams, nullptr),
                       });
  }

  explicit SamplerWrap(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<SamplerWrap>(info), sampler_(parse_options(info)) {
    // Tagged only once the options were valid: a half-built object is never a Sampler.
    info.This().As<Napi::Object>().TypeTag(&kSamplerTypeTag);
  }

  colm::Sampler& sampler() { return sampler_; }

 private:
  colm::Sampler sampler_;

  // sample(logits: Float32Array, recent?: Int32Array): number
  Napi::Value Sample(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsTypedArray() ||
        info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      throw_type_error(env, "logits must be a Float32Array");
    }
    Napi::Float32Array logits = info[0].As<Napi::Float32Array>();
    const size_t n_vocab = logits.ElementLength();
    if (n_vocab == 0) throw_range_error(env, "logits must not be empty");
    if (n_vocab > 2147483647u) throw_range_error(env, "logits must hold fewer than 2^31 values");

    const int32_t* recent = nullptr;
    size_t n_recent = 0;
    if (info.Length() >= 2 && !info[1].IsUndefined() && !info[1].IsNull()) {
      if (!info[1].IsTypedArray() ||
          info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
        throw_type_error(env, "recent must be an Int32Array of token ids");
      }
      Napi::Int32Array recent_array = info[1].As<Napi::Int32Array>();
      n_recent = recent_array.ElementLength();
      if (n_recent > 2147483647u) throw_range_error(env, "recent must hold fewer than 2^31 ids");
      if (n_recent > 0) recent = recent_array.Data();
    }
    // Zero-copy: both views point into the JS buffers, read during this synchronous call only.
    const int32_t token =
        sampler_.sample(logits.Data(), int32_t(n_vocab), recent, int32_t(n_recent));
    return Napi::Number::New(env, token);
  }

  // params: the options in effect, defaults filled in; the seed always as a BigInt.
  Napi::Value GetParams(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const colm::SamplerParams& p = sampler_.params();
    Napi::Object out = Napi::Object::New(env);
    out.Set("temperature", Napi::Number::New(env, shortest_decimal(p.temperature)));
    out.Set("topK", Napi::Number::New(env, p.top_k));
    out.Set("topP", Napi::Number::New(env, shortest_decimal(p.top_p)));
    out.Set("minP", Napi::Number::New(env, shortest_decimal(p.min_p)));
    out.Set("repeatPenalty", Napi::Number::New(env, shortest_decimal(p.repeat_penalty)));
    out.Set("repeatLastN", Napi::Number::New(env, p.repeat_last_n));
    out.Set("seed", Napi::BigInt::New(env, p.seed));
    return out;
  }
};

}  // namespace

void RegisterSampler(Napi::Env env, Napi::Object exports) {
  exports.Set("Sampler", SamplerWrap::Define(env));
}

colm::Sampler* UnwrapSampler(Napi::Value value) {
  if (value.IsEmpty() || !value.IsObject()) return nullptr;
  Napi::Object object = value.As<Napi::Object>();
  if (!object.CheckTypeTag(&kSamplerTypeTag)) return nullptr;
  SamplerWrap* wrap = SamplerWrap::Unwrap(object);
  return wrap != nullptr ? &wrap->sampler() : nullptr;
}

}  // namespace colm_addon
