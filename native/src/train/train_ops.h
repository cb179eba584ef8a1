// The trainer's elementwise and per-row kernels: plain loops the compiler vectorises, built
// once per instruction set (train_kernels.h); these run the active set's. Every reduction keeps
// a fixed order (explicit lanes), so a result never depends on threads or tiling.
#pragma once
#include <cstdint>

namespace colm {
namespace train {

// ---- small vector helpers ----
float vec_sum(const float* x, int64_t n);
float vec_max(const float* x, int64_t n);
float vec_dot(const float* a, const float* b, int64_t n);
void vec_axpy(float a, const float* x, float* y, int64_t n);      // y += a x
void vec_add(const float* x, float* y, int64_t n);                // y += x
void vec_scale(float a, float* x, int64_t n);                     // x *= a
// x[i] = exp(x[i] - shift); returns the sum of the results.
float vec_exp_shifted(float* x, int64_t n, float shift);

// dst (cols, rows) = src (rows, cols) transposed; strides in floats.
void transpose(const float* src, int64_t rows, int64_t cols, int64_t ld_src, float* dst,
               int64_t ld_dst);

// ---- chain RMSNorm over one row ----
// out = each chain slice of x divided by its RMS, times w; rstd[i] = 1/RMS of slice i.
void chain_norm_forward(const float* x, const float* w, const int32_t* cum, int32_t n, float eps,
                        float* out, float* rstd);
// Adds the input gradient to dx and w's gradient to dw for one row.
void chain_norm_backward(const float* x, const float* w, const int32_t* cum, int32_t n,
                         const float* rstd, const float* dy, float* dx, float* dw);

// ---- SwiGLU ----
void swiglu_forward(const float* g, const float* u, float* act, int64_t n);
// dg, du from d_act (dg may alias d_act).
void swiglu_backward(const float* g, const float* u, const float* d_act, float* dg, float* du,
                     int64_t n);

// ---- RoPE (rotate-half) over n_heads heads `stride` apart ----
void rope_rows(float* x, int32_t n_heads, int64_t stride, int32_t head_dim, const float* cos_t,
               const float* sin_t, bool inverse);

// ---- softmax rows of causal attention (n = positions the row may see) ----
// Forward: s = softmax(s * scale); returns the log-sum-exp of s * scale.
float softmax_row(float* s, int64_t n, float scale);
// Backward: p = exp(s * scale - lse) in place; dp = p * (dp - delta) * scale in place.
void softmax_backward_row(float* s, float* dp, int64_t n, float scale, float lse, float delta);

// ---- the loss of one position for every chain count ----
// c: n rows of V floats, chain j's contribution to the logits. On return c[j] holds the
// gradient of the objective with respect to chain j's contribution: sum over k >= j of
// weight[k] * (softmax(logits_k) - q), q = (1 - smoothing) * onehot(target) + smoothing / V (label
// smoothing; 0: plain cross-entropy). loss[k] = cross-entropy of logits_k against the target,
// loss[n + k] = against the uniform distribution (the smoothed objective is the mix of the two).
// running: V floats of scratch.
void multi_chain_loss_row(float* c, int32_t n, int64_t V, int32_t target, const float* weight,
                          float smoothing, double* loss, float* running);

// ---- AdamW on a run of elements ----
struct AdamStep {
  float lr, beta1, beta2, eps, weight_decay;
  float grad_scale;   // clipping factor applied to the gradient
  float bias1, bias2; // 1 - beta^t
};
void adamw_update(float* w, const float* g, float* m, float* v, int64_t n, const AdamStep& s,
                  bool decay);
double sum_squares(const float* x, int64_t n);

}  // namespace train
}  // namespace colm
