// Tiny q8_0 checkpoints (docs/FORMAT-Q8.md) built from tiny-checkpoints' float shapes: every chain
// linear matrix X.weight / X.chains.{i}.weight becomes X.qweight (I8, same shape) and X.qscale
// (one scale per 32 columns). The integers and scales are arbitrary: the reader checks names,
// dtypes and shapes, not values. Which tensors are chain linears is decided here from the names,
// not with the reader's code.

import type { TensorToWrite } from '../../../app/checkpoint/safetensors-writer.js';
import { modelShapes, tensorOf, type RawConfig, type ShapeOptions } from './tiny-checkpoints.js';

export const Q8_CONFIG_KEY = { colm_quantization: { format: 'q8_0', block_size: 32 } };

const CHAIN_LINEAR = /\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)(\.chains\.\d+)?\.weight$/;

export function isChainLinearWeight(config: RawConfig, name: string): boolean {
  if (!CHAIN_LINEAR.test(name)) return false;
  // CoLM-Air's K and V are dense and stay float.
  return !(config['kv_sharing'] === true && /\.(k_proj|v_proj)\.weight$/.test(name));
}

export function int8Tensor(name: string, shape: number[]): TensorToWrite {
  const count = shape.reduce((a, b) => a * b, 1);
  const values = new Int8Array(count);
  for (let i = 0; i < count; i++) values[i] = ((i * 37) % 255) - 127;
  return { name, dtype: 'I8', shape, data: new Uint8Array(values.buffer) };
}

/** Every tensor of a q8_0 checkpoint for this (float) config, with F16 or F32 scales. */
export function quantizedModelTensors(config: RawConfig, options: ShapeOptions & { scaleDtype?: 'F16' | 'F32' } = {}): TensorToWrite[] {
  const out: TensorToWrite[] = [];
  for (const { name, shape } of modelShapes(config, options)) {
    if (!isChainLinearWeight(config, name)) {
      out.push(tensorOf(name, shape));
      continue;
    }
    const base = name.slice(0, -'.weight'.length);
    const [rows = 0, cols = 0] = shape;
    out.push(int8Tensor(`${base}.qweight`, [rows, cols]));
    out.push(tensorOf(`${base}.qscale`, [rows, Math.ceil(cols / 32)], options.scaleDtype ?? 'F16'));
  }
  return out;
}

export function quantizedConfig(config: RawConfig): RawConfig {
  return { ...config, ...Q8_CONFIG_KEY };
}
