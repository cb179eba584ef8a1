#include "js_values.h"

#include <cmath>

namespace colm_addon {

namespace {

Napi::Value Field(const Napi::Object& obj, const char* key, const char* where) {
  Napi::Value v = obj.Get(key);
  if (v.IsUndefined())
    throw Napi::TypeError::New(obj.Env(), std::string(where) + "." + key + " is missing");
  return v;
}

}  // namespace

double GetNumber(const Napi::Object& obj, const char* key, const char* where) {
  Napi::Value v = Field(obj, key, where);
  if (!v.IsNumber()) throw Napi::TypeError::New(obj.Env(), std::string(where) + "." + key + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

int64_t GetInteger(const Napi::Object& obj, const char* key, const char* where) {
  double d = GetNumber(obj, key, where);
  if (!std::isfinite(d) || std::floor(d) != d || std::fabs(d) > 9007199254740991.0)
    throw Napi::TypeError::New(obj.Env(), std::string(where) + "." + key + " must be an integer");
  return int64_t(d);
}

bool GetBool(const Napi::Object& obj, const char* key, const char* where, bool fallback) {
  Napi::Value v = obj.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsBoolean()) throw Napi::TypeError::New(obj.Env(), std::string(where) + "." + key + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string GetString(const Napi::Object& obj, const char* key, const char* where) {
  Napi::Value v = Field(obj, key, where);
  if (!v.IsString()) throw Napi::TypeError::New(obj.Env(), std::string(where) + "." + key + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

Napi::Object GetObject(const Napi::Object& obj, const char* key, const char* where) {
  Napi::Value v = Field(obj, key, where);
  if (!v.IsObject()) throw Napi::TypeError::New(obj.Env(), std::string(where) + "." + key + " must be an object");
  return v.As<Napi::Object>();
}

Napi::Array GetArray(const Napi::Object& obj, const char* key, const char* where) {
  Napi::Value v = Field(obj, key, where);
  if (!v.IsArray()) throw Napi::TypeError::New(obj.Env(), std::string(where) + "." + key + " must be an array");
  return v.As<Napi::Array>();
}

Napi::Error MakeError(Napi::Env env, const std::string& message, bool abort) {
  Napi::Error e = Napi::Error::New(env, message);
  if (abort) {
    e.Set("name", Napi::String::New(env, "AbortError"));
    e.Set("code", Napi::String::New(env, "ABORT_ERR"));
  }
  return e;
}

}  // namespace colm_addon
