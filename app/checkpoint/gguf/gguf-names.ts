// llama.cpp's tensor names -> FORMAT.md's (Hugging Face) names, and the undoing of the row
// permutation llama.cpp's converter applies to q/k of the `llama` architecture.

/** GGUF names of one layer's tensors (after "blk.N.") -> the part after "model.layers.N.". */
const LAYER_NAMES: Readonly<Record<string, string>> = {
  attn_norm: 'input_layernorm',
  attn_q: 'self_attn.q_proj',
  attn_k: 'self_attn.k_proj',
  attn_v: 'self_attn.v_proj',
  attn_output: 'self_attn.o_proj',
  attn_q_norm: 'self_attn.q_norm',
  attn_k_norm: 'self_attn.k_norm',
  ffn_norm: 'post_attention_layernorm',
  ffn_gate: 'mlp.gate_proj',
  ffn_up: 'mlp.up_proj',
  ffn_down: 'mlp.down_proj',
};

const GLOBAL_NAMES: Readonly<Record<string, string>> = {
  'token_embd.weight': 'model.embed_tokens.weight',
  'output_norm.weight': 'model.norm.weight',
  'output.weight': 'lm_head.weight',
};

/** The chain linears of FORMAT.md: the ones stored as q8_0 (or BF16) when the GGUF has a block type. */
const LINEARS = new Set(['attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_gate', 'ffn_up', 'ffn_down']);

export interface MappedName {
  name: string; // FORMAT.md name, e.g. model.layers.0.self_attn.q_proj.weight
  /** GGUF name with the layer replaced by "*", to group tensors in what we tell the user. */
  group: string;
  chainLinear: boolean; // a chain linear's .weight
  /** q or k of a permuted architecture: which head count its rows are grouped by. */
  permutedBy: 'q' | 'k' | null;
}

const LAYER_TENSOR = /^blk\.(0|[1-9]\d{0,5})\.([a-z_]+)\.(weight|bias)$/;

/** null for a name that is no part of these architectures. */
export function mapTensorName(ggufName: string, permuted: boolean): MappedName | null {
  const global = GLOBAL_NAMES[ggufName];
  if (global !== undefined) return { name: global, group: ggufName, chainLinear: false, permutedBy: null };
  const match = LAYER_TENSOR.exec(ggufName);
  if (!match) return null;
  const [, layer, part, kind] = match as unknown as [string, string, string, 'weight' | 'bias'];
  const hf = LAYER_NAMES[part];
  if (hf === undefined) return null;
  const permutedBy = permuted && (part === 'attn_q' || part === 'attn_k') ? (part === 'attn_q' ? 'q' : 'k') : null;
  return {
    name: `model.layers.${layer}.${hf}.${kind}`,
    group: `blk.*.${part}.${kind}`,
    chainLinear: kind === 'weight' && LINEARS.has(part),
    permutedBy,
  };
}

/**
 * llama.cpp stores q/k of `llama` with each head's rows reordered so that RoPE pairs are adjacent:
 * stored row 2p+s of a head is Hugging Face row s*(headDim/2)+p (convert_hf_to_gguf.py, permute).
 * This puts them back. `rowBytes` is the size of one row in `bytes` (an element for a bias).
 */
export function unpermuteRows(bytes: Uint8Array, rows: number, rowBytes: number, heads: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  const headRows = rows / heads;
  const half = headRows / 2;
  for (let h = 0; h < heads; h++) {
    for (let s = 0; s < 2; s++) {
      for (let p = 0; p < half; p++) {
        const from = (h * headRows + 2 * p + s) * rowBytes;
        const to = (h * headRows + s * half + p) * rowBytes;
        out.set(bytes.subarray(from, from + rowBytes), to);
      }
    }
  }
  return out;
}
