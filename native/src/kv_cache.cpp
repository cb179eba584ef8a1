// The KV cache's element types: allocation, rounding rows on store, views for the kernels.
#include "colm/kv_cache.h"

#include <cstring>

#include "colm/kernels.h"

namespace colm {

const char* kv_type_name(KvType t) {
  switch (t) {
    case KvType::F32: return "f32";
    case KvType::BF16: return "bf16";
    case KvType::F16: return "f16";
    case KvType::Q8_0: return "q8_0";
  }
  return "?";
}

bool kv_type_parse(const std::string& name, KvType* out) {
  for (KvType t : {KvType::F32, KvType::BF16, KvType::F16, KvType::Q8_0}) {
    if (name == kv_type_name(t)) {
      *out = t;
      return true;
    }
  }
  return false;
}

int64_t kv_head_bytes(KvType t, int32_t head_dim) {
  switch (t) {
    case KvType::F32: return 4 * int64_t(head_dim);
    case KvType::BF16:
    case KvType::F16: return 2 * int64_t(head_dim);
    case KvType::Q8_0: return int64_t(head_dim) + 2 * q8_blocks(head_dim);
  }
  return 0;
}

namespace {

DType element_dtype(KvType t) {
  switch (t) {
    case KvType::F32: return DType::F32;
    case KvType::BF16: return DType::BF16;
    case KvType::F16: return DType::F16;
    case KvType::Q8_0: return DType::Q8_0;
  }
  return DType::F32;
}

size_t element_bytes(KvType t) { return t == KvType::F32 ? 4 : t == KvType::Q8_0 ? 1 : 2; }

}  // namespace

void KvCache::allocate(KvType type, int64_t rows, int32_t heads, int32_t head_dim) {
  type_ = type;
  heads_ = heads;
  head_dim_ = head_dim;
  row_elems_ = int64_t(heads) * head_dim;
  blocks_ = type == KvType::Q8_0 ? int32_t(q8_blocks(head_dim)) : 0;
  data_.assign(size_t(rows) * size_t(row_elems_) * element_bytes(type), 0);
  scales_.assign(type == KvType::Q8_0 ? size_t(rows) * size_t(heads) * size_t(blocks_) : 0, 0);
}

void KvCache::store(int64_t row, const float* src, int32_t heads) {
  const size_t n = size_t(heads) * size_t(head_dim_);
  uint8_t* dst = data_.data() + size_t(row) * size_t(row_elems_) * element_bytes(type_);
  switch (type_) {
    case KvType::F32:
      std::memcpy(dst, src, n * 4);
      return;
    case KvType::BF16:
    case KvType::F16:
      cpu_kernels().narrow_row(src, int32_t(n), element_dtype(type_), reinterpret_cast<uint16_t*>(dst));
      return;
    case KvType::Q8_0: {
      // Head by head: blocks start at each head's first value (see the header).
      uint16_t* scales = scales_.data() + size_t(row) * size_t(heads_) * size_t(blocks_);
      for (int32_t h = 0; h < heads; ++h)
        quantize_row_q8_0(src + size_t(h) * head_dim_, head_dim_, reinterpret_cast<int8_t*>(dst) + size_t(h) * head_dim_,
                          scales + size_t(h) * blocks_, DType::F16);
      return;
    }
  }
}

WeightView KvCache::view(int64_t row0, int32_t n, int32_t head) const {
  WeightView v;
  v.dtype = element_dtype(type_);
  v.rows = n;
  v.cols = head_dim_;
  v.ld = row_elems_;
  v.data = data_.data() + (size_t(row0) * size_t(row_elems_) + size_t(head) * size_t(head_dim_)) * element_bytes(type_);
  if (type_ == KvType::Q8_0) {
    v.scales = scales_.data() + (size_t(row0) * size_t(heads_) + size_t(head)) * size_t(blocks_);
    v.scale_dtype = DType::F16;
    v.scales_ld = int64_t(heads_) * blocks_;
  }
  return v;
}

void KvCache::widen(int64_t row, float* dst) const {
  for (int32_t h = 0; h < heads_; ++h) widen_row(view(row, 1, h), 0, dst + size_t(h) * head_dim_);
}

}  // namespace colm
