// The decode loop: evaluate, sample, check stops and pick the next token's chain count, for many
// tokens without returning to the caller (the addon's generate(), one JS call per reply).
//
// Per token: [wait for a release in lockstep] -> stop flag? -> context full? -> read the chain
// count -> evaluate the pending tokens (the first call may take the prefill path) -> sample from
// the last position's logits -> hand the token to on_token -> stop token? -> max tokens?
// The sampled token is evaluated only when another token is wanted, so when the loop ends the
// session holds the prompt and every token but the last one produced (as a per-token loop does).
//
// DecodeControl is shared with other threads: the chain count is an atomic the caller may change
// at any time (a CoLM-Air switch costs no round trip); `stop` ends the loop before the next token
// (a running evaluation is cancelled through InferenceSession::request_cancel). In lockstep mode
// the loop evaluates token i only once `released` > i: the caller releases tokens one at a time
// (setting the chain count first), so a chain count chosen per position is exact.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "colm/backend.h"
#include "colm/sampler.h"

namespace colm {

enum class DecodeFinish { StopToken, MaxTokens, Cancelled, ContextFull };
const char* decode_finish_name(DecodeFinish f);  // "stop", "length", "abort", "context"

struct DecodeOptions {
  int32_t max_tokens = 256;
  std::vector<int32_t> stop_tokens;  // a sampled stop token is handed over, then the loop ends
  bool prefill = true;               // the first evaluation takes the prefill path (CoLM-Air: chain 1)
  bool lockstep = false;             // wait for a release before every token (see above)
};

class DecodeControl {
 public:
  explicit DecodeControl(int32_t chains) : chains_(chains) {}

  int32_t chains() const { return chains_.load(std::memory_order_acquire); }
  void set_chains(int32_t k) { chains_.store(k, std::memory_order_release); }

  // Lockstep: allows one more token, evaluated at k chains.
  void release(int32_t k);
  // Ends the loop before its next token (and wakes a lockstep wait).
  void stop();
  bool stopped() const { return stop_.load(std::memory_order_acquire); }

  // The loop's side: waits until token `index` is released or the loop is stopped.
  void wait_released(int64_t index);

 private:
  std::atomic<int32_t> chains_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
  int64_t released_ = 1;  // the first token needs no release
};

struct DecodedToken {
  int32_t token;
  int32_t chains;     // the chain count of the evaluation whose logits gave it
  int32_t index;      // 0 for the first token of the call
  double eval_ms;     // time to evaluate the pending tokens and sample this one
  double at_ms;       // when it was sampled, from the start of decode()
};

struct DecodeResult {
  DecodeFinish finish = DecodeFinish::MaxTokens;
  int32_t produced = 0;  // tokens handed to on_token
  int32_t position = 0;  // the session's position at the end
};

// Runs the loop from `pending` (the prompt's new tail, at least one token). Errors other than a
// cancel (a bad chain count, a bad token) propagate as exceptions; a cancel ends with Cancelled.
DecodeResult decode(InferenceSession& session, const int32_t* pending, int32_t count, Sampler& sampler,
                    const DecodeOptions& options, DecodeControl& control,
                    const std::function<void(const DecodedToken&)>& on_token);

}  // namespace colm
