// The shapes of a parsed GGUF file (llama.cpp's single-file format), shared by the reader
// (gguf-file.ts), the weight mapping (gguf-plan.ts) and the tokenizer rebuild (gguf-tokenizer.ts).

/**
 * One metadata value. GGUF's integer types up to 32 bits and both float types become numbers;
 * 64-bit integers become numbers when exactly representable, else bigint. Arrays keep their order.
 */
export type GgufValue = number | bigint | boolean | string | GgufValue[];

/** Metadata key -> value, in file order (e.g. "general.architecture" -> "llama"). */
export type GgufMetadata = Map<string, GgufValue>;

/** ggml tensor types by their numeric id in the file (ggml.h's enum ggml_type). */
export type GgmlTypeName =
  | 'F32' | 'F16' | 'BF16'
  | 'Q4_0' | 'Q4_1' | 'Q5_0' | 'Q5_1' | 'Q8_0'
  | 'Q2_K' | 'Q3_K' | 'Q4_K' | 'Q5_K' | 'Q6_K';

export interface GgufTensorInfo {
  name: string; // GGUF name, e.g. "blk.0.attn_q.weight"
  /** Shape in PyTorch order (rows first): GGUF's ne[] reversed. */
  shape: number[];
  type: GgmlTypeName;
  /** Absolute byte offset of the data in the file (data section start + the tensor's offset). */
  offset: number;
  byteLength: number;
}

export interface GgufFile {
  path: string;
  version: number; // 2 or 3
  metadata: GgufMetadata;
  tensors: GgufTensorInfo[];
  alignment: number; // general.alignment or 32
  dataOffset: number; // start of the tensor data section
  fileSize: number;
}
