// Reading typed fields from JS objects with errors that name the field, shared by the bindings.
#pragma once
#include <napi.h>

#include <string>

namespace colm_addon {

double GetNumber(const Napi::Object& obj, const char* key, const char* where);
int64_t GetInteger(const Napi::Object& obj, const char* key, const char* where);
bool GetBool(const Napi::Object& obj, const char* key, const char* where, bool fallback);
std::string GetString(const Napi::Object& obj, const char* key, const char* where);
Napi::Object GetObject(const Napi::Object& obj, const char* key, const char* where);
Napi::Array GetArray(const Napi::Object& obj, const char* key, const char* where);

// An Error for a failed native step; `abort` makes it look like an AbortError to JS.
Napi::Error MakeError(Napi::Env env, const std::string& message, bool abort);

}  // namespace colm_addon
