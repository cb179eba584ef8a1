// GGUF helpers for the checkpoint reader: a GGUF's Q8_0 tensor split into the engine's layout
// straight from the mapped file (the JavaScript split of a 1 GB tensor takes seconds).
#include <cstdint>
#include <string>

#include "bindings.h"
#include "colm/gguf_q8.h"
#include "colm/model.h"
#include "colm/tensor.h"

namespace colm_addon {

// splitQ8Blocks(path, offset, byteLength) -> {qweight: Uint8Array (int8, 32 per block),
// qscale: Uint8Array (F16, one per block)}: the byteLength / 34 Q8_0 blocks ({F16 d; int8 q[32]})
// at offset, split as docs/FORMAT-Q8.md stores them. Throws naming the file when the range is
// not whole blocks inside it.
static Napi::Value SplitQ8Blocks(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsNumber() || !info[2].IsNumber())
    throw Napi::TypeError::New(env, "splitQ8Blocks(path: string, offset: number, byteLength: number)");
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  const double offset = info[1].As<Napi::Number>().DoubleValue(), length = info[2].As<Napi::Number>().DoubleValue();
  if (!(offset >= 0) || !(length >= 0) || offset > 9e15 || length > 9e15)
    throw Napi::RangeError::New(env, path + ": splitQ8Blocks needs a non-negative offset and length");
  const int64_t blocks = int64_t(length) / colm::kQ8_0BlockBytes;
  Napi::Buffer<uint8_t> q = Napi::Buffer<uint8_t>::New(env, size_t(blocks * colm::kQ8Block));
  Napi::Buffer<uint8_t> s = Napi::Buffer<uint8_t>::New(env, size_t(blocks * 2));
  try {
    colm::split_q8_0_file(path, uint64_t(offset), uint64_t(length), reinterpret_cast<int8_t*>(q.Data()), s.Data());
  } catch (const colm::Error& e) {
    throw Napi::Error::New(env, e.what());
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("qweight", q);
  out.Set("qscale", s);
  return out;
}

void RegisterGguf(Napi::Env env, Napi::Object exports) {
  exports.Set("splitQ8Blocks", Napi::Function::New(env, SplitQ8Blocks, "splitQ8Blocks"));
}

}  // namespace colm_addon
