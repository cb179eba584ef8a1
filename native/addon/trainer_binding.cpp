// Trainer: new Trainer({config, seed, lr, ..., init?, optimizerState?}). step(), evaluate() and
// computeGradients() run in an AsyncWorker and resolve with plain objects; one at a time per
// trainer. Weights and moments cross as {name, shape, data: Float32Array} lists.
#include <memory>
#include <string>

#include "bindings.h"
#include "colm/train.h"
#include "js_values.h"
#include "model_config.h"

namespace colm_addon {

namespace {

std::vector<colm::NamedTensor> ParseTensors(const Napi::Array& list, const char* where) {
  Napi::Env env = list.Env();
  std::vector<colm::NamedTensor> out;
  for (uint32_t i = 0; i < list.Length(); ++i) {
    Napi::Value v = list.Get(i);
    if (!v.IsObject()) throw Napi::TypeError::New(env, std::string(where) + " must hold {name, shape, data} objects");
    Napi::Object o = v.As<Napi::Object>();
    colm::NamedTensor t;
    t.name = GetString(o, "name", where);
    Napi::Array shape = GetArray(o, "shape", where);
    for (uint32_t d = 0; d < shape.Length(); ++d) {
      Napi::Value s = shape.Get(d);
      if (!s.IsNumber()) throw Napi::TypeError::New(env, std::string(where) + ": shape of " + t.name + " must hold integers");
      t.shape.push_back(s.As<Napi::Number>().Int64Value());
    }
    Napi::Value data = o.Get("data");
    if (!data.IsTypedArray() || data.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      throw Napi::TypeError::New(env, std::string(where) + ": data of " + t.name + " must be a Float32Array");
    Napi::Float32Array arr = data.As<Napi::Float32Array>();
    t.data.assign(arr.Data(), arr.Data() + arr.ElementLength());
    out.push_back(std::move(t));
  }
  return out;
}

Napi::Array TensorsToJs(Napi::Env env, const std::vector<colm::NamedTensor>& list) {
  Napi::Array out = Napi::Array::New(env, list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    const colm::NamedTensor& t = list[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", Napi::String::New(env, t.name));
    Napi::Array shape = Napi::Array::New(env, t.shape.size());
    for (size_t d = 0; d < t.shape.size(); ++d) shape.Set(uint32_t(d), Napi::Number::New(env, double(t.shape[d])));
    o.Set("shape", shape);
    Napi::Float32Array data = Napi::Float32Array::New(env, t.data.size());
    std::copy(t.data.begin(), t.data.end(), data.Data());
    o.Set("data", data);
    out.Set(uint32_t(i), o);
  }
  return out;
}

Napi::Array DoublesToJs(Napi::Env env, const std::vector<double>& v) {
  Napi::Array out = Napi::Array::New(env, v.size());
  for (size_t i = 0; i < v.size(); ++i) out.Set(uint32_t(i), Napi::Number::New(env, v[i]));
  return out;
}

enum class Work { Step, Evaluate, Gradients };

class TrainWorker : public Napi::AsyncWorker {
 public:
  TrainWorker(Napi::Env env, std::shared_ptr<colm::Trainer> trainer, Work work, std::vector<int32_t> tokens,
              int32_t batch, int32_t seq, std::shared_ptr<bool> busy)
      : Napi::AsyncWorker(env, "colm.train"),
        deferred_(Napi::Promise::Deferred::New(env)),
        trainer_(std::move(trainer)),
        work_(work),
        tokens_(std::move(tokens)),
        batch_(batch),
        seq_(seq),
        busy_(std::move(busy)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      switch (work_) {
        case Work::Step:
          result_ = trainer_->step(tokens_.data(), batch_, seq_);
          break;
        case Work::Evaluate:
          result_.loss_per_chain = trainer_->evaluate(tokens_.data(), batch_, seq_);
          break;
        case Work::Gradients:
          result_ = trainer_->compute_gradients(tokens_.data(), batch_, seq_, &gradients_);
          break;
      }
    } catch (const colm::Cancelled&) {
      aborted_ = true;
      SetError("training was stopped");
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }

  void OnOK() override {
    *busy_ = false;
    Napi::Env env = Env();
    Napi::Object out = Napi::Object::New(env);
    out.Set("lossPerChain", DoublesToJs(env, result_.loss_per_chain));
    if (work_ != Work::Evaluate) {
      out.Set("loss", Napi::Number::New(env, result_.loss));
      out.Set("gradNorm", Napi::Number::New(env, result_.grad_norm));
      out.Set("lr", Napi::Number::New(env, result_.lr));
      out.Set("step", Napi::Number::New(env, double(result_.step)));
    }
    if (work_ == Work::Gradients) out.Set("gradients", TensorsToJs(env, gradients_));
    deferred_.Resolve(out);
  }

  void OnError(const Napi::Error& e) override {
    *busy_ = false;
    deferred_.Reject(MakeError(Env(), e.Message(), aborted_).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<colm::Trainer> trainer_;
  Work work_;
  std::vector<int32_t> tokens_;
  int32_t batch_, seq_;
  std::shared_ptr<bool> busy_;
  colm::StepResult result_;
  std::vector<colm::NamedTensor> gradients_;
  bool aborted_ = false;
};

class TrainerWrap : public Napi::ObjectWrap<TrainerWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Trainer",
                       {InstanceMethod("step", &TrainerWrap::Step),
                        InstanceMethod("evaluate", &TrainerWrap::Evaluate),
                        InstanceMethod("computeGradients", &TrainerWrap::Gradients),
                        InstanceMethod("exportWeights", &TrainerWrap::ExportWeights),
                        InstanceMethod("exportOptimizerState", &TrainerWrap::ExportOptimizerState),
                        InstanceMethod("lrAt", &TrainerWrap::LrAt),
                        InstanceMethod("cancel", &TrainerWrap::Cancel),
                        InstanceMethod("dispose", &TrainerWrap::Dispose),
                        InstanceAccessor("steps", &TrainerWrap::Steps, nullptr),
                        InstanceAccessor("parameterCount", &TrainerWrap::ParameterCount, nullptr),
                        InstanceAccessor("threads", &TrainerWrap::Threads, nullptr),
                        InstanceAccessor("busy", &TrainerWrap::Busy, nullptr),
                        InstanceAccessor("disposed", &TrainerWrap::Disposed, nullptr)});
  }

  explicit TrainerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TrainerWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "new Trainer(options)");
    Napi::Object o = info[0].As<Napi::Object>();
    const char* where = "options";
    colm::ModelConfig config = ParseModelConfig(GetObject(o, "config", where));
    colm::TrainOptions opt;
    auto number = [&](const char* key, double fallback) {
      return o.Get(key).IsUndefined() ? fallback : GetNumber(o, key, where);
    };
    auto integer = [&](const char* key, int64_t fallback) {
      return o.Get(key).IsUndefined() ? fallback : GetInteger(o, key, where);
    };
    const int64_t seed = integer("seed", 0);
    if (seed < 0) throw Napi::TypeError::New(env, "options.seed must be a non-negative integer");
    opt.seed = uint64_t(seed);
    opt.lr = float(number("lr", opt.lr));
    opt.min_lr = float(number("minLr", opt.min_lr));
    opt.warmup_steps = integer("warmupSteps", opt.warmup_steps);
    opt.total_steps = integer("totalSteps", opt.total_steps);
    opt.weight_decay = float(number("weightDecay", opt.weight_decay));
    opt.beta1 = float(number("beta1", opt.beta1));
    opt.beta2 = float(number("beta2", opt.beta2));
    opt.eps = float(number("eps", opt.eps));
    opt.grad_clip = float(number("gradClip", opt.grad_clip));
    opt.label_smoothing = float(number("labelSmoothing", opt.label_smoothing));
    if (!(opt.label_smoothing >= 0.0f && opt.label_smoothing < 1.0f))
      throw Napi::RangeError::New(env, "options.labelSmoothing must be in [0, 1)");
    opt.freeze_chains = int32_t(integer("freezeChains", 0));
    opt.threads = int32_t(integer("threads", 0));
    Napi::Value loss = o.Get("loss");
    if (!loss.IsUndefined()) {
      const std::string l = loss.IsString() ? loss.As<Napi::String>().Utf8Value() : "";
      if (l == "multi") opt.loss = colm::TrainLoss::Multi;
      else if (l == "full") opt.loss = colm::TrainLoss::Full;
      else throw Napi::TypeError::New(env, "options.loss must be 'multi' or 'full'");
    }
    std::vector<colm::NamedTensor> init;
    const bool has_init = !o.Get("init").IsUndefined() && !o.Get("init").IsNull();
    if (has_init) {
      Napi::Object i = GetObject(o, "init", where);
      init = ParseTensors(GetArray(i, "tensors", "options.init"), "options.init.tensors");
    }
    colm::OptimizerState state;
    const bool has_state = !o.Get("optimizerState").IsUndefined() && !o.Get("optimizerState").IsNull();
    if (has_state) {
      Napi::Object s = GetObject(o, "optimizerState", where);
      state.step = GetInteger(s, "step", "options.optimizerState");
      state.m = ParseTensors(GetArray(s, "m", "options.optimizerState"), "options.optimizerState.m");
      state.v = ParseTensors(GetArray(s, "v", "options.optimizerState"), "options.optimizerState.v");
    }
    try {
      trainer_ = std::make_shared<colm::Trainer>(config, opt, has_init ? &init : nullptr, has_state ? &state : nullptr);
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
  }

 private:
  colm::Trainer& Live(Napi::Env env) {
    if (!trainer_) throw Napi::Error::New(env, "the trainer was disposed");
    return *trainer_;
  }

  void RequireIdle(Napi::Env env) {
    if (*busy_) throw Napi::Error::New(env, "the trainer is busy: wait for the running step to finish");
  }

  Napi::Value Queue(const Napi::CallbackInfo& info, Work work, const char* usage) {
    Napi::Env env = info.Env();
    Live(env);
    RequireIdle(env);
    if (info.Length() < 3 || !info[0].IsTypedArray() ||
        info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array || !info[1].IsNumber() ||
        !info[2].IsNumber())
      throw Napi::TypeError::New(env, usage);
    Napi::Int32Array tokens = info[0].As<Napi::Int32Array>();
    const int64_t batch = info[1].As<Napi::Number>().Int64Value();
    const int64_t seq = info[2].As<Napi::Number>().Int64Value();
    if (batch < 1 || seq < 1 || batch > (1 << 24) || seq > (1 << 24))
      throw Napi::RangeError::New(env, "batch and seqLen must be positive integers");
    if (int64_t(tokens.ElementLength()) != batch * (seq + 1))
      throw Napi::RangeError::New(env, "tokens must hold batch * (seqLen + 1) = " + std::to_string(batch * (seq + 1)) +
                                           " ids, got " + std::to_string(tokens.ElementLength()));
    std::vector<int32_t> copy(tokens.Data(), tokens.Data() + tokens.ElementLength());
    trainer_->cancel.store(false);  // a cancel() from now on stops this work
    *busy_ = true;
    auto* worker = new TrainWorker(env, trainer_, work, std::move(copy), int32_t(batch), int32_t(seq), busy_);
    Napi::Promise p = worker->Promise();
    worker->Queue();
    return p;
  }

  Napi::Value Step(const Napi::CallbackInfo& info) {
    return Queue(info, Work::Step, "step(tokens: Int32Array, batch: number, seqLen: number)");
  }
  Napi::Value Evaluate(const Napi::CallbackInfo& info) {
    return Queue(info, Work::Evaluate, "evaluate(tokens: Int32Array, batch: number, seqLen: number)");
  }
  Napi::Value Gradients(const Napi::CallbackInfo& info) {
    return Queue(info, Work::Gradients, "computeGradients(tokens: Int32Array, batch: number, seqLen: number)");
  }

  Napi::Value ExportWeights(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireIdle(env);
    return TensorsToJs(env, Live(env).export_weights());
  }

  Napi::Value ExportOptimizerState(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireIdle(env);
    colm::OptimizerState s = Live(env).export_optimizer_state();
    Napi::Object out = Napi::Object::New(env);
    out.Set("step", Napi::Number::New(env, double(s.step)));
    out.Set("m", TensorsToJs(env, s.m));
    out.Set("v", TensorsToJs(env, s.v));
    return out;
  }

  Napi::Value LrAt(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "lrAt(step: number)");
    return Napi::Number::New(env, Live(env).lr_at(info[0].As<Napi::Number>().Int64Value()));
  }

  Napi::Value Cancel(const Napi::CallbackInfo& info) {
    if (trainer_) trainer_->cancel.store(true);
    return info.Env().Undefined();
  }

  // Frees the weights now; a running step is cancelled and keeps what it needs alive.
  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    if (trainer_) trainer_->cancel.store(true);
    trainer_.reset();
    return info.Env().Undefined();
  }

  Napi::Value Steps(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), double(Live(info.Env()).steps_taken()));
  }
  Napi::Value ParameterCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), double(Live(info.Env()).parameter_count()));
  }
  Napi::Value Threads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), Live(info.Env()).threads()); }
  Napi::Value Busy(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), *busy_); }
  Napi::Value Disposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !trainer_); }

  std::shared_ptr<colm::Trainer> trainer_;
  std::shared_ptr<bool> busy_ = std::make_shared<bool>(false);
};

}  // namespace

void RegisterTrainer(Napi::Env env, Napi::Object exports) { exports.Set("Trainer", TrainerWrap::Define(env)); }

}  // namespace colm_addon
