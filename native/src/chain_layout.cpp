// The widths every chain count implies, with FORMAT.md's divisibility rules.
#include <string>

#include "colm/model.h"

namespace colm {

namespace {

// a * c / s, refusing a result that is not a whole number.
int32_t exact_share(int64_t a, int64_t c, int64_t s, const char* what, size_t chain) {
  if ((a * c) % s != 0) {
    throw Error(std::string("config: ") + what + " * c" + std::to_string(chain + 1) +
                " / sum(chains) = " + std::to_string(a) + " * " + std::to_string(c) + " / " +
                std::to_string(s) + " is not a whole number");
  }
  return int32_t(a * c / s);
}

}  // namespace

ChainLayout ChainLayout::from_config(const ModelConfig& c) {
  auto positive = [](int64_t v, const char* key) {
    if (v <= 0 || v > (int64_t(1) << 30))
      throw Error(std::string("config: ") + key + " must be a positive integer, got " +
                  std::to_string(v));
  };
  positive(c.hidden_size, "hidden_size");
  positive(c.intermediate_size, "intermediate_size");
  positive(c.num_layers, "num_hidden_layers");
  positive(c.vocab_size, "vocab_size");
  positive(c.num_heads, "num_attention_heads");
  positive(c.num_kv_heads, "num_key_value_heads");
  positive(c.head_dim, "head_dim");
  if (c.chains.empty()) throw Error("config: chains must list at least one chain");
  if (c.head_dim % 2 != 0) throw Error("config: head_dim must be even for rotate-half RoPE");

  ChainLayout l;
  l.n = int32_t(c.chains.size());
  int64_t s = 0;
  for (int32_t ci : c.chains) {
    if (ci <= 0) throw Error("config: chains must be positive integers");
    s += ci;
  }
  l.cum_hidden.assign(size_t(l.n) + 1, 0);
  l.cum_heads.assign(size_t(l.n) + 1, 0);
  l.cum_kv_heads.assign(size_t(l.n) + 1, 0);
  l.cum_ffn.assign(size_t(l.n) + 1, 0);
  if (!c.kv_sharing && c.num_heads % c.num_kv_heads != 0)
    throw Error("config: num_attention_heads must be a multiple of num_key_value_heads");
  l.group = c.kv_sharing ? 1 : c.num_heads / c.num_kv_heads;
  for (size_t i = 0; i < c.chains.size(); ++i) {
    int32_t d = exact_share(c.hidden_size, c.chains[i], s, "hidden_size", i);
    int32_t h = exact_share(c.num_heads, c.chains[i], s, "num_attention_heads", i);
    int32_t f = exact_share(c.intermediate_size, c.chains[i], s, "intermediate_size", i);
    // One chain is a plain HF model, where head_dim may differ from D/h (Qwen3).
    if (l.n > 1 && int64_t(h) * c.head_dim != d)
      throw Error("config: chain " + std::to_string(i + 1) + " has width " + std::to_string(d) +
                  " but " + std::to_string(h) + " heads of head_dim " +
                  std::to_string(c.head_dim) + " (D_i must equal h_i * head_dim)");
    int32_t kv;
    if (c.kv_sharing) {
      if (h % c.num_kv_heads != 0)
        throw Error("config: with kv_sharing, the heads of chain " + std::to_string(i + 1) +
                    " (" + std::to_string(h) + ") must be a multiple of num_key_value_heads");
      kv = i == 0 ? c.num_kv_heads : 0;
    } else {
      kv = exact_share(c.num_kv_heads, c.chains[i], s, "num_key_value_heads", i);
    }
    l.cum_hidden[i + 1] = l.cum_hidden[i] + d;
    l.cum_heads[i + 1] = l.cum_heads[i] + h;
    l.cum_kv_heads[i + 1] = l.cum_kv_heads[i] + kv;
    l.cum_ffn[i + 1] = l.cum_ffn[i] + f;
  }
  l.kv_heads_total = c.num_kv_heads;
  return l;
}

}  // namespace colm
