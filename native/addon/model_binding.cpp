// Model: loadModel(spec, onProgress) -> {promise, cancel}; the promise resolves to a Model
// whose weights are memory-mapped. Mapping and checking run in an AsyncProgressWorker.
#include <atomic>
#include <memory>

#include "bindings.h"
#include "colm/backend.h"
#include "colm/kernels.h"
#include "colm/model.h"
#include "js_values.h"
#include "model_config.h"

namespace colm_addon {

namespace {

colm::DType ParseDType(Napi::Env env, const std::string& s) {
  if (s == "F32") return colm::DType::F32;
  if (s == "F16") return colm::DType::F16;
  if (s == "BF16") return colm::DType::BF16;
  if (s == "I8") return colm::DType::I8;  // a Q8_0 .qweight (docs/FORMAT-Q8.md)
  if (s == "Q4_0") return colm::DType::Q4_0;  // llama.cpp blocks, shape [rows, cols] (docs/FORMAT-Q4.md)
  if (s == "Q4_K") return colm::DType::Q4_K;
  throw Napi::TypeError::New(env, "unknown dtype " + s);
}

// Reads the LoadPlan object that app/checkpoint builds (see app/checkpoint/types.ts). A tensor
// with `data` (a Uint8Array) is read from those bytes instead of file/offset.
colm::ModelSpec ParseSpec(const Napi::Object& plan) {
  Napi::Env env = plan.Env();
  colm::ModelSpec spec;
  spec.config = ParseModelConfig(GetObject(plan, "config", "plan"));
  Napi::Array files = GetArray(plan, "files", "plan");
  for (uint32_t i = 0; i < files.Length(); ++i) {
    Napi::Value v = files.Get(i);
    if (!v.IsString()) throw Napi::TypeError::New(env, "plan.files must hold strings");
    spec.files.push_back(v.As<Napi::String>().Utf8Value());
  }
  Napi::Array tensors = GetArray(plan, "tensors", "plan");
  for (uint32_t i = 0; i < tensors.Length(); ++i) {
    Napi::Value v = tensors.Get(i);
    if (!v.IsObject()) throw Napi::TypeError::New(env, "plan.tensors must hold objects");
    Napi::Object t = v.As<Napi::Object>();
    colm::TensorSpec ts;
    ts.name = GetString(t, "name", "tensor");
    Napi::Value data = t.Get("data");
    if (!data.IsUndefined() && !data.IsNull()) {
      // TensorEntry.data: bytes in memory. Copied here, on the JS thread, into a buffer the Model
      // will own, so the caller's array may be collected while the load worker runs.
      if (!data.IsTypedArray() || data.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
        throw Napi::TypeError::New(env, "tensor \"" + ts.name + "\": data must be a Uint8Array");
      Napi::Uint8Array bytes = data.As<Napi::Uint8Array>();
      ts.memory = std::make_shared<const std::vector<uint8_t>>(bytes.Data(), bytes.Data() + bytes.ByteLength());
      ts.file = -1;
    } else {
      ts.file = int32_t(GetInteger(t, "file", "tensor"));
      ts.offset = uint64_t(GetInteger(t, "offset", "tensor"));
    }
    ts.byte_length = uint64_t(GetInteger(t, "byteLength", "tensor"));
    ts.dtype = ParseDType(env, GetString(t, "dtype", "tensor"));
    // TensorEntry.q8Split: a GGUF's Q8_0 blocks, this entry being their .qweight or .qscale part.
    Napi::Value split = t.Get("q8Split");
    if (split.IsObject()) {
      const std::string part = GetString(split.As<Napi::Object>(), "part", "q8Split");
      if (part != "qweight" && part != "qscale") throw Napi::TypeError::New(env, "tensor \"" + ts.name + "\": q8Split.part must be qweight or qscale");
      ts.q8_part = part == "qweight" ? colm::TensorSpec::Q8Part::QWeight : colm::TensorSpec::Q8Part::QScale;
      ts.unpermute_heads = int32_t(GetInteger(split.As<Napi::Object>(), "unpermuteHeads", "q8Split"));
    }
    Napi::Array shape = GetArray(t, "shape", "tensor");
    for (uint32_t d = 0; d < shape.Length(); ++d) ts.shape.push_back(shape.Get(d).As<Napi::Number>().Int64Value());
    spec.tensors.push_back(std::move(ts));
  }
  return spec;
}

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
 public:
  static Napi::FunctionReference* constructor;

  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Model",
                       {InstanceMethod("info", &ModelWrap::Info),
                        InstanceMethod("dispose", &ModelWrap::Dispose),
                        InstanceAccessor("disposed", &ModelWrap::Disposed, nullptr)});
  }

  explicit ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap>(info) {}

  std::shared_ptr<const colm::Model> model;

 private:
  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!model) throw Napi::Error::New(env, "the model was disposed");
    Napi::Object out = Napi::Object::New(env);
    out.Set("mappedBytes", Napi::Number::New(env, double(model->mapped_bytes)));
    out.Set("kernels", Napi::String::New(env, colm::cpu_kernels().name));
    return out;
  }

  // Releases this handle's reference; sessions still running keep the weights alive.
  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    // The device copy of the weights goes when its last CUDA session does.
    if (model) colm::cuda_release_model(model.get());
    model.reset();
    return info.Env().Undefined();
  }

  Napi::Value Disposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !model); }
};

Napi::FunctionReference* ModelWrap::constructor = nullptr;

class LoadWorker : public Napi::AsyncProgressWorker<double> {
 public:
  LoadWorker(Napi::Env env, colm::ModelSpec spec, Napi::Function on_progress,
             std::shared_ptr<std::atomic<bool>> cancel)
      : Napi::AsyncProgressWorker<double>(env, "colm.loadModel"),
        deferred_(Napi::Promise::Deferred::New(env)),
        spec_(std::move(spec)),
        cancel_(std::move(cancel)) {
    if (!on_progress.IsEmpty()) on_progress_ = Napi::Persistent(on_progress);
  }

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute(const ExecutionProgress& progress) override {
    try {
      model_ = colm::model_load(spec_, [&](double f) { progress.Send(&f, 1); }, cancel_.get());
    } catch (const colm::Cancelled&) {
      aborted_ = true;
      SetError("loading was cancelled");
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }

  void OnProgress(const double* data, size_t count) override {
    if (!on_progress_.IsEmpty() && count > 0)
      on_progress_.Call({Napi::Number::New(Env(), data[count - 1])});
  }

  void OnOK() override {
    Napi::Object obj = ModelWrap::constructor->New({});
    ModelWrap::Unwrap(obj)->model = model_;
    deferred_.Resolve(obj);
  }

  void OnError(const Napi::Error& e) override {
    deferred_.Reject(MakeError(Env(), e.Message(), aborted_).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::FunctionReference on_progress_;
  colm::ModelSpec spec_;
  std::shared_ptr<std::atomic<bool>> cancel_;
  std::shared_ptr<colm::Model> model_;
  bool aborted_ = false;
};

Napi::Value CancelLoad(const Napi::CallbackInfo& info) {
  auto* flag = static_cast<std::shared_ptr<std::atomic<bool>>*>(info.Data());
  (*flag)->store(true);
  return info.Env().Undefined();
}

// loadModel(plan, onProgress?) -> {promise, cancel}
Napi::Value LoadModel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "loadModel(plan, onProgress?) needs a plan object");
  colm::ModelSpec spec = ParseSpec(info[0].As<Napi::Object>());
  Napi::Function on_progress;
  if (info.Length() > 1 && info[1].IsFunction()) on_progress = info[1].As<Napi::Function>();
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  auto* worker = new LoadWorker(env, std::move(spec), on_progress, cancel);
  Napi::Object out = Napi::Object::New(env);
  out.Set("promise", worker->Promise());
  auto* held = new std::shared_ptr<std::atomic<bool>>(cancel);
  Napi::Function cancel_fn = Napi::Function::New(env, CancelLoad, "cancel", held);
  cancel_fn.AddFinalizer([](Napi::Env, std::shared_ptr<std::atomic<bool>>* p) { delete p; }, held);
  out.Set("cancel", cancel_fn);
  worker->Queue();
  return out;
}

}  // namespace

std::shared_ptr<const colm::Model> UnwrapModel(Napi::Value value) {
  Napi::Env env = value.Env();
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(ModelWrap::constructor->Value()))
    throw Napi::TypeError::New(env, "expected a Model");
  auto model = ModelWrap::Unwrap(value.As<Napi::Object>())->model;
  if (!model) throw Napi::Error::New(env, "the model was disposed");
  return model;
}

void RegisterModel(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = ModelWrap::Define(env);
  ModelWrap::constructor = new Napi::FunctionReference(Napi::Persistent(ctor));
  exports.Set("Model", ctor);
  exports.Set("loadModel", Napi::Function::New(env, LoadModel, "loadModel"));
}

}  // namespace colm_addon
