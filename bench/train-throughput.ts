// Training throughput (tokens/s) of the default model's config: the native trainer with each
// kernel set this CPU runs (--kernels NAME chooses the trainer's instruction set too: avx512,
// avx2, and the scalar reference when asked for), and the same model and step in PyTorch on the
// CPU (reference/torch_train_bench.py, Debian python3-torch), in the same run and with the same
// thread counts. A benchmark, never a test.
//
//   node dist/bench/train-throughput.js [--json] [--quick] [--steps N] [--threads 1,2] [--kernels avx512,avx2,scalar]
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { resolve } from 'node:path';

import { parseConfig } from '../app/checkpoint/config.js';
import { loadAddon } from '../app/engine/native.js';

/** The default model's shape (issue 4): CoLM-Air, 4 chains, about 5.8M parameters, vocabulary 8192. */
export const DEFAULT_TRAIN_CONFIG = {
  model_type: 'colm',
  hidden_size: 256,
  intermediate_size: 640,
  num_hidden_layers: 4,
  vocab_size: 8192,
  num_attention_heads: 8,
  num_key_value_heads: 2,
  head_dim: 32,
  chains: [1, 1, 1, 1],
  kv_sharing: true,
  tie_word_embeddings: false,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
};

export interface TrainThroughputRow {
  engine: string;
  /** The native trainer's kernel set (engine "native"). */
  kernels?: string;
  threads: number;
  tokensPerSecond: number;
  stepMs: number;
  parameters: number;
}

export interface TrainThroughputOptions {
  config?: Record<string, unknown>;
  batch?: number;
  seqLen?: number;
  steps?: number;
  threads?: number[];
  loss?: 'multi' | 'full';
  python?: string;
  /** Also time PyTorch with dense weights masked to the chain structure. */
  maskedDense?: boolean;
  /** The native trainer's kernel sets to time; default: every one this CPU runs but the scalar reference. */
  kernels?: string[];
}

/** Timed steps after one untimed step; the best of `rounds` averages is kept (other load on the machine only slows runs down). */
async function measureNative(o: Required<TrainThroughputOptions>, threads: number, rounds: number, kernels: string): Promise<TrainThroughputRow> {
  const addon = loadAddon();
  const { Trainer } = addon;
  const before = addon.systemInfo().kernels;
  addon.setKernels(kernels); // the engine's variant, and with it the trainer's instruction set
  const config = parseConfig(o.config, 'train-throughput config');
  const trainer = new Trainer({ config, seed: 1, threads, loss: o.loss, lr: 1e-3, minLr: 1e-4, warmupSteps: 10, totalSteps: 1000 });
  const tokens = new Int32Array(o.batch * (o.seqLen + 1));
  let s = 12345;
  for (let i = 0; i < tokens.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    tokens[i] = s % config.vocabSize;
  }
  await trainer.step(tokens, o.batch, o.seqLen);
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < o.steps; i++) await trainer.step(tokens, o.batch, o.seqLen);
    best = Math.min(best, (performance.now() - t0) / o.steps);
  }
  const row = { engine: 'native', kernels, threads, tokensPerSecond: (o.batch * o.seqLen * 1000) / best, stepMs: best, parameters: trainer.parameterCount };
  trainer.dispose();
  if (before) addon.setKernels(before);
  return row;
}

function measureTorch(o: Required<TrainThroughputOptions>, threads: number, maskedDense: boolean): TrainThroughputRow | { engine: string; threads: number; error: string } {
  const engine = maskedDense ? 'pytorch (masked dense)' : 'pytorch';
  const args = [resolve('reference/torch_train_bench.py'), '--config', JSON.stringify(o.config), '--batch', String(o.batch), '--seq', String(o.seqLen),
    '--steps', String(Math.max(1, Math.min(o.steps, 3))), '--threads', String(threads), '--loss', o.loss, ...(maskedDense ? ['--masked-dense'] : [])];
  const r = spawnSync(o.python, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) return { engine, threads, error: (r.stderr || r.error?.message || 'failed').trim().split('\n').pop() ?? 'failed' };
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { tokensPerSecond: number; stepMs: number; parameters: number };
  return { engine, threads, tokensPerSecond: out.tokensPerSecond, stepMs: out.stepMs, parameters: out.parameters };
}

export async function trainThroughput(options: TrainThroughputOptions = {}, log: (s: string) => void = console.log) {
  const o: Required<TrainThroughputOptions> = {
    config: DEFAULT_TRAIN_CONFIG,
    batch: 8,
    seqLen: 256,
    steps: 4,
    threads: [1, Math.min(2, cpus().length)].filter((t, i, a) => a.indexOf(t) === i),
    loss: 'multi',
    python: process.env.COLM_PYTHON ?? '/usr/bin/python3',
    maskedDense: true,
    kernels: (loadAddon().systemInfo().kernelsAvailable ?? []).filter((k) => k !== 'scalar'),
    ...options,
  };
  const rows: (TrainThroughputRow | { engine: string; threads: number; error: string })[] = [];
  for (const threads of o.threads) {
    for (const kernels of o.kernels) rows.push(await measureNative(o, threads, 2, kernels));
    rows.push(measureTorch(o, threads, false));
    if (o.maskedDense) rows.push(measureTorch(o, threads, true));
  }
  log(`\n## Training throughput: ${JSON.stringify(o.config.chains)} chains${o.config.kv_sharing ? ' (CoLM-Air)' : ''}, D=${o.config.hidden_size}, ` +
    `L=${o.config.num_hidden_layers}, H=${o.config.intermediate_size}, V=${o.config.vocab_size}; batch ${o.batch} x ${o.seqLen} tokens, ${o.loss} loss, float32, AdamW`);
  log(['engine'.padEnd(24), 'threads', 'tokens/s'.padStart(10), 'ms/step'.padStart(10), 'parameters'.padStart(11)].join('  '));
  for (const r of rows) {
    const name = 'kernels' in r && r.kernels ? `${r.engine} (${r.kernels})` : r.engine;
    if ('error' in r) log(`${name.padEnd(24)}  ${String(r.threads).padStart(7)}  unavailable: ${r.error}`);
    else log(`${name.padEnd(24)}  ${String(r.threads).padStart(7)}  ${r.tokensPerSecond.toFixed(0).padStart(10)}  ${r.stepMs.toFixed(0).padStart(10)}  ${String(r.parameters).padStart(11)}`);
  }
  return { config: o.config, batch: o.batch, seqLen: o.seqLen, loss: o.loss, rows };
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]).replace(/\.ts$/, '.js').endsWith('train-throughput.js');
if (invokedDirectly) {
  const argv = process.argv.slice(2);
  const flag = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const json = argv.includes('--json');
  const quick = argv.includes('--quick');
  const threads = flag('--threads')?.split(',').map(Number);
  const steps = flag('--steps');
  const kernels = flag('--kernels')?.split(',');
  const result = await trainThroughput(
    { ...(threads ? { threads } : {}), ...(kernels ? { kernels } : {}), steps: steps ? Number(steps) : quick ? 2 : 4, ...(quick ? { maskedDense: false } : {}) },
    json ? (s) => process.stderr.write(s + '\n') : console.log,
  );
  if (json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}
