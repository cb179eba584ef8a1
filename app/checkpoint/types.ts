// The shapes shared by the checkpoint reader (app/checkpoint) and the engine face (app/engine).
// A LoadPlan is everything the native engine needs to map a checkpoint: a validated config and,
// for every tensor, which file holds it, where, in which dtype and with which shape.

/** The float dtypes weights are read in (FORMAT.md). */
export type DType = 'F32' | 'F16' | 'BF16';
/** What a stored tensor may hold: a float dtype, or I8 for the `.qweight` of a q8_0 chain linear. */
export type TensorDType = DType | 'I8';

/** `colm_quantization` (docs/FORMAT-Q8.md): chain linears as int8 blocks of 32 columns with one scale each. */
export interface QuantizationConfig {
  format: 'q8_0';
  blockSize: 32;
}

/** Hugging Face `rope_scaling` with `rope_type: "llama3"` (the only scaling FORMAT.md allows). */
export interface RopeScalingLlama3 {
  ropeType: 'llama3';
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositionEmbeddings: number;
}

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
  ropeScaling: RopeScalingLlama3 | null;
  tieWordEmbeddings: boolean;
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
  file: number; // index into LoadPlan.files
  offset: number; // absolute byte offset of the data in that file
  byteLength: number;
  dtype: TensorDType;
  shape: number[];
}

export type Packaging = 'folder' | 'sharded-folder' | 'single-file';

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
