// The decode loop (colm/decode.h): the per-token work a caller used to do between evaluations
// (sampling, stop checks, the next chain count) done here, so a reply is one call.
#include "colm/decode.h"

#include <algorithm>
#include <chrono>

namespace colm {

const char* decode_finish_name(DecodeFinish f) {
  switch (f) {
    case DecodeFinish::StopToken: return "stop";
    case DecodeFinish::MaxTokens: return "length";
    case DecodeFinish::Cancelled: return "abort";
    case DecodeFinish::ContextFull: return "context";
  }
  return "length";
}

void DecodeControl::release(int32_t k) {
  set_chains(k);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++released_;
  }
  cv_.notify_one();
}

void DecodeControl::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true, std::memory_order_release);
  }
  cv_.notify_one();
}

void DecodeControl::wait_released(int64_t index) {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [&] { return released_ > index || stop_.load(std::memory_order_acquire); });
}

DecodeResult decode(InferenceSession& session, const int32_t* pending, int32_t count, Sampler& sampler,
                    const DecodeOptions& options, DecodeControl& control,
                    const std::function<void(const DecodedToken&)>& on_token) {
  using Clock = std::chrono::steady_clock;
  const auto ms_since = [](Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  };
  const Clock::time_point start = Clock::now();
  const int32_t V = session.model().config.vocab_size;
  std::vector<int32_t> next(pending, pending + count);
  DecodeResult r;
  r.finish = DecodeFinish::MaxTokens;
  while (r.produced < options.max_tokens) {
    if (options.lockstep) control.wait_released(r.produced);
    if (control.stopped()) {
      r.finish = DecodeFinish::Cancelled;
      break;
    }
    if (int64_t(session.position()) + int64_t(next.size()) > session.context_size()) {
      r.finish = DecodeFinish::ContextFull;
      break;
    }
    const int32_t k = control.chains();
    const Clock::time_point t0 = Clock::now();
    std::vector<float> logits;
    try {
      const int32_t n = int32_t(next.size());
      logits = r.produced == 0 && options.prefill ? session.prefill(next.data(), n, k)
                                                  : session.evaluate(next.data(), n, k, LogitsWanted::Last);
    } catch (const Cancelled&) {
      r.finish = DecodeFinish::Cancelled;
      break;
    }
    // The evaluation may have cleared a cancel that arrived while it started: the flag stays.
    const auto& hist = session.tokens();
    const int32_t token = sampler.sample(logits.data() + logits.size() - size_t(V), V, hist.data(), int32_t(hist.size()));
    DecodedToken t{token, k, r.produced, ms_since(t0), ms_since(start)};
    ++r.produced;
    on_token(t);
    if (std::find(options.stop_tokens.begin(), options.stop_tokens.end(), token) != options.stop_tokens.end()) {
      r.finish = DecodeFinish::StopToken;
      break;
    }
    next.assign(1, token);
  }
  r.position = session.position();
  return r;
}

}  // namespace colm
