// The CPU engine behind InferenceSession: every call forwards to colm::Session (session.cpp is
// untouched; one virtual call per evaluation).
#include "colm/backend.h"

namespace colm {

namespace {

class CpuSession final : public InferenceSession {
 public:
  CpuSession(std::shared_ptr<const Model> model, const SessionOptions& options) : s_(std::move(model), options) {}

  std::string device() const override { return "cpu"; }
  const Model& model() const override { return s_.model(); }
  int32_t position() const override { return s_.position(); }
  int32_t context_size() const override { return s_.context_size(); }
  const std::vector<int32_t>& tokens() const override { return s_.tokens(); }
  std::vector<float> evaluate(const int32_t* tokens, int32_t count, int32_t k, LogitsWanted want) override {
    return s_.evaluate(tokens, count, k, want);
  }
  std::vector<float> prefill(const int32_t* tokens, int32_t count, int32_t k) override { return s_.prefill(tokens, count, k); }
  void truncate(int32_t length) override { s_.truncate(length); }
  std::vector<float> kv_cache(int32_t layer, bool values) const override { return s_.kv_cache(layer, values); }
  int64_t kv_cache_bytes() const override { return s_.kv_cache_bytes(); }
  KvType kv_type() const override { return s_.kv_type(); }
  std::vector<uint8_t> kv_chains() const override {
    const auto& kc = s_.kv_chains();
    return std::vector<uint8_t>(kc.begin(), kc.begin() + s_.position());
  }
  const std::vector<float>& last_hidden() const override { return s_.last_hidden(); }
  int32_t last_hidden_chains() const override { return s_.last_hidden_chains(); }
  void set_threads(int32_t threads) override { s_.set_threads(threads); }
  int32_t threads() const override { return s_.threads(); }
  void request_cancel() override { s_.cancel.store(true); }

 private:
  Session s_;
};

}  // namespace

std::unique_ptr<InferenceSession> make_cpu_session(std::shared_ptr<const Model> model, const SessionOptions& options) {
  return std::make_unique<CpuSession>(std::move(model), options);
}

}  // namespace colm
