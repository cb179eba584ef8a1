// node dist/bench/llama-cpp/compare.js [dense-130m|dense-1b ...] [--dtype F16] [--dtype BF16]
//   [--threads 1 --threads 2] [--prompt-tokens 128] [--decode-tokens 64] [--rounds 2] [--passes 1] [--json]
// Our engine against llama.cpp on the same weights, side by side: for each synthetic model and
// dtype, the checkpoint is converted once to an F16 GGUF (BF16 weights become F16 for llama.cpp,
// which has no BF16 matrix path on every CPU), then both engines are timed by the same protocol at
// each thread count. llama.cpp runs in a child process (run.js) after our model is released, so
// the two never compete for the cores.
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import type { DType } from '../../app/checkpoint/types.js';
import { writeLlamaGguf } from '../gguf-writer.js';
import { DENSE_130M, DENSE_130M_16K, DENSE_1B, syntheticModel, type ModelShape } from '../synthetic-models.js';
import { parseBenchArgs } from './args.js';
import type { LlamaCppSpeed } from './measure-llama-cpp.js';
import { measureOurs } from './measure-ours.js';
import type { SpeedOptions, SpeedResult } from './protocol.js';

/** The synthetic models these scripts take by name. */
export const SHAPES: Record<string, ModelShape> = { 'dense-130m': DENSE_130M, 'dense-130m-16k': DENSE_130M_16K, 'dense-1b': DENSE_1B };

export interface CompareRow {
  model: string;
  dtype: DType;
  threads: number;
  ours: { prefillTokensPerSecond: number; decodeTokensPerSecond: number; kernels: string };
  llamaCpp: LlamaCppSpeed;
  /** ours / llama.cpp: above 1 means we are faster. */
  prefillRatio: number;
  decodeRatio: number;
  /** The 1-minute load average after the pair ran: above the core count, other work shared the cores. */
  loadAverage: number;
}

/** The GGUF beside the cached checkpoint, rewritten when the checkpoint is newer. */
export async function ggufFor(checkpoint: string, log: (s: string) => void): Promise<string> {
  const gguf = checkpoint.replace(/\.safetensors$/, '.f16.gguf');
  if (existsSync(gguf) && statSync(gguf).mtimeMs >= statSync(checkpoint).mtimeMs) return gguf;
  log(`writing ${gguf} (once)`);
  await writeLlamaGguf(checkpoint, gguf);
  return gguf;
}

export async function llamaCppInChild(gguf: string, opts: SpeedOptions): Promise<LlamaCppSpeed> {
  const run = join(dirname(fileURLToPath(import.meta.url)), 'run.js');
  const args = [run, gguf, '--json', '--threads', `${opts.threads}`, '--prompt-tokens', `${opts.promptTokens}`];
  args.push('--decode-tokens', `${opts.decodeTokens}`, '--rounds', `${opts.rounds}`);
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as LlamaCppSpeed;
}

/** Each rate at its best of two measurements. */
function faster<T extends SpeedResult>(a: T, b: T): T {
  return {
    ...a,
    prefillTokensPerSecond: Math.max(a.prefillTokensPerSecond, b.prefillTokensPerSecond),
    decodeTokensPerSecond: Math.max(a.decodeTokensPerSecond, b.decodeTokensPerSecond),
  };
}

export async function compareWithLlamaCpp(
  models: ModelShape[],
  dtypes: DType[],
  threadCounts: number[],
  opts: Omit<SpeedOptions, 'threads'>,
  log: (s: string) => void,
  passes = 1,
): Promise<CompareRow[]> {
  const rows: CompareRow[] = [];
  for (const shape of models) {
    for (const dtype of dtypes) {
      const checkpoint = await syntheticModel(shape, dtype, log);
      const gguf = await ggufFor(checkpoint, log);
      for (const threads of threadCounts) {
        const o = { ...opts, threads };
        // On shared cores one engine can be unlucky for a whole measurement: alternate the two
        // `passes` times and keep each engine's best rates.
        let ours = await measureOurs(checkpoint, o);
        let llamaCpp = await llamaCppInChild(gguf, o);
        for (let pass = 1; pass < passes; pass++) {
          ours = faster(ours, await measureOurs(checkpoint, o));
          llamaCpp = faster(llamaCpp, await llamaCppInChild(gguf, o));
        }
        rows.push({
          model: shape.name,
          dtype,
          threads,
          ours: { prefillTokensPerSecond: ours.prefillTokensPerSecond, decodeTokensPerSecond: ours.decodeTokensPerSecond, kernels: ours.kernels },
          llamaCpp,
          prefillRatio: ours.prefillTokensPerSecond / llamaCpp.prefillTokensPerSecond,
          decodeRatio: ours.decodeTokensPerSecond / llamaCpp.decodeTokensPerSecond,
          loadAverage: loadavg()[0]!,
        });
        log(`${shape.name} ${dtype} ${threads}t done`);
      }
    }
  }
  return rows;
}

export function formatTable(rows: CompareRow[]): string {
  const head = ['model', 'weights (ours / llama.cpp)', 'threads', 'prefill ours', 'prefill llama.cpp', 'ratio', 'decode ours', 'decode llama.cpp', 'ratio', 'load avg'];
  const body = rows.map((r) => [
    r.model,
    `${r.dtype} / F16`,
    `${r.threads}`,
    r.ours.prefillTokensPerSecond.toFixed(1),
    r.llamaCpp.prefillTokensPerSecond.toFixed(1),
    `${r.prefillRatio.toFixed(2)}x`,
    r.ours.decodeTokensPerSecond.toFixed(1),
    r.llamaCpp.decodeTokensPerSecond.toFixed(1),
    `${r.decodeRatio.toFixed(2)}x`,
    r.loadAverage.toFixed(1),
  ]);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...body.map(line)].join('\n');
}

// Run as a script (not when imported by the bench's main).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argv = process.argv.slice(2);
  const dtypes: DType[] = [];
  const rest: string[] = [];
  let passes = 1;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--dtype') dtypes.push(argv[++i] as DType);
    else if (argv[i] === '--passes') passes = Number(argv[++i]);
    else rest.push(argv[i]!);
  }
  const args = parseBenchArgs(rest);
  const names = args.positional.length > 0 ? args.positional : ['dense-130m'];
  const models = names.map((n) => {
    const s = SHAPES[n];
    if (!s) throw new Error(`unknown model ${n}; known: ${Object.keys(SHAPES).join(', ')}`);
    return s;
  });
  const threadCounts = args.threadList.length > 0 ? args.threadList : [1, 2];
  const rows = await compareWithLlamaCpp(models, dtypes.length > 0 ? dtypes : ['F16', 'BF16'], threadCounts, args, (s) => console.error(s), passes);
  if (args.json) console.log(JSON.stringify(rows, null, 2));
  else {
    console.log(formatTable(rows));
    console.log(`\nllama.cpp: ${rows[0]?.llamaCpp.llamaCppVersion}; ours: ${rows[0]?.ours.kernels}`);
    console.log(`prompt ${args.promptTokens} tokens, decode ${args.decodeTokens} tokens, best of ${args.rounds} rounds after a warm-up, ${passes} alternating pass(es)`);
  }
}
