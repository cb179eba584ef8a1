#include "model_config.h"

#include "js_values.h"

namespace colm_addon {

colm::ModelConfig ParseModelConfig(const Napi::Object& c) {
  Napi::Env env = c.Env();
  colm::ModelConfig mc;
  mc.hidden_size = int32_t(GetInteger(c, "hiddenSize", "config"));
  mc.intermediate_size = int32_t(GetInteger(c, "intermediateSize", "config"));
  mc.num_layers = int32_t(GetInteger(c, "numHiddenLayers", "config"));
  mc.vocab_size = int32_t(GetInteger(c, "vocabSize", "config"));
  mc.num_heads = int32_t(GetInteger(c, "numAttentionHeads", "config"));
  mc.num_kv_heads = int32_t(GetInteger(c, "numKeyValueHeads", "config"));
  mc.head_dim = int32_t(GetInteger(c, "headDim", "config"));
  Napi::Array chains = GetArray(c, "chains", "config");
  for (uint32_t i = 0; i < chains.Length(); ++i) {
    Napi::Value v = chains.Get(i);
    if (!v.IsNumber()) throw Napi::TypeError::New(env, "config.chains must hold integers");
    mc.chains.push_back(v.As<Napi::Number>().Int32Value());
  }
  mc.kv_sharing = GetBool(c, "kvSharing", "config", false);
  mc.rms_norm_eps = float(GetNumber(c, "rmsNormEps", "config"));
  mc.rope_theta = float(GetNumber(c, "ropeTheta", "config"));
  mc.tie_word_embeddings = GetBool(c, "tieWordEmbeddings", "config", false);
  // colm_quantization, as app/checkpoint/config.ts checked it: {format: "q8_0", blockSize: 32}, or
  // q4_0 / q4_k (docs/FORMAT-Q4.md), whose chain linears are Q4 blocks or, where a K-extent is not
  // a whole number of blocks, q8_0 pairs: for the loader both say "every chain linear quantized".
  Napi::Value quant = c.Get("quantization");
  if (quant.IsObject()) {
    Napi::Object q = quant.As<Napi::Object>();
    const std::string format = GetString(q, "format", "quantization");
    if (format != "q8_0" && format != "q4_0" && format != "q4_k")
      throw Napi::TypeError::New(env, "config.quantization.format must be \"q8_0\", \"q4_0\" or \"q4_k\"");
    mc.q8_block_size = format == "q8_0" ? int32_t(GetInteger(q, "blockSize", "quantization")) : 32;
  }
  mc.qkv_bias = GetBool(c, "qkvBias", "config", false);
  mc.o_bias = GetBool(c, "oBias", "config", false);
  mc.mlp_bias = GetBool(c, "mlpBias", "config", false);
  mc.qk_norm = GetBool(c, "qkNorm", "config", false);
  Napi::Value window = c.Get("slidingWindow");
  if (window.IsNumber()) {
    // A window at least as long as any context is plain causal attention; clamp to int32.
    const double w = window.As<Napi::Number>().DoubleValue();
    if (!(w >= 1)) throw Napi::TypeError::New(env, "config.slidingWindow must be a positive integer or null");
    mc.sliding_window = w > double(1 << 30) ? (1 << 30) : int32_t(w);
    Napi::Array layers = GetArray(c, "slidingWindowLayers", "config");
    for (uint32_t i = 0; i < layers.Length(); ++i) mc.sliding_layers.push_back(layers.Get(i).ToBoolean().Value() ? 1 : 0);
  }
  Napi::Value rs = c.Get("ropeScaling");
  if (rs.IsObject()) {
    Napi::Object r = rs.As<Napi::Object>();
    const std::string type = GetString(r, "ropeType", "ropeScaling");
    if (type == "linear") {
      mc.rope_scaling.linear = true;
      mc.rope_scaling.factor = float(GetNumber(r, "factor", "ropeScaling"));
      return mc;
    }
    if (type != "llama3") throw Napi::TypeError::New(env, "config.ropeScaling.ropeType must be \"llama3\" or \"linear\", got \"" + type + "\"");
    mc.rope_scaling.llama3 = true;
    mc.rope_scaling.factor = float(GetNumber(r, "factor", "ropeScaling"));
    mc.rope_scaling.low_freq_factor = float(GetNumber(r, "lowFreqFactor", "ropeScaling"));
    mc.rope_scaling.high_freq_factor = float(GetNumber(r, "highFreqFactor", "ropeScaling"));
    mc.rope_scaling.original_max_position_embeddings =
        float(GetNumber(r, "originalMaxPositionEmbeddings", "ropeScaling"));
  }
  return mc;
}

}  // namespace colm_addon
