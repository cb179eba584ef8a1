// The shapes shared by the checkpoint reader (app/checkpoint) and the engine face (app/engine).
// A LoadPlan is everything the native engine needs to map a checkpoint: a validated config and,
// for every tensor, which file holds it, where, in which dtype and with which shape.

/** The float dtypes weights are read in (FORMAT.md). */
export type DType = 'F32' | 'F16' | 'BF16';
/** What a stored tensor may hold: a float dtype, or I8 for the `.qweight` of a q8_0 chain linear. */
export type TensorDType = DType | 'I8';
/**
 * What a LoadPlan entry may hold: a TensorDType, or llama.cpp's 4-bit blocks (docs/FORMAT-Q4.md) for
 * a chain linear's `.weight`, shape [rows, cols] in weights, rows of whole blocks.
 */
export type PlanDType = TensorDType | Q4DType;
export type Q4DType = 'Q4_0' | 'Q4_K';

/** `colm_quantization` (docs/FORMAT-Q8.md): chain linears as int8 blocks of 32 columns with one scale each. */
export interface QuantizationConfig {
  format: 'q8_0' | 'q4_0' | 'q4_k';
  /** Columns per scale: 32 for q8_0 and q4_0; 256 (a super-block of 8 sub-blocks) for q4_k. */
  blockSize: 32 | 256;
}

/** Hugging Face `rope_type: "llama3"`: long wavelengths slowed by `factor`, short kept, the band between blended. */
export interface RopeScalingLlama3 {
  ropeType: 'llama3';
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositionEmbeddings: number;
}

/** Hugging Face `rope_type: "linear"`: every position divided by `factor` before the angles. */
export interface RopeScalingLinear {
  ropeType: 'linear';
  factor: number;
}

/** The RoPE scalings FORMAT.md 1.1 allows; null in ColmConfig means none ("default"). */
export type RopeScaling = RopeScalingLlama3 | RopeScalingLinear;

/** config.json after defaults are applied and every FORMAT.md rule has been checked. */
export interface ColmConfig {
  modelType: string;
  hiddenSize: number; // D
  intermediateSize: number; // H
  numHiddenLayers: number; // L
  vocabSize: number; // V
  numAttentionHeads: number; // h
  numKeyValueHeads: number; // h_kv
  headDim: number;
  chains: number[]; // C = {c1..cn}
  kvSharing: boolean; // CoLM-Air
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
  tieWordEmbeddings: boolean;
  // FORMAT.md 1.1 biases, as the family reads them: llama/qwen3 `attention_bias` sets qkvBias and
  // oBias; qwen2 always has qkvBias and never oBias; `mlp_bias` (llama) sets mlpBias.
  qkvBias: boolean; // q_proj, k_proj, v_proj have `.bias`
  oBias: boolean; // o_proj has `.bias`
  mlpBias: boolean; // gate_proj, up_proj, down_proj have `.bias`
  qkNorm: boolean; // qwen3: self_attn.q_norm / k_norm [head_dim], per-head RMSNorm before RoPE
  // Sliding-window attention: a query at position p sees positions p-W+1..p in the layers where
  // slidingWindowLayers[l] is true (length numHiddenLayers). null (and all false): full attention.
  slidingWindow: number | null;
  slidingWindowLayers: boolean[];
  maxPositionEmbeddings: number | null;
  bosTokenId: number | null;
  eosTokenIds: number[];
  quantization: QuantizationConfig | null; // null: float chain linears
}

/** Widths that follow from a config; index i is chain i (0-based), cum arrays have n+1 entries. */
export interface ChainWidths {
  hidden: number[]; // D_i
  heads: number[]; // h_i query heads
  kvHeads: number[]; // KV heads per chain (plain CoLM); with kv_sharing all h_kv belong to chain 1
  ffn: number[]; // H_i
  cumHidden: number[]; // cumHidden[k] = d_k, cumHidden[0] = 0
  cumHeads: number[];
  cumKvHeads: number[];
  cumFfn: number[];
}

export interface TensorEntry {
  name: string;
  file: number; // index into LoadPlan.files; ignored when `data` is set
  offset: number; // absolute byte offset of the data in that file; ignored when `data` is set
  byteLength: number; // must equal data.byteLength when `data` is set
  dtype: PlanDType;
  shape: number[];
  // The tensor's bytes in memory (a GGUF block type converted at load, say). The addon copies
  // them into memory the Model owns before loading starts, so the array may be dropped after.
  data?: Uint8Array;
  // A GGUF's Q8_0 tensor handed to the engine as its blocks: offset/byteLength are the blocks in
  // the file, and this entry is their .qweight (I8) or .qscale (F16) part, split by the native
  // loader (llama.cpp's q/k row permutation undone over unpermuteHeads heads when nonzero).
  q8Split?: Q8Split;
}

export interface Q8Split {
  part: 'qweight' | 'qscale';
  unpermuteHeads: number;
}

export type Packaging = 'folder' | 'sharded-folder' | 'single-file' | 'gguf';

export interface LoadPlan {
  source: string; // the path the user gave, absolute
  packaging: Packaging;
  config: ColmConfig;
  widths: ChainWidths;
  files: string[]; // absolute paths of the safetensors files
  tensors: TensorEntry[];
  tokenizerJson: unknown; // parsed tokenizer.json (or colm.tokenizer)
  tokenizerConfig: Record<string, unknown> | null;
  generationConfig: Record<string, unknown> | null;
}
