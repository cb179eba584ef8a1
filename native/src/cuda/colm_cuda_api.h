/* The C ABI of the optional CUDA backend (libcolm_cuda.so / colm_cuda.dll).
 *
 * The addon (and the GPU check program) load the library at run time and ask it for one table of
 * function pointers: colm_cuda_get_api(COLM_CUDA_ABI_VERSION). A library built from another
 * version of this header answers NULL, so a stale library is refused instead of misread.
 * Plain C, no CUDA types: the caller needs no CUDA headers, and nothing here throws or aborts.
 * Every call that can fail returns a status (COLM_CUDA_OK = 0, else a colm_cuda_status) and the
 * library keeps a one-line message for the calling thread, read with last_error().
 *
 * Weights are described by the caller (host pointers into its memory-mapped checkpoint) in
 * their stored types; model_create copies each tensor to the device once, in that type.
 */
#ifndef COLM_CUDA_API_H
#define COLM_CUDA_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a struct or a function signature below changes. */
#define COLM_CUDA_ABI_VERSION 1

/* The most chains a model may have on this backend (kernel arguments hold one entry per chain). */
#define COLM_CUDA_MAX_CHAINS 16

typedef enum colm_cuda_status {
  COLM_CUDA_OK = 0,
  COLM_CUDA_NO_DRIVER = 1,         /* libcuda is not installed: no NVIDIA driver */
  COLM_CUDA_DRIVER_TOO_OLD = 2,    /* the driver is older than this library's CUDA runtime */
  COLM_CUDA_NO_DEVICE = 3,         /* a driver, but no usable NVIDIA GPU */
  COLM_CUDA_BAD_DEVICE = 4,        /* the device index does not exist */
  COLM_CUDA_OUT_OF_MEMORY = 5,     /* cudaMalloc failed: the message says how much was asked for */
  COLM_CUDA_DEVICE_LOST = 6,       /* a sticky error (launch failure, ECC, Xid): the context is gone */
  COLM_CUDA_INVALID_ARGUMENT = 7,  /* a caller error: the message names the argument and the rule */
  COLM_CUDA_UNSUPPORTED = 8,       /* a model this backend cannot run (the message says why) */
  COLM_CUDA_CANCELLED = 9,         /* the cancel flag was set between two chunks */
  COLM_CUDA_ERROR = 10             /* any other CUDA error; the message has its name and text */
} colm_cuda_status;

/* Stored types, numbered as colm::DType (native/include/colm/tensor.h). */
enum { COLM_CUDA_F32 = 0, COLM_CUDA_F16 = 1, COLM_CUDA_BF16 = 2, COLM_CUDA_I8 = 3, COLM_CUDA_Q8_0 = 4 };

typedef struct colm_cuda_device_info {
  int32_t index;
  char name[256];
  int32_t cc_major, cc_minor;   /* compute capability */
  uint64_t total_bytes;         /* device memory */
  uint64_t free_bytes;          /* free now (cudaMemGetInfo) */
  int32_t multiprocessors;
  int32_t driver_version;       /* e.g. 13000 for CUDA 13.0 */
  int32_t runtime_version;      /* the runtime linked into this library */
} colm_cuda_device_info;

/* A (rows, cols) window of a row-major matrix, rows `ld` elements apart: one chain block, whose
 * cols is its K-extent. Q8_0: data is int8 and W[r, c] = data[r, c] * scales[r, c / 32], the
 * scales row-major in scale_dtype (F16 or F32), scales_ld apart. out_offset: the block's first
 * output feature in the linear's output. */
typedef struct colm_cuda_weight {
  const void* data;
  int32_t dtype;
  int32_t rows, cols;
  int64_t ld;
  const void* scales;
  int32_t scale_dtype;
  int64_t scales_ld;
  int32_t out_offset;
} colm_cuda_weight;

/* A chain linear: blocks 0..n-1 (sub-model k applies 0..k-1), and an optional float32 bias of
 * the full output width (sub-model k adds the entries its blocks produce). */
typedef struct colm_cuda_linear {
  const colm_cuda_weight* blocks;
  int32_t n_blocks;
  const float* bias; /* NULL: none */
  int32_t bias_len;
} colm_cuda_linear;

typedef struct colm_cuda_layer {
  const float* input_norm; /* (D) */
  const float* post_norm;  /* (D) */
  colm_cuda_linear q, k, v, o, gate, up, down;
  const float* q_norm; /* (head_dim) qwen3 qk-norm, or NULL */
  const float* k_norm;
  int32_t sliding_window; /* 0: the layer sees every earlier position */
} colm_cuda_layer;

/* Everything the forward needs, as colm::Model holds it (native/include/colm/model.h). */
typedef struct colm_cuda_model_desc {
  uint32_t struct_size; /* sizeof(colm_cuda_model_desc) */
  int32_t hidden_size, intermediate_size, num_layers, vocab_size;
  int32_t num_heads, num_kv_heads, head_dim;
  int32_t n_chains;
  const int32_t* cum_hidden;   /* (n+1) */
  const int32_t* cum_heads;    /* (n+1) */
  const int32_t* cum_kv_heads; /* (n+1) */
  const int32_t* cum_ffn;      /* (n+1) */
  int32_t kv_heads_total;
  int32_t group;      /* plain CoLM: query head j reads KV head j / group */
  int32_t kv_sharing; /* CoLM-Air: query head j reads KV head j mod num_kv_heads */
  float rms_norm_eps;
  const float* rope_inv_freq; /* (head_dim / 2), scaling applied */
  colm_cuda_weight embed;     /* (V, D) */
  colm_cuda_weight lm_head;   /* (V, D); may point at the same data as embed (tied: one copy) */
  const float* final_norm;    /* (D) */
  const colm_cuda_layer* layers; /* (num_layers) */
  int32_t max_chains; /* upload chains 1..max_chains only (0: all); evaluation refuses k above */
} colm_cuda_model_desc;

/* Bytes model_create would allocate, and a session of context_size positions (BF16 K and V). */
typedef struct colm_cuda_memory_plan {
  uint64_t weight_bytes;
  uint64_t kv_bytes;
  uint64_t workspace_bytes;
} colm_cuda_memory_plan;

typedef struct colm_cuda_model colm_cuda_model;
typedef struct colm_cuda_session colm_cuda_session;

enum { COLM_CUDA_LOGITS_NONE = 0, COLM_CUDA_LOGITS_LAST = 1, COLM_CUDA_LOGITS_ALL = 2 };

typedef struct colm_cuda_api {
  uint32_t abi_version;
  uint32_t struct_size;
  const char* (*library_version)(void); /* e.g. "colm_cuda 0.1.0 (CUDA runtime 13.0)" */
  /* The calling thread's message of the last failed call ("" when none). */
  const char* (*last_error)(void);

  /* Devices. device_count sets *count (0 with a non-OK status that says why: no driver, driver
   * too old, no device). */
  int (*device_count)(int32_t* count);
  int (*device_info)(int32_t device, colm_cuda_device_info* out);
  /* The driver's CUDA version (cuDriverGetVersion) without creating a context; 0 when none. */
  int (*driver_version)(int32_t* version);

  /* Bytes a model and a session would take on the device (no allocation). */
  int (*plan_memory)(const colm_cuda_model_desc* desc, int32_t context_size, colm_cuda_memory_plan* out);

  /* Uploads every weight of chains 1..max_chains in its stored type. Blocks the calling thread. */
  int (*model_create)(int32_t device, const colm_cuda_model_desc* desc, colm_cuda_model** out);
  void (*model_free)(colm_cuda_model* model);
  uint64_t (*model_bytes)(const colm_cuda_model* model);

  /* A session: K/V cache (BF16) for context_size positions, activations for chunks of positions. */
  int (*session_create)(colm_cuda_model* model, int32_t context_size, colm_cuda_session** out);
  void (*session_free)(colm_cuda_session* session);
  /* Evaluates `count` tokens at positions pos0.. (pos0 = the session's position) at chain count
   * k, writing the K/V of those positions. logits: NONE, LAST ((V) floats) or ALL ((count, V)).
   * With prefill set, CoLM-Air runs chains 1 over all but the last token (the cache is chain 1's)
   * and the last one at k; the caller asks for LAST. `cancel` (may be NULL) is read between chunks.
   * Plain CoLM: positions whose K/V hold fewer than k chains are recomputed first. */
  int (*session_evaluate)(colm_cuda_session* session, const int32_t* tokens, int32_t count, int32_t k,
                          int32_t prefill, int32_t logits, float* logits_out, const volatile int32_t* cancel);
  int (*session_truncate)(colm_cuda_session* session, int32_t length);
  int32_t (*session_position)(const colm_cuda_session* session);
  uint64_t (*session_kv_bytes)(const colm_cuda_session* session);
  /* A copy of one layer's K or V cache widened to float: (position, kv_heads_total * head_dim). */
  int (*session_kv_cache)(colm_cuda_session* session, int32_t layer, int32_t values, float* out);
  /* Chains whose K/V each position holds (position() bytes). */
  int (*session_kv_chains)(const colm_cuda_session* session, uint8_t* out);

  /* Device-to-device copy bandwidth, for the benchmark's roofline (GB/s; one warm-up, then
   * `iterations` copies of `bytes`). */
  int (*bench_copy_bandwidth)(int32_t device, uint64_t bytes, int32_t iterations, double* gb_per_s);
} colm_cuda_api;

#if defined(_WIN32)
#define COLM_CUDA_EXPORT __declspec(dllexport)
#else
#define COLM_CUDA_EXPORT __attribute__((visibility("default")))
#endif

/* The one exported symbol: the table for `abi_version`, or NULL when this library was built
 * for another version. */
typedef const colm_cuda_api* (*colm_cuda_get_api_fn)(uint32_t abi_version);
COLM_CUDA_EXPORT const colm_cuda_api* colm_cuda_get_api(uint32_t abi_version);

#ifdef __cplusplus
}
#endif

#endif /* COLM_CUDA_API_H */
