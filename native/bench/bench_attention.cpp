// Attention on its own (native/src/attention.cpp), as a long prompt and a long reply meet it:
// the last 256-query prefill chunk of a C-token prompt, and one decode step at position C, for
// CoLM-Air chain 1's heads (8 query heads over 4 KV heads, head_dim 64, as air4-500m) in a BF16
// cache. Prints JSON (npm run bench -- --only attention): ms, GFLOP/s (4 * head_dim flops per
// query-key pair: the scores and P V) and, for the prefill chunk, the same thread count's dense
// BF16 GEMM GFLOP/s on a 256-row product, so attention's rate reads as a share of the GEMM's.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include "../src/attention.h"
#include "colm/kernels.h"
#include "colm/kv_cache.h"
#include "colm/tensor.h"
#include "colm/thread_pool.h"

namespace {

double seconds_per_call(const std::function<void()>& fn, double min_s) {
  using Clock = std::chrono::steady_clock;
  fn();  // warm
  int calls = 0;
  const auto t0 = Clock::now();
  double elapsed = 0;
  do {
    fn();
    ++calls;
    elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  } while (elapsed < min_s);
  return elapsed / calls;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2;
  bool quick = false;
  const char* kernels = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
    if (!std::strcmp(argv[i], "--kernels") && i + 1 < argc) kernels = argv[++i];
    if (!std::strcmp(argv[i], "--quick")) quick = true;
  }
  if (kernels && !colm::set_cpu_kernels(kernels)) {
    std::fprintf(stderr, "kernel set %s is not available on this CPU\n", kernels);
    return 2;
  }
  const double min_s = quick ? 0.05 : 0.5;
  const int32_t heads = 8, kv_heads = 4, hd = 64, chunk = 256;
  colm::ThreadPool pool(threads);
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 1.0f);

  // The GEMM reference: 256 rows through a 2048 x 2048 BF16 weight.
  const int64_t gn = 2048, gk = 2048;
  std::vector<uint16_t> gw(size_t(gn * gk));
  for (auto& v : gw) v = colm::round_to_bf16(normal(rng) * 0.02f);
  std::vector<float> gx(size_t(chunk * gk)), gy(size_t(chunk * gn));
  for (auto& v : gx) v = normal(rng);
  const colm::WeightView gview{gw.data(), colm::DType::BF16, gn, gk, gk};
  const double gemm_s = seconds_per_call([&] { colm::matmul(gview, gx.data(), gk, gy.data(), gn, chunk, pool); }, min_s);
  const double gemm_gflops = 2.0 * chunk * gn * gk / gemm_s / 1e9;

  std::printf("{\n  \"kernels\": \"%s\", \"threads\": %d, \"gemm_gflops\": %.2f,\n  \"results\": [\n", colm::cpu_kernels().name,
              threads, gemm_gflops);
  const int32_t contexts[] = {2048, 8192};
  bool first = true;
  for (int32_t context : quick ? std::vector<int32_t>{2048} : std::vector<int32_t>(std::begin(contexts), std::end(contexts))) {
    colm::KvCache k_cache, v_cache;
    k_cache.allocate(colm::KvType::BF16, context + 1, kv_heads, hd);
    v_cache.allocate(colm::KvType::BF16, context + 1, kv_heads, hd);
    std::vector<float> row(size_t(kv_heads) * hd);
    for (int32_t p = 0; p <= context; ++p) {
      for (auto& v : row) v = normal(rng);
      k_cache.store(p, row.data(), kv_heads);
      for (auto& v : row) v = normal(rng);
      v_cache.store(p, row.data(), kv_heads);
    }
    std::vector<float> q(size_t(chunk) * heads * hd), out(q.size());
    for (auto& v : q) v = normal(rng);
    colm::AttentionArgs a;
    a.q = q.data();
    a.q_stride = int64_t(heads) * hd;
    a.k_cache = &k_cache;
    a.v_cache = &v_cache;
    a.row0 = 0;
    a.out = out.data();
    a.n_query_heads = heads;
    a.head_dim = hd;
    a.tiled_kv_map = true;
    a.num_kv_heads = kv_heads;
    a.group = heads / kv_heads;
    // Prefill: queries context - 256 .. context - 1.
    a.T = chunk;
    a.pos0 = context - chunk;
    double pairs = 0;
    for (int32_t t = 0; t < chunk; ++t) pairs += double(a.pos0 + t + 1);
    const double prefill_s = seconds_per_call([&] { colm::attention(a, pool); }, min_s);
    const double prefill_gflops = 4.0 * hd * heads * pairs / prefill_s / 1e9;
    // Decode: one query at position `context`.
    a.T = 1;
    a.pos0 = context;
    const double decode_s = seconds_per_call([&] { colm::attention(a, pool); }, min_s);
    const double decode_gflops = 4.0 * hd * heads * double(context + 1) / decode_s / 1e9;
    // Bytes a decode step reads: K and V of every position for the 4 KV heads, BF16.
    const double decode_gbps = 2.0 * 2.0 * kv_heads * hd * double(context + 1) / decode_s / 1e9;
    std::printf("%s    {\"context\": %d, \"prefill_chunk_ms\": %.3f, \"prefill_gflops\": %.2f, \"prefill_of_gemm\": %.3f, "
                "\"decode_ms\": %.4f, \"decode_gflops\": %.2f, \"decode_gbps\": %.2f}",
                first ? "" : ",\n", context, prefill_s * 1e3, prefill_gflops, prefill_gflops / gemm_gflops, decode_s * 1e3,
                decode_gflops, decode_gbps);
    first = false;
  }
  std::printf("\n  ]\n}\n");
  return 0;
}
