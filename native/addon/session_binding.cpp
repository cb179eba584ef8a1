// Session: new Session(model, {contextSize, threads, captureHidden, windowRing, kvType, device}).
// evaluate() runs in an AsyncWorker and resolves to {logits, token}; generate() runs the decode
// loop (colm/decode.h) on its own thread, hands every token to a JS callback as it is sampled
// (a thread-safe function) and resolves with how the loop ended. One evaluation or generation at
// a time per session. device: "cpu" (default) or "cuda:N"; both are a colm::InferenceSession (colm/backend.h),
// so nothing below branches on the device.
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "bindings.h"
#include "colm/backend.h"
#include "colm/decode.h"
#include "colm/kernels.h"
#include "colm/quant_q4.h"
#include "colm/sampler.h"
#include "colm/session.h"
#include "js_values.h"

namespace colm_addon {

namespace {

class SessionWrap;

struct EvalRequest {
  std::vector<int32_t> tokens;
  int32_t chains = 1;
  bool prefill = false;  // generation's prompt path (CoLM-Air: cache from chain 1 alone)
  colm::LogitsWanted want = colm::LogitsWanted::Last;
  bool return_logits = true;
  colm::Sampler* sampler = nullptr;  // kept alive by a reference held in the worker
};

class EvalWorker : public Napi::AsyncWorker {
 public:
  EvalWorker(Napi::Env env, std::shared_ptr<colm::InferenceSession> session, EvalRequest req,
             Napi::Object sampler_obj, std::shared_ptr<bool> busy)
      : Napi::AsyncWorker(env, "colm.evaluate"),
        deferred_(Napi::Promise::Deferred::New(env)),
        session_(std::move(session)),
        req_(std::move(req)),
        busy_(std::move(busy)) {
    if (!sampler_obj.IsEmpty()) sampler_ref_ = Napi::Persistent(sampler_obj);
  }

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      const int32_t n = int32_t(req_.tokens.size());
      logits_ = req_.prefill ? session_->prefill(req_.tokens.data(), n, req_.chains)
                             : session_->evaluate(req_.tokens.data(), n, req_.chains, req_.want);
      if (req_.sampler && !logits_.empty()) {
        const int32_t V = session_->model().config.vocab_size;
        const auto& hist = session_->tokens();
        const float* last = logits_.data() + logits_.size() - size_t(V);
        token_ = req_.sampler->sample(last, V, hist.data(), int32_t(hist.size()));
      }
    } catch (const colm::Cancelled&) {
      aborted_ = true;
      SetError("generation was stopped");
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }

  void OnOK() override {
    *busy_ = false;
    Napi::Env env = Env();
    Napi::Object out = Napi::Object::New(env);
    if (req_.return_logits && !logits_.empty()) {
      Napi::Float32Array arr = Napi::Float32Array::New(env, logits_.size());
      std::copy(logits_.begin(), logits_.end(), arr.Data());
      out.Set("logits", arr);
    } else {
      out.Set("logits", env.Null());
    }
    out.Set("token", Napi::Number::New(env, token_));
    out.Set("position", Napi::Number::New(env, session_->position()));
    deferred_.Resolve(out);
  }

  void OnError(const Napi::Error& e) override {
    *busy_ = false;
    deferred_.Reject(MakeError(Env(), e.Message(), aborted_).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<colm::InferenceSession> session_;
  EvalRequest req_;
  Napi::ObjectReference sampler_ref_;
  std::shared_ptr<bool> busy_;
  std::vector<float> logits_;
  int32_t token_ = -1;
  bool aborted_ = false;
};


// Decode loops still running when the process exits. process.exit() (`colm run | head`, an app
// quitting mid-reply) ends in ::exit, whose static destructors would take the engine's tables
// from under a loop still running on its own thread (a crash at exit). An atexit handler stops
// every running loop and waits (at most 2 s) until their decode calls have returned. It is
// registered when the first loop starts, after the engine's lazily built tables exist (touched
// there first), so it runs before their destructors.
class LiveLoops {
 public:
  static LiveLoops& get() {
    static LiveLoops* loops = new LiveLoops;  // never destroyed: the handler may run at any point of exit
    return *loops;
  }
  void add(std::shared_ptr<colm::DecodeControl> control, std::shared_ptr<colm::InferenceSession> session) {
    static std::once_flag registered;
    std::call_once(registered, [] {
      (void)colm::cpu_kernels();
      (void)colm::q4_kernels();
      std::atexit([] { LiveLoops::get().stop_all_and_wait(); });
    });
    std::lock_guard<std::mutex> lock(mutex_);
    live_.emplace_back(std::move(control), std::move(session));
  }
  void remove(const colm::DecodeControl* control) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (size_t i = 0; i < live_.size(); ++i)
        if (live_[i].first.get() == control) {
          live_.erase(live_.begin() + std::ptrdiff_t(i));
          break;
        }
    }
    done_.notify_all();
  }
  void stop_all_and_wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (auto& loop : live_) {
      loop.first->stop();
      loop.second->request_cancel();
    }
    done_.wait_for(lock, std::chrono::seconds(2), [this] { return live_.empty(); });
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  std::vector<std::pair<std::shared_ptr<colm::DecodeControl>, std::shared_ptr<colm::InferenceSession>>> live_;
};

// One generate() call: the loop runs on `thread`; tokens reach JS through `tsfn`, whose finalizer
// (on the JS thread, after the last token's callback) joins the thread and settles the promise,
// so the promise never overtakes a token.
struct GenerateJob {
  std::shared_ptr<colm::InferenceSession> session;
  std::vector<int32_t> tokens;
  colm::DecodeOptions options;
  std::shared_ptr<colm::DecodeControl> control;
  colm::Sampler* sampler = nullptr;
  Napi::ObjectReference sampler_ref;
  Napi::ThreadSafeFunction tsfn;
  Napi::Promise::Deferred deferred;
  std::thread thread;
  std::shared_ptr<bool> busy;
  std::shared_ptr<std::shared_ptr<colm::DecodeControl>> running;  // the wrap's slot for cancel()/setChains()
  colm::DecodeResult result;
  std::string error;         // the loop threw
  std::string callback_error;  // the JS callback threw (the loop was stopped)
  double batch_ms = 4.0;         // tokens closer together than this reach JS together
  std::mutex queue_mutex;        // guards queued, call_queued, last_call
  std::vector<colm::DecodedToken> queued;
  bool call_queued = false;      // a Deliver call is queued and has not taken the tokens yet
  std::chrono::steady_clock::time_point last_call;

  explicit GenerateJob(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}

  void Run() {
    try {
      result = colm::decode(*session, tokens.data(), int32_t(tokens.size()), *sampler, options, *control,
                            [this](const colm::DecodedToken& t) { Hand(t, false); });
    } catch (const std::exception& e) {
      error = e.what();
      if (error.empty()) error = "generation failed";
    }
    LiveLoops::get().remove(control.get());
    Hand(colm::DecodedToken{}, true);
    result.position = session->position();
    tsfn.Release();
  }

  // The loop's side: queue a token for JS. Each wake-up of the JS thread takes a core from the
  // engine's threads (on a 2-core laptop, from the pool itself), so tokens that come faster than
  // batch_ms go in one call: the first token, every token in lockstep, and any token batch_ms
  // after the last call go at once; the rest join the next call (or the final flush). A call
  // still queued takes whatever arrives before it runs.
  void Hand(const colm::DecodedToken& t, bool flush) {
    std::unique_lock<std::mutex> lock(queue_mutex);
    if (!flush) queued.push_back(t);
    if (call_queued || queued.empty()) return;
    const auto now = std::chrono::steady_clock::now();
    if (!flush && !options.lockstep && t.index > 0 &&
        std::chrono::duration<double, std::milli>(now - last_call).count() < batch_ms)
      return;
    call_queued = true;
    last_call = now;
    lock.unlock();
    if (tsfn.BlockingCall(this, [](Napi::Env env, Napi::Function fn, GenerateJob* job) { job->Deliver(env, fn); }) != napi_ok) {
      std::lock_guard<std::mutex> relock(queue_mutex);
      call_queued = false;
    }
  }

  // On the JS thread: every queued token, in order, one onToken call each. A throwing callback
  // stops the loop; the promise rejects with its error.
  void Deliver(Napi::Env env, Napi::Function on_token) {
    std::vector<colm::DecodedToken> batch;
    {
      std::lock_guard<std::mutex> lock(queue_mutex);
      batch.swap(queued);
      call_queued = false;
    }
    if (!env || !on_token) return;
    for (const colm::DecodedToken& t : batch) {
      if (!callback_error.empty()) return;
      try {
        on_token.Call({Napi::Number::New(env, t.token), Napi::Number::New(env, t.chains),
                       Napi::Number::New(env, t.eval_ms), Napi::Number::New(env, t.at_ms)});
      } catch (const Napi::Error& e) {
        callback_error = e.Message();
        control->stop();
        session->request_cancel();
      }
    }
  }

  static void Finalize(Napi::Env env, GenerateJob* job) {
    std::unique_ptr<GenerateJob> owned(job);
    if (job->thread.joinable()) job->thread.join();
    *job->busy = false;
    if (*job->running == job->control) job->running->reset();
    job->sampler_ref.Reset();
    if (!job->callback_error.empty() || !job->error.empty()) {
      const std::string& message = job->callback_error.empty() ? job->error : job->callback_error;
      job->deferred.Reject(MakeError(env, message, false).Value());
      return;
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("finish", Napi::String::New(env, colm::decode_finish_name(job->result.finish)));
    out.Set("produced", Napi::Number::New(env, job->result.produced));
    out.Set("position", Napi::Number::New(env, job->result.position));
    job->deferred.Resolve(out);
  }
};

class SessionWrap : public Napi::ObjectWrap<SessionWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "Session",
        {InstanceMethod("evaluate", &SessionWrap::Evaluate),
         InstanceMethod("generate", &SessionWrap::Generate),
         InstanceMethod("setChains", &SessionWrap::SetChains),
         InstanceMethod("release", &SessionWrap::Release),
         InstanceMethod("cancel", &SessionWrap::Cancel),
         InstanceMethod("truncate", &SessionWrap::Truncate),
         InstanceMethod("kvCache", &SessionWrap::KvCache),
         InstanceMethod("kvChains", &SessionWrap::KvChains),
         InstanceMethod("lastHidden", &SessionWrap::LastHidden),
         InstanceMethod("setThreads", &SessionWrap::SetThreads),
         InstanceMethod("dispose", &SessionWrap::Dispose),
         InstanceAccessor("position", &SessionWrap::Position, nullptr),
         InstanceAccessor("contextSize", &SessionWrap::ContextSize, nullptr),
         InstanceAccessor("kvCacheBytes", &SessionWrap::KvCacheBytes, nullptr),
         InstanceAccessor("kvType", &SessionWrap::KvTypeName, nullptr),
         InstanceAccessor("threads", &SessionWrap::Threads, nullptr),
         InstanceAccessor("device", &SessionWrap::Device, nullptr),
         InstanceAccessor("busy", &SessionWrap::Busy, nullptr)});
  }

  explicit SessionWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SessionWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1) throw Napi::TypeError::New(env, "new Session(model, options?)");
    auto model = UnwrapModel(info[0]);
    colm::SessionOptions opts;
    std::string device = "cpu";
    if (info.Length() > 1 && info[1].IsObject()) {
      Napi::Object o = info[1].As<Napi::Object>();
      if (!o.Get("contextSize").IsUndefined()) opts.context_size = int32_t(GetInteger(o, "contextSize", "options"));
      if (!o.Get("threads").IsUndefined()) opts.threads = int32_t(GetInteger(o, "threads", "options"));
      opts.capture_hidden = GetBool(o, "captureHidden", "options", false);
      opts.window_ring = GetBool(o, "windowRing", "options", true);
      if (!o.Get("kvType").IsUndefined()) {
        const std::string kv = GetString(o, "kvType", "options");
        if (!colm::kv_type_parse(kv, &opts.kv_type))
          throw Napi::TypeError::New(env, "options.kvType must be 'f32', 'bf16', 'f16' or 'q8_0', got '" + kv + "'");
      }
      if (!o.Get("device").IsUndefined()) device = GetString(o, "device", "options");
    }
    try {
      if (device == "cpu") {
        session_ = colm::make_cpu_session(model, opts);
      } else if (device.rfind("cuda:", 0) == 0 && device.size() > 5 &&
                 device.find_first_not_of("0123456789", 5) == std::string::npos && device.size() < 10) {
        session_ = colm::make_cuda_session(model, std::stoi(device.substr(5)), opts);
      } else {
        throw Napi::TypeError::New(env, "options.device must be \"cpu\" or \"cuda:N\", got \"" + device + "\"");
      }
    } catch (const Napi::Error&) {
      throw;
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
  }

 private:
  colm::InferenceSession& Live(Napi::Env env) {
    if (!session_) throw Napi::Error::New(env, "the session was disposed");
    return *session_;
  }

  void RequireIdle(Napi::Env env) {
    if (*busy_) throw Napi::Error::New(env, "the session is busy: wait for the running evaluation to finish");
  }

  // evaluate(tokens: Int32Array, chains, {prefill?, logits?: 'none'|'last'|'all', sampler?})
  Napi::Value Evaluate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Live(env);
    RequireIdle(env);
    if (info.Length() < 2 || !info[0].IsTypedArray() ||
        info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array || !info[1].IsNumber())
      throw Napi::TypeError::New(env, "evaluate(tokens: Int32Array, chains: number, options?)");
    Napi::Int32Array tokens = info[0].As<Napi::Int32Array>();
    EvalRequest req;
    req.tokens.assign(tokens.Data(), tokens.Data() + tokens.ElementLength());
    req.chains = info[1].As<Napi::Number>().Int32Value();
    Napi::Object sampler_obj;
    if (info.Length() > 2 && info[2].IsObject()) {
      Napi::Object o = info[2].As<Napi::Object>();
      req.prefill = GetBool(o, "prefill", "options", false);
      Napi::Value lv = o.Get("logits");
      if (lv.IsString()) {
        std::string l = lv.As<Napi::String>().Utf8Value();
        if (l == "none") req.want = colm::LogitsWanted::None;
        else if (l == "last") req.want = colm::LogitsWanted::Last;
        else if (l == "all") req.want = colm::LogitsWanted::All;
        else throw Napi::TypeError::New(env, "options.logits must be 'none', 'last' or 'all'");
      }
      Napi::Value sv = o.Get("sampler");
      if (!sv.IsUndefined() && !sv.IsNull()) {
        req.sampler = UnwrapSampler(sv);
        if (!req.sampler) throw Napi::TypeError::New(env, "options.sampler must be a Sampler");
        sampler_obj = sv.As<Napi::Object>();
        if (req.want == colm::LogitsWanted::None) req.want = colm::LogitsWanted::Last;
      }
      req.return_logits = GetBool(o, "returnLogits", "options", true) && req.want != colm::LogitsWanted::None;
    }
    if (req.prefill && req.want == colm::LogitsWanted::All)
      throw Napi::TypeError::New(env, "a prefill yields the last position's logits only");
    *busy_ = true;
    auto* worker = new EvalWorker(env, session_, std::move(req), sampler_obj, busy_);
    Napi::Promise p = worker->Promise();
    worker->Queue();
    return p;
  }

  // generate(tokens: Int32Array, {chains, sampler, maxTokens?, stopTokens?: Int32Array,
  //          prefill?, lockstep?, batchMs?}, onToken(token, chains, evalMs, atMs)) ->
  //          Promise<{finish, produced, position}>. finish: 'stop' | 'length' | 'abort' | 'context'.
  // Every token reaches onToken, in order, before the promise settles; tokens sampled less than
  // batchMs (default 4) apart may arrive in one wake-up of the JS thread.
  Napi::Value Generate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Live(env);
    RequireIdle(env);
    if (info.Length() < 3 || !info[0].IsTypedArray() ||
        info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array || !info[1].IsObject() ||
        !info[2].IsFunction())
      throw Napi::TypeError::New(env, "generate(tokens: Int32Array, options: {chains, sampler, ...}, onToken: Function)");
    Napi::Int32Array tokens = info[0].As<Napi::Int32Array>();
    if (tokens.ElementLength() == 0) throw Napi::TypeError::New(env, "generate: the token list is empty");
    Napi::Object o = info[1].As<Napi::Object>();
    auto job = std::make_unique<GenerateJob>(env);
    job->tokens.assign(tokens.Data(), tokens.Data() + tokens.ElementLength());
    const int32_t chains = int32_t(GetInteger(o, "chains", "options"));
    Napi::Value sv = o.Get("sampler");
    job->sampler = sv.IsObject() ? UnwrapSampler(sv) : nullptr;
    if (!job->sampler) throw Napi::TypeError::New(env, "options.sampler must be a Sampler");
    job->sampler_ref = Napi::Persistent(sv.As<Napi::Object>());
    if (!o.Get("maxTokens").IsUndefined()) job->options.max_tokens = int32_t(GetInteger(o, "maxTokens", "options"));
    Napi::Value st = o.Get("stopTokens");
    if (st.IsTypedArray() && st.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array) {
      Napi::Int32Array a = st.As<Napi::Int32Array>();
      job->options.stop_tokens.assign(a.Data(), a.Data() + a.ElementLength());
    } else if (!st.IsUndefined() && !st.IsNull()) {
      throw Napi::TypeError::New(env, "options.stopTokens must be an Int32Array");
    }
    job->options.prefill = GetBool(o, "prefill", "options", true);
    job->options.lockstep = GetBool(o, "lockstep", "options", false);
    if (!o.Get("batchMs").IsUndefined()) job->batch_ms = o.Get("batchMs").ToNumber().DoubleValue();
    job->session = session_;
    job->control = std::make_shared<colm::DecodeControl>(chains);
    job->busy = busy_;
    job->running = running_;
    GenerateJob* raw = job.get();
    job->tsfn = Napi::ThreadSafeFunction::New(env, info[2].As<Napi::Function>(), "colm.generate", 0, 1, raw,
                                              [](Napi::Env env, GenerateJob* j) { GenerateJob::Finalize(env, j); });
    Napi::Promise p = job->deferred.Promise();
    *busy_ = true;
    *running_ = job->control;
    job.release();  // owned by the thread-safe function's finalizer from here on
    LiveLoops::get().add(raw->control, raw->session);
    raw->thread = std::thread([raw] { raw->Run(); });
    return p;
  }

  // The chain count of the next token of the running generate() (read before each token).
  Napi::Value SetChains(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "setChains(chains: number)");
    if (auto c = *running_) c->set_chains(info[0].As<Napi::Number>().Int32Value());
    return env.Undefined();
  }

  // Lockstep generate(): lets one more token be evaluated, at `chains`.
  Napi::Value Release(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "release(chains: number)");
    if (auto c = *running_) c->release(info[0].As<Napi::Number>().Int32Value());
    return env.Undefined();
  }

  // Stops the running evaluation (between two layers) or generation (before its next token).
  Napi::Value Cancel(const Napi::CallbackInfo& info) {
    if (auto c = *running_) c->stop();
    if (session_) session_->request_cancel();
    return info.Env().Undefined();
  }

  Napi::Value Truncate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireIdle(env);
    if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "truncate(length: number)");
    try {
      Live(env).truncate(info[0].As<Napi::Number>().Int32Value());
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
    return env.Undefined();
  }

  Napi::Value KvCache(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireIdle(env);
    if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "kvCache(layer, values?)");
    bool values = info.Length() > 1 && info[1].ToBoolean().Value();
    std::vector<float> data;
    try {
      data = Live(env).kv_cache(info[0].As<Napi::Number>().Int32Value(), values);
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
    Napi::Float32Array arr = Napi::Float32Array::New(env, data.size());
    std::copy(data.begin(), data.end(), arr.Data());
    return arr;
  }

  Napi::Value KvChains(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::vector<uint8_t> kc;
    try {
      kc = Live(env).kv_chains();
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
    Napi::Uint8Array arr = Napi::Uint8Array::New(env, kc.size());
    std::copy(kc.begin(), kc.end(), arr.Data());
    return arr;
  }

  Napi::Value LastHidden(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireIdle(env);
    const auto& h = Live(env).last_hidden();
    Napi::Object out = Napi::Object::New(env);
    Napi::Float32Array arr = Napi::Float32Array::New(env, h.size());
    std::copy(h.begin(), h.end(), arr.Data());
    out.Set("data", arr);
    out.Set("chains", Napi::Number::New(env, Live(env).last_hidden_chains()));
    return out;
  }

  Napi::Value SetThreads(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireIdle(env);
    if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "setThreads(n: number)");
    Live(env).set_threads(info[0].As<Napi::Number>().Int32Value());
    return env.Undefined();
  }

  // Frees the KV cache now; a running evaluation is cancelled and keeps what it needs alive.
  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    if (auto c = *running_) c->stop();
    if (session_) session_->request_cancel();
    session_.reset();
    return info.Env().Undefined();
  }

  Napi::Value Position(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), Live(info.Env()).position()); }
  Napi::Value ContextSize(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), Live(info.Env()).context_size()); }
  Napi::Value KvCacheBytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), double(Live(info.Env()).kv_cache_bytes()));
  }

  Napi::Value KvTypeName(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), colm::kv_type_name(Live(info.Env()).kv_type()));
  }
  Napi::Value Threads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), Live(info.Env()).threads()); }
  Napi::Value Busy(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), *busy_); }
  Napi::Value Device(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), Live(info.Env()).device()); }

  std::shared_ptr<colm::InferenceSession> session_;
  std::shared_ptr<bool> busy_ = std::make_shared<bool>(false);
  std::shared_ptr<std::shared_ptr<colm::DecodeControl>> running_ = std::make_shared<std::shared_ptr<colm::DecodeControl>>();
};

}  // namespace

void RegisterSession(Napi::Env env, Napi::Object exports) {
  exports.Set("Session", SessionWrap::Define(env));
}

}  // namespace colm_addon
