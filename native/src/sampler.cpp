// Token sampling: repetition penalty, then greedy argmax or top-k -> softmax(logits / T) -> top-p
// -> min-p -> a seeded draw. Every stage works in place on scratch vectors the sampler keeps, so a
// call allocates nothing once they have grown to the vocabulary, and nothing sorts the whole
// vocabulary: top-k keeps a heap of k, top-p without top-k is a quickselect on probability mass.
//
// Portability: the RNG is written out (xoshiro256** seeded by splitmix64), candidates are ordered
// by a strict total order (std::sort of it has one answer on every standard library) or by the
// partition written out below, and every sum runs in that order; so a seed gives the same tokens
// everywhere, up to the last bit of std::exp.
#include "colm/sampler.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

namespace colm {

// ---------------------------------------------------------------------------------------------
// RNG. <random>'s engines are portable but its distributions are not (each standard library
// maps bits to numbers its own way), so the generator and the bits-to-double step are here.

static uint64_t splitmix64_next(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static inline uint64_t rotate_left(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

Sampler::Sampler(const SamplerParams& params) : params_(params) {
  // splitmix64 spreads any seed (0 included) over the 256-bit state and never yields the
  // all-zero state, which xoshiro cannot leave.
  uint64_t seeder = params.seed;
  for (int i = 0; i < 4; ++i) rng_state_[i] = splitmix64_next(seeder);
}

uint64_t Sampler::next_u64() {
  uint64_t* s = rng_state_;
  const uint64_t result = rotate_left(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotate_left(s[3], 45);
  return result;
}

double Sampler::next_uniform() {
  // The top 53 bits fill a double's mantissa exactly: uniform on a grid of 2^-53 in [0, 1).
  return double(next_u64() >> 11) * (1.0 / 9007199254740992.0);
}

// ---------------------------------------------------------------------------------------------
// Logit clean-up and the repetition penalty.

// NaN means "no information", so it can never be picked: treat it as -inf. +inf becomes the
// largest finite float so it still wins, but max subtraction in the softmax stays finite.
static inline float sanitize_logit(float v) {
  if (std::isnan(v)) return -INFINITY;
  if (v > FLT_MAX) return FLT_MAX;
  return v;
}

// llama.cpp's rule: dividing a positive logit and multiplying a negative one both push the
// token down when penalty > 1 (a plain division would raise a negative logit).
static inline float penalize_logit(float logit, float penalty) {
  return sanitize_logit(logit > 0 ? logit / penalty : logit * penalty);
}

// The largest value; 8 independent running maxima so the loop is not one long chain of
// dependent compares (and the compiler can vectorise it). No NaN can reach here.
static float max_of(const float* values, int32_t n) {
  float lane_max[8];
  for (int k = 0; k < 8; ++k) lane_max[k] = -INFINITY;
  int32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k) lane_max[k] = values[i + k] > lane_max[k] ? values[i + k] : lane_max[k];
  }
  float result = -INFINITY;
  for (int k = 0; k < 8; ++k) result = lane_max[k] > result ? lane_max[k] : result;
  for (; i < n; ++i) result = values[i] > result ? values[i] : result;
  return result;
}

// Greedy choice: the largest logit, ties to the lowest id; 0 when every logit is -inf.
static int32_t argmax_lowest_id(const float* logits, int32_t n_vocab) {
  const float best = max_of(logits, n_vocab);
  int32_t i = 0;
  while (i < n_vocab - 1 && !(logits[i] == best)) ++i;
  return i;
}

// ---------------------------------------------------------------------------------------------
// Ordering candidates. larger_first is a strict total order (larger logit first, then lower id),
// so std::partial_sort and std::sort give the same result on every standard library. Where only
// a split is needed, the partition below is written out, so its order is portable too.

struct LargerLogitFirst {
  const float* logit;
  bool operator()(int32_t a, int32_t b) const {
    return logit[a] > logit[b] || (logit[a] == logit[b] && a < b);
  }
};

// The k largest candidates, sorted, into ids[0..k). One pass over the vocabulary keeping a heap
// of the best k so far; almost every token is turned away by one compare against the heap's
// smallest, so this costs little more than reading the logits. Returns how many were found
// (fewer than k when fewer logits are finite).
static int32_t select_top_k(const float* logit, int32_t n_vocab, int32_t k, int32_t* ids) {
  const LargerLogitFirst larger_first{logit};
  int32_t n_heap = 0;
  float heap_smallest = -INFINITY;  // once the heap is full, a token must beat this to enter
  for (int32_t i = 0; i < n_vocab; ++i) {
    // Ids come in increasing order, so a tie with the heap's smallest loses (higher id).
    if (!(logit[i] > heap_smallest)) continue;
    if (n_heap < k) {
      ids[n_heap++] = i;
      std::push_heap(ids, ids + n_heap, larger_first);  // heap top = the smallest kept
      if (n_heap == k) heap_smallest = logit[ids[0]];
    } else {
      std::pop_heap(ids, ids + n_heap, larger_first);
      ids[n_heap - 1] = i;
      std::push_heap(ids, ids + n_heap, larger_first);
      heap_smallest = logit[ids[0]];
    }
  }
  // The heap's layout is the library's business; sorting its (well-defined) contents is not.
  std::sort(ids, ids + n_heap, larger_first);
  return n_heap;
}

// Splits ids[lo..hi) (at least 3 of them) around a median-of-three pivot: afterwards ids[lo..p)
// all rank above ids[p] and ids(p..hi) all rank below it. Returns p, which is never lo or hi-1
// (a median of three distinct ids is neither the range's first nor last in rank), so every
// split makes progress.
static int32_t partition_larger_first(int32_t* ids, int32_t lo, int32_t hi,
                                      const LargerLogitFirst& larger_first) {
  const int32_t mid = lo + (hi - lo) / 2;
  int32_t a = lo, b = mid, c = hi - 1;
  if (larger_first(ids[b], ids[a])) std::swap(a, b);
  if (larger_first(ids[c], ids[b])) std::swap(b, c);
  if (larger_first(ids[b], ids[a])) std::swap(a, b);
  std::swap(ids[b], ids[hi - 1]);  // the median waits at the end
  const int32_t pivot = ids[hi - 1];
  int32_t store = lo;
  for (int32_t i = lo; i < hi - 1; ++i) {
    if (larger_first(ids[i], pivot)) std::swap(ids[i], ids[store++]);
  }
  std::swap(ids[store], ids[hi - 1]);
  return store;
}

// Top-p over candidates in no particular order: moves the nucleus (the shortest run of largest
// candidates whose weight reaches target_mass) to ids[0..n) and returns n. A quickselect on
// mass rather than a sort: each split sums the weight of the upper part and keeps only the side
// that holds the boundary, so a flat 256k distribution with a nucleus of 100k tokens costs a few
// passes, not an O(n log n) sort. The nucleus ends up in partition order, which is portable.
static int32_t select_nucleus(int32_t* ids, int32_t n, const double* weight, double target_mass,
                              const LargerLogitFirst& larger_first) {
  int32_t lo = 0, hi = n;  // the last token of the nucleus is in ids[lo..hi)
  double mass_before = 0;  // the weight of ids[0..lo), every one of which ranks above ids[lo..hi)
  // Median-of-three splits roughly in half on real logits (~18 splits for 256k); the budget
  // only bounds a pathological input, whose rest is then sorted instead.
  int32_t splits_left = 64;
  while (hi - lo > 32 && splits_left-- > 0) {
    const int32_t p = partition_larger_first(ids, lo, hi, larger_first);
    double mass_upper = 0;  // ids[lo..p], the pivot included
    for (int32_t j = lo; j <= p; ++j) mass_upper += weight[ids[j]];
    if (mass_before + mass_upper >= target_mass) {
      hi = p + 1;
    } else {
      mass_before += mass_upper;
      lo = p + 1;
    }
  }
  std::sort(ids + lo, ids + hi, larger_first);
  for (int32_t j = lo; j < hi; ++j) {
    mass_before += weight[ids[j]];
    if (mass_before >= target_mass) return j + 1;
  }
  return hi;  // only when rounding kept the sum below target_mass: keep everything
}

// ---------------------------------------------------------------------------------------------
// Sampling.

int32_t Sampler::sample(const float* logits, int32_t n_vocab, const int32_t* recent,
                        int32_t n_recent) {
  if (logits == nullptr || n_vocab <= 0) return -1;  // a caller bug, not a model output

  // Grow only: a sampler reused across calls allocates once for the largest vocabulary.
  if (scratch_logits_.size() < size_t(n_vocab)) {
    scratch_logits_.resize(n_vocab);
    scratch_ids_.resize(n_vocab);
    scratch_weights_.resize(n_vocab);
  }
  float* logit = scratch_logits_.data();
  int32_t* ids = scratch_ids_.data();
  double* weight = scratch_weights_.data();

  for (int32_t i = 0; i < n_vocab; ++i) logit[i] = sanitize_logit(logits[i]);

  // ---- repetition penalty over the last repeat_last_n tokens, once per distinct token ----
  const float penalty = params_.repeat_penalty;
  const bool penalty_on = penalty > 0 && std::isfinite(penalty) && penalty != 1.0f &&
                          params_.repeat_last_n != 0 && recent != nullptr && n_recent > 0;
  if (penalty_on) {
    const int32_t window = params_.repeat_last_n < 0 ? n_recent  // < 0: the whole context
                                                     : std::min(params_.repeat_last_n, n_recent);
    for (int32_t i = n_recent - window; i < n_recent; ++i) {
      const int32_t token = recent[i];
      if (token < 0 || token >= n_vocab) continue;  // a stray id must not write out of bounds
      // A token that occurs twice is penalised once. It is still untouched while it equals its
      // input value; and where the penalty left a value unchanged (0, -inf), applying it again
      // changes nothing either. This needs no set and no extra memory.
      if (logit[token] != sanitize_logit(logits[token])) continue;
      logit[token] = penalize_logit(logit[token], penalty);
    }
  }

  // ---- greedy: deterministic, consumes no randomness ----
  if (!(params_.temperature > 0)) return argmax_lowest_id(logit, n_vocab);

  const float max_logit = max_of(logit, n_vocab);
  if (max_logit == -INFINITY) return 0;  // every logit -inf or NaN: the argmax of a flat line

  const LargerLogitFirst larger_first{logit};
  int32_t n_candidates = 0;
  bool candidates_sorted = false;  // otherwise in ascending id order, or partition order

  // ---- top-k: the k largest, found in one pass, sorted ----
  const int32_t top_k = params_.top_k;
  if (top_k > 0 && top_k < n_vocab) {
    n_candidates = select_top_k(logit, n_vocab, top_k, ids);
    candidates_sorted = true;
  } else {
    // Every id that can still be drawn, in ascending id order (branch-free compaction).
    for (int32_t i = 0; i < n_vocab; ++i) {
      ids[n_candidates] = i;
      n_candidates += logit[i] > -INFINITY;
    }
  }

  // ---- softmax(logit / T), unnormalised: weight = exp((logit - max) / T), so the top is 1 ----
  const double temperature = params_.temperature;
  double total = 0;
  for (int32_t j = 0; j < n_candidates; ++j) {
    const int32_t id = ids[j];
    weight[id] = std::exp((double(logit[id]) - double(max_logit)) / temperature);
    total += weight[id];
  }

  // ---- top-p: the shortest run of largest candidates whose probability reaches top_p ----
  const double top_p = params_.top_p;
  if (top_p < 1.0) {
    // Compared as mass >= top_p * total, so no division per token. top_p <= 0 keeps one token.
    const double target_mass = top_p * total;
    if (candidates_sorted) {
      double cumulative = 0;
      int32_t n_keep = n_candidates;  // if rounding never reaches the target, keep them all
      for (int32_t j = 0; j < n_candidates; ++j) {
        cumulative += weight[ids[j]];
        if (cumulative >= target_mass) {
          n_keep = j + 1;
          break;
        }
      }
      n_candidates = n_keep;
    } else {
      n_candidates = select_nucleus(ids, n_candidates, weight, target_mass, larger_first);
    }
  }

  // ---- min-p: keep p >= min_p * p_max. p / p_max = weight / 1, since the top token (always
  // kept by top-k and top-p) has weight exp(0) = 1; so no normalisation is needed, and the
  // result is the same before or after top-p renormalises. ----
  if (params_.min_p > 0) {
    const double threshold = std::min(double(params_.min_p), 1.0);  // > 1 would drop the top
    int32_t n_keep = 0;
    for (int32_t j = 0; j < n_candidates; ++j) {
      if (weight[ids[j]] >= threshold) ids[n_keep++] = ids[j];  // stable: keeps the order
    }
    n_candidates = n_keep;
  }

  // ---- renormalise over what is left and draw ----
  double kept_total = 0;
  for (int32_t j = 0; j < n_candidates; ++j) kept_total += weight[ids[j]];
  const double target = next_uniform() * kept_total;
  double cumulative = 0;
  for (int32_t j = 0; j < n_candidates; ++j) {
    cumulative += weight[ids[j]];
    if (target < cumulative) return ids[j];
  }
  // u * total can round up to total itself; fall back to the last token that has any weight
  // (a weight that underflowed to 0 must never be drawn).
  int32_t last = n_candidates - 1;
  while (last > 0 && weight[ids[last]] == 0) --last;
  return ids[last];
}

}  // namespace colm
