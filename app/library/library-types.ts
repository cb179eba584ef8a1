// One model of the library as the UI shows it, without loading it again. Plain data, shared with
// the renderer through type-only imports.
export type FileKind = 'folder' | 'safetensors' | 'gguf';

export interface LibraryEntry {
  id: string; // stable per path: usable in a URL
  path: string;
  name: string;
  bytes: number; // the checkpoint's mapped size
  modelType: string; // the family: config.json's model_type (llama, qwen2, colm, ...)
  /** F32, F16, BF16, Q8_0; a GGUF file's dominant type (Q4_K, ...). Absent in entries saved before it was kept. */
  weightType?: string;
  /** The model's own context window (max_position_embeddings); null when its config has none. */
  contextLength?: number | null;
  /** What the user added: a checkpoint folder, one .safetensors file, or one .gguf file. */
  fileKind?: FileKind;
  kvSharing: boolean; // CoLM-Air
  chainRatios: number[];
  chainCount: number;
  parameters: number[]; // [k-1]: parameters of the sub-model with k chains
  lastLoadedAt: number; // ms since the epoch
}
