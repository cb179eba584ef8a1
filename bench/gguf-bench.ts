// GGUF files in the benchmark: how long a GGUF takes to load against the safetensors checkpoint of
// the same weights, and how fast a GGUF decodes in our engine against llama.cpp on the very same
// file, with the weight type each engine actually ran (ours keeps F16 and Q8_0 and re-quantizes
// other block types to Q8_0 at load; llama.cpp runs the file's type as stored).
import { existsSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';

import { loadModel } from '../app/engine/model.js';
import { writeLlamaGguf, type MatrixType } from './gguf-writer.js';
import { llamaCppInChild } from './llama-cpp/compare.js';
import { measureOurs } from './llama-cpp/measure-ours.js';
import { cacheDir, syntheticModel, type ModelShape } from './synthetic-models.js';

export interface GgufLoadRow {
  file: string;
  kind: 'safetensors' | 'gguf';
  fileType: string; // the matrices' type in the file
  ranAs: string; // the weight dtypes our engine holds after loading
  loadMs: number; // best of `rounds` loads (file pages warm after the first)
  firstLoadMs: number;
}

export interface GgufDecodeRow {
  fileType: MatrixType;
  threads: number;
  oursRanAs: string;
  oursDecode: number; // tokens/s
  llamaCppDecode: number | null;
  ratio: number | null; // ours / llama.cpp
  loadAverage: number;
}

async function ggufOf(checkpoint: string, type: MatrixType, log: (s: string) => void): Promise<string> {
  const path = join(cacheDir, `${checkpoint.split('/').at(-1)!.replace(/\.safetensors$/, '')}.${type.toLowerCase()}.gguf`);
  if (existsSync(path) && statSync(path).mtimeMs >= statSync(checkpoint).mtimeMs) return path;
  log(`writing ${path} (once)`);
  await writeLlamaGguf(checkpoint, path, type);
  return path;
}

/** The dtypes a loaded model holds, e.g. "F16" or "F16+I8 (q8_0)". */
function describeDtypes(dtypes: readonly string[]): string {
  const names = [...dtypes].sort();
  return names.includes('I8') ? `${names.filter((d) => d !== 'I8').join('+')} + Q8_0 matrices` : names.join('+');
}

async function timeLoads(path: string, rounds: number): Promise<{ best: number; first: number; ranAs: string }> {
  let best = Infinity;
  let first = 0;
  let ranAs = '';
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    const model = await loadModel(path);
    const ms = performance.now() - start;
    ranAs = describeDtypes(model.dtypes);
    model.dispose();
    if (i === 0) first = ms;
    best = Math.min(best, ms);
  }
  return { best, first, ranAs };
}

export async function ggufBench(
  shape: ModelShape,
  types: MatrixType[],
  opts: { threads: number[]; decodeTokens: number; promptTokens: number; rounds: number; llamaCpp: boolean },
  log: (s: string) => void,
): Promise<{ load: GgufLoadRow[]; decode: GgufDecodeRow[] }> {
  const checkpoint = await syntheticModel(shape, 'F16', log);
  const load: GgufLoadRow[] = [];
  const base = await timeLoads(checkpoint, opts.rounds);
  load.push({ file: `${shape.name} safetensors`, kind: 'safetensors', fileType: 'F16', ranAs: base.ranAs, loadMs: base.best, firstLoadMs: base.first });
  const decode: GgufDecodeRow[] = [];
  for (const type of types) {
    const gguf = await ggufOf(checkpoint, type, log);
    const t = await timeLoads(gguf, opts.rounds);
    load.push({ file: `${shape.name} gguf`, kind: 'gguf', fileType: type, ranAs: t.ranAs, loadMs: t.best, firstLoadMs: t.first });
    for (const threads of opts.threads) {
      const speed = { threads, promptTokens: opts.promptTokens, decodeTokens: opts.decodeTokens, rounds: 2 };
      const ours = await measureOurs(gguf, speed);
      const theirs = opts.llamaCpp ? await llamaCppInChild(gguf, speed) : null;
      decode.push({
        fileType: type,
        threads,
        oursRanAs: t.ranAs,
        oursDecode: ours.decodeTokensPerSecond,
        llamaCppDecode: theirs?.decodeTokensPerSecond ?? null,
        ratio: theirs ? ours.decodeTokensPerSecond / theirs.decodeTokensPerSecond : null,
        loadAverage: loadavg()[0]!,
      });
    }
  }
  return { load, decode };
}
