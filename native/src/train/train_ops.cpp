// The trainer's elementwise and per-row kernels, forwarded to the active instruction set's table
// (train_kernels.h; the loops themselves are in train_isa_body.h).
#include "train_ops.h"

#include "train_kernels.h"

namespace colm {
namespace train {

float vec_sum(const float* x, int64_t n) { return train_kernels().vec_sum(x, n); }
float vec_max(const float* x, int64_t n) { return train_kernels().vec_max(x, n); }
float vec_dot(const float* a, const float* b, int64_t n) { return train_kernels().vec_dot(a, b, n); }
void vec_axpy(float a, const float* x, float* y, int64_t n) { train_kernels().vec_axpy(a, x, y, n); }
void vec_add(const float* x, float* y, int64_t n) { train_kernels().vec_add(x, y, n); }
void vec_scale(float a, float* x, int64_t n) { train_kernels().vec_scale(a, x, n); }
float vec_exp_shifted(float* x, int64_t n, float shift) { return train_kernels().vec_exp_shifted(x, n, shift); }

void transpose(const float* src, int64_t rows, int64_t cols, int64_t ld_src, float* dst, int64_t ld_dst) {
  train_kernels().transpose(src, rows, cols, ld_src, dst, ld_dst);
}

void chain_norm_forward(const float* x, const float* w, const int32_t* cum, int32_t n, float eps, float* out,
                        float* rstd) {
  train_kernels().chain_norm_forward(x, w, cum, n, eps, out, rstd);
}

void chain_norm_backward(const float* x, const float* w, const int32_t* cum, int32_t n, const float* rstd,
                         const float* dy, float* dx, float* dw) {
  train_kernels().chain_norm_backward(x, w, cum, n, rstd, dy, dx, dw);
}

void swiglu_forward(const float* g, const float* u, float* act, int64_t n) { train_kernels().swiglu_forward(g, u, act, n); }

void swiglu_backward(const float* g, const float* u, const float* d_act, float* dg, float* du, int64_t n) {
  train_kernels().swiglu_backward(g, u, d_act, dg, du, n);
}

void rope_rows(float* x, int32_t n_heads, int64_t stride, int32_t head_dim, const float* cos_t, const float* sin_t,
               bool inverse) {
  train_kernels().rope_rows(x, n_heads, stride, head_dim, cos_t, sin_t, inverse);
}

float softmax_row(float* s, int64_t n, float scale) { return train_kernels().softmax_row(s, n, scale); }

void softmax_backward_row(float* s, float* dp, int64_t n, float scale, float lse, float delta) {
  train_kernels().softmax_backward_row(s, dp, n, scale, lse, delta);
}

void multi_chain_loss_row(float* c, int32_t n, int64_t V, int32_t target, const float* weight, float smoothing,
                          double* loss, float* running) {
  train_kernels().multi_chain_loss_row(c, n, V, target, weight, smoothing, loss, running);
}

void adamw_update(float* w, const float* g, float* m, float* v, int64_t n, const AdamStep& s, bool decay) {
  train_kernels().adamw_update(w, g, m, v, n, s, decay);
}

double sum_squares(const float* x, int64_t n) { return train_kernels().sum_squares(x, n); }

}  // namespace train
}  // namespace colm
