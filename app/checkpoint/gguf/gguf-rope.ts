// Llama 3's RoPE scaling in a GGUF: llama.cpp's converter does not write the rope_scaling parameters
// but a tensor `rope_freqs.weight` [head_dim/2] of per-frequency divisors computed from them
// (convert_hf_to_gguf.py, LlamaModel.generate_extra_tensors). FORMAT.md's config needs the parameters,
// so they are recovered: factor is the largest divisor, and low/high frequency factors and the
// original context are the values every Llama 3.x uses (1, 4, 8192, or the file's
// rope.scaling.original_context_length), accepted only if they give back every stored divisor.

import { open } from 'node:fs/promises';
import { CheckpointError } from '../errors.js';
import { dequantize } from './gguf-dequantize.js';
import type { GgufFile, GgufTensorInfo } from './gguf-types.js';

export const ROPE_FREQS = 'rope_freqs.weight';

/** The divisors convert_hf_to_gguf.py writes for these llama3 parameters (float64, then stored as F32). */
export function llama3RopeDivisors(theta: number, headDim: number, factor: number, low: number, high: number, original: number): number[] {
  const out: number[] = [];
  const lowWavelen = original / low;
  const highWavelen = original / high;
  for (let i = 0; i < headDim; i += 2) {
    const freq = Math.fround(1 / Math.fround(theta ** Math.fround(i / headDim)));
    const wavelen = (2 * Math.PI) / freq;
    if (wavelen < highWavelen) out.push(1);
    else if (wavelen > lowWavelen) out.push(factor);
    else {
      const smooth = (original / wavelen - low) / (high - low);
      out.push(1 / ((1 - smooth) / factor + smooth));
    }
  }
  return out;
}

export async function ropeScalingFromFreqs(gguf: GgufFile, info: GgufTensorInfo, config: Record<string, unknown>): Promise<Record<string, unknown> | null> {
  const fail = (rule: string): never => {
    throw new CheckpointError(gguf.path, rule, { tensor: info.name });
  };
  const headDim = typeof config['head_dim'] === 'number' ? config['head_dim'] : Number(config['hidden_size']) / Number(config['num_attention_heads']);
  if (info.shape.length !== 1 || info.shape[0] !== headDim / 2) fail(`shape [${info.shape.join(', ')}] but the head size ${headDim} implies [${headDim / 2}]`);
  if (info.type !== 'F32' && info.type !== 'F16' && info.type !== 'BF16') fail(`type ${info.type} (per-frequency RoPE divisors are F32)`);
  const bytes = new Uint8Array(info.byteLength);
  const handle = await open(gguf.path, 'r');
  try {
    await handle.read(bytes, 0, bytes.length, info.offset);
  } finally {
    await handle.close();
  }
  const stored = Array.from(dequantize(info.type, bytes, headDim / 2));
  if (stored.every((x) => x === 1)) return null;
  const factor = Math.max(...stored);
  const theta = typeof config['rope_theta'] === 'number' ? config['rope_theta'] : 10000;
  const original = gguf.metadata.get(`${String(config['model_type'])}.rope.scaling.original_context_length`);
  const originals = typeof original === 'number' ? [original] : [8192];
  for (const originalContext of originals) {
    const expected = llama3RopeDivisors(theta, headDim, factor, 1, 4, originalContext);
    const matches = expected.every((x, i) => Math.abs(x - stored[i]!) <= 1e-5 * Math.abs(x));
    if (matches) {
      return { rope_type: 'llama3', factor, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: originalContext };
    }
  }
  return fail('holds per-frequency RoPE divisors that are not Llama 3 scaling with low/high frequency factors 1 and 4, which is not supported');
}
