// The synthetic models the benchmarks run: Llama-shaped, random weights, written once into a
// cache folder (bench/.cache, ignored by git) and reused by later runs.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { writeSyntheticCheckpoint } from '../app/checkpoint/synthetic-checkpoint.js';
import type { DType } from '../app/checkpoint/types.js';

export interface ModelShape {
  name: string;
  hiddenSize: number;
  intermediateSize: number;
  layers: number;
  heads: number;
  kvHeads: number;
  chains: number[];
  kvSharing: boolean;
  /** max_position_embeddings; default 4096. */
  maxPositionEmbeddings?: number;
}

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

const root = findRoot();
export const cacheDir = resolve(root, 'bench/.cache');

// A real vocabulary size matters for the LM head's share of decode time; the tokenizer only
// needs to fit inside it.
export const BENCH_VOCAB = 32000;

/** About 130M parameters, shaped like a small Llama (D=768, 12 layers). */
export const DENSE_130M: ModelShape = { name: 'dense-130m', hiddenSize: 768, intermediateSize: 2048, layers: 12, heads: 12, kvHeads: 4, chains: [1], kvSharing: false };
/** About 1.1B parameters (TinyLlama's shape). */
export const DENSE_1B: ModelShape = { name: 'dense-1b', hiddenSize: 2048, intermediateSize: 5632, layers: 22, heads: 32, kvHeads: 4, chains: [1], kvSharing: false };
/** A 4-chain CoLM-Air model of about 500M stored parameters. */
/** DENSE_130M allowing 16k positions: decode and prefill at a filled 8k context. */
export const DENSE_130M_16K: ModelShape = { ...DENSE_130M, name: 'dense-130m-16k', maxPositionEmbeddings: 16384 };
export const AIR4_500M: ModelShape = { name: 'air4-500m', hiddenSize: 2048, intermediateSize: 5632, layers: 14, heads: 32, kvHeads: 4, chains: [1, 1, 1, 1], kvSharing: true };

export function parameterCount(s: ModelShape): number {
  const n = s.chains.length;
  const S = s.chains.reduce((a, b) => a + b, 0);
  let cum = 0;
  let fraction = 0;
  for (const c of s.chains) {
    cum += c;
    fraction += (c * cum) / (S * S);
  }
  const hd = s.hiddenSize / s.heads;
  const D = s.hiddenSize;
  const kv = s.kvSharing ? 2 * s.kvHeads * hd * ((D * s.chains[0]!) / S) : 2 * D * s.kvHeads * hd * (n === 1 ? 1 : fraction);
  const perLayer = (2 * D * D + 3 * D * s.intermediateSize) * (n === 1 ? 1 : fraction) + kv + 2 * D;
  return Math.round(s.layers * perLayer + 2 * BENCH_VOCAB * D + D);
}

export async function syntheticModel(shape: ModelShape, dtype: DType, log: (s: string) => void): Promise<string> {
  mkdirSync(cacheDir, { recursive: true });
  const path = join(cacheDir, `${shape.name}-${dtype}.safetensors`);
  if (existsSync(path)) return path;
  log(`writing ${path} (${(parameterCount(shape) / 1e6).toFixed(0)}M parameters, once)`);
  await writeSyntheticCheckpoint(path, {
    ...shape,
    dtype,
    vocabSize: BENCH_VOCAB,
    tokenizerJson: readFileSync(resolve(root, 'test/fixtures/models/llama_gqa/tokenizer.json'), 'utf8'),
  });
  return path;
}
