// npm run bench [-- --json] [-- --large] [-- --quick] [-- --only SECTION]: the performance benchmark (never a test).
// Sections: kernels (chain vs dense vs OpenBLAS), gemm (prefill GEMM against OpenBLAS per kernel set), end to end (decode/prefill of dense models),
// elastic (a 4-chain CoLM-Air model at each k, chain-1 prefill, switch cost), the roofline
// (decode GB/s against the triad bandwidth measured in the same run), GGUF (load time against
// safetensors, decode against llama.cpp on the same file, bench/gguf-bench.ts), and training throughput
// (the native trainer against the same model in PyTorch on the CPU, bench/train-throughput.ts).
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';

import { loadModel } from '../app/engine/model.js';
import { loadAddon } from '../app/engine/native.js';
import { setKernelVariant } from '../app/engine/system.js';
import { existsSync } from 'node:fs';

import { ggufBench } from './gguf-bench.js';
import type { MatrixType } from './gguf-writer.js';
import { compareWithLlamaCpp, formatTable } from './llama-cpp/compare.js';
import { measureDecodeLoop, measureKvDecode, measurePrefillPaths, measureRates, measureSwitchCost } from './measure.js';
import { AIR4_500M, DENSE_130M, DENSE_1B, syntheticModel, type ModelShape } from './synthetic-models.js';
import { trainThroughput } from './train-throughput.js';

const args = new Set(process.argv.slice(2));
const json = args.has('--json');
const large = args.has('--large');
const quick = args.has('--quick');
const log = (s: string) => (json ? process.stderr : process.stdout).write(s + '\n');
const report: Record<string, unknown> = {};

function table(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? (Number.isInteger(c) ? String(c) : c.toFixed(2)) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)));
  log(`\n## ${title}`);
  cells.forEach((r, i) => {
    log(r.map((c, j) => String(c).padStart(widths[j]!)).join('  '));
    if (i === 0) log(widths.map((w) => '-'.repeat(w)).join('  '));
  });
}

interface KernelRow {
  rows: number;
  cols: number;
  dtype: string;
  T: number;
  chains?: number[];
  openblas?: boolean;
  ms: number;
  gflops: number;
  gbps: number;
  ratio: number;
  ideal?: number;
}

function kernels(threads: number): { triad: number } {
  const exe = resolve('build/native/colm_bench_kernels');
  // OpenBLAS is compared with its own best kernel: the variables that pin an older core type
  // are removed for this command only.
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const r = spawnSync(exe, ['--threads', String(threads), ...(quick ? ['--quick'] : [])], { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${exe} failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { kernels: string; threads: number; triad_gbps: number; results: KernelRow[] };
  report.kernels = out;
  const rows = out.results.map((k) => [
    `${k.rows}x${k.cols}`,
    k.dtype,
    k.T,
    k.openblas ? 'OpenBLAS' : `{${k.chains!.join(',')}}`,
    k.ms,
    k.gflops,
    k.gbps,
    k.ratio,
    k.ideal ?? '',
  ]);
  table(`Kernels (${out.kernels}, ${threads} threads; T=1 is decode GEMV, T=128 prefill GEMM; ratio = time / dense time)`, ['shape', 'dtype', 'T', 'chains', 'ms', 'GFLOP/s', 'GB/s', 'ratio', 'ideal'], rows);
  log(`triad bandwidth: ${out.triad_gbps.toFixed(1)} GB/s (${threads} threads, arrays larger than the caches)`);
  return { triad: out.triad_gbps };
}

interface GemmRow {
  case: string;
  rows: number;
  cols: number;
  T: number;
  chains: number[];
  threads: number;
  clock: string;
  ours_gflops: number;
  openblas_gflops: number;
}

// Prefill GEMM against OpenBLAS's sgemm, per kernel set this CPU has (F32 4096x4096 weights;
// 128 and 512 input rows; dense and a chain linear of 4 equal chains, which OpenBLAS runs as one
// sgemm per chain over the chain's K-extent). Ours and OpenBLAS alternate inside one loop and
// keep their best times (on 1 thread by the thread's CPU time, which a busy shared machine does
// not inflate; on 2 threads by the wall clock). OpenBLAS runs the kernel that matches the set:
// for avx2 its AVX2 kernel (core type Zen on AMD, Haswell on Intel), what it picks on an
// AVX2-only CPU; for avx512 its own best choice. Target: ours >= 1.0x OpenBLAS.
function gemm(): void {
  const exe = resolve('build/native/colm_bench_kernels');
  const sets = (loadAddon().systemInfo().kernelsAvailable ?? []).filter((k) => k !== 'scalar');
  const amd = /AMD/i.test(cpus()[0]?.model ?? '');
  const rows: (string | number)[][] = [];
  const results = [];
  for (const set of sets) {
    const env = { ...process.env };
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
    if (set === 'avx2') env.OPENBLAS_CORETYPE = amd ? 'Zen' : 'Haswell';
    const r = spawnSync(exe, ['--gemm', '--kernels', set, ...(quick ? ['--quick'] : [])], { encoding: 'utf8', env, maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`${exe} --gemm --kernels ${set} failed: ${r.stderr}`);
    const out = JSON.parse(r.stdout) as { kernels: string; openblas: string; results: GemmRow[] };
    for (const g of out.results) {
      const ratio = g.openblas_gflops > 0 ? g.ours_gflops / g.openblas_gflops : NaN;
      const shape = `${g.rows}x${g.cols} ${g.case === 'dense' ? 'dense' : `chains {${g.chains.join(',')}}`}`;
      rows.push([out.kernels, out.openblas || '-', shape, g.T, g.threads, g.clock, g.ours_gflops, g.openblas_gflops, Number.isNaN(ratio) ? '-' : `${ratio.toFixed(2)}x`, Number.isNaN(ratio) ? '-' : ratio >= 1 ? 'met' : 'not met']);
      results.push({ kernels: out.kernels, openblasCore: out.openblas, ...g, ratio });
    }
  }
  report.gemm = results;
  table('Prefill GEMM against OpenBLAS (F32; GFLOP/s of useful work, best of interleaved runs; target >= 1.0x)', ['kernels', 'OpenBLAS core', 'weights', 'T', 'threads', 'clock', 'ours', 'OpenBLAS', 'ratio', 'target'], rows);
}

async function endToEnd(triad: number): Promise<void> {
  const shapes = large ? [DENSE_130M, DENSE_1B] : [DENSE_130M];
  const rows: (string | number)[][] = [];
  const results = [];
  for (const shape of shapes) {
    for (const dtype of ['BF16', 'F16'] as const) {
      const path = await syntheticModel(shape, dtype, log);
      const model = await loadModel(path);
      const bytes = model.info().mappedBytes;
      for (const threads of [1, 2]) {
        const r = await measureRates(model, { threads, chains: 1, decodeTokens: quick ? 8 : 32, prefillTokens: quick ? 64 : 256 });
        const gbps = (bytes * r.decodeTokensPerSecond) / 1e9;
        rows.push([shape.name, dtype, threads, r.decodeTokensPerSecond, gbps, r.prefillTokensPerSecond]);
        results.push({ model: shape.name, dtype, threads, ...r, decodeGBps: gbps });
      }
      model.dispose();
    }
  }
  // The opt-in BF16 precision mode (activations rounded to BF16 for the AVX512-BF16 dot product)
  // against float32 math on the same BF16 weights, in the same run.
  const optIn = loadAddon().systemInfo().kernelsOptIn ?? [];
  if (optIn.includes('avx512-bf16')) {
    const path = await syntheticModel(DENSE_130M, 'BF16', log);
    const model = await loadModel(path);
    const base = loadAddon().systemInfo().kernels!;
    for (const threads of [1, 2]) {
      const float32 = await measureRates(model, { threads, chains: 1, decodeTokens: quick ? 8 : 32, prefillTokens: 16 });
      setKernelVariant('avx512-bf16');
      const bf16 = await measureRates(model, { threads, chains: 1, decodeTokens: quick ? 8 : 32, prefillTokens: 16 });
      setKernelVariant(base);
      rows.push([`${DENSE_130M.name} bf16-dot`, 'BF16', threads, bf16.decodeTokensPerSecond, (model.info().mappedBytes * bf16.decodeTokensPerSecond) / 1e9, '-']);
      results.push({ model: DENSE_130M.name, dtype: 'BF16', threads, precision: 'avx512-bf16', ...bf16, float32DecodeTokensPerSecond: float32.decodeTokensPerSecond, decodeGBps: 0 });
    }
    model.dispose();
  }
  report.endToEnd = results;
  table('End to end: dense (1-chain) Llama-shaped models', ['model', 'dtype', 'threads', 'decode tok/s', 'decode GB/s', 'prefill tok/s'], rows);
  const best = Math.max(...results.filter((r) => r.threads === 2).map((r) => r.decodeGBps));
  log(`roofline: best 2-thread decode streams ${best.toFixed(1)} GB/s = ${((100 * best) / triad).toFixed(0)}% of the triad bandwidth`);
  report.roofline = { triadGBps: triad, bestDecodeGBps: best, fraction: best / triad };
}

// llama.cpp on the same weights (F16 GGUF written by bench/gguf-writer.ts), through
// node-llama-cpp installed in bench/llama-cpp only: `npm ci --prefix bench/llama-cpp`.
async function llamaCpp(): Promise<void> {
  if (!existsSync(resolve('bench/llama-cpp/node_modules/node-llama-cpp'))) {
    log('\n## llama.cpp: skipped (install it with: npm ci --prefix bench/llama-cpp)');
    return;
  }
  const rows = await compareWithLlamaCpp(
    large ? [DENSE_130M, DENSE_1B] : [DENSE_130M],
    ['F16', 'BF16'],
    [1, 2],
    { promptTokens: 128, decodeTokens: quick ? 16 : 64, rounds: 2 },
    log,
  );
  report.llamaCpp = rows;
  log('\n## Against llama.cpp (same weights; llama.cpp reads them as F16)');
  log(formatTable(rows));
}

// GGUF: load time against safetensors for the same weights, and decode of the GGUF in our engine
// against llama.cpp on the same file (every type kept as stored: F16, Q8_0, Q4_0, Q4_K).
async function gguf(): Promise<void> {
  const withLlamaCpp = existsSync(resolve('bench/llama-cpp/node_modules/node-llama-cpp'));
  // --large adds the ~1B model at 8 and 4 bits (what a laptop user runs; issue 12's table).
  const cases: [ModelShape, MatrixType[]][] = [[DENSE_130M, ['F16', 'Q8_0', 'Q4_0', 'Q4_K']]];
  if (large) cases.push([DENSE_1B, ['Q8_0', 'Q4_0', 'Q4_K']]);
  const reports = [];
  for (const [shape, types] of cases) {
    const r = await ggufBench(
      shape,
      types,
      { threads: [1, 2], decodeTokens: quick ? 16 : shape === DENSE_1B ? 32 : 64, promptTokens: 128, rounds: 3, llamaCpp: withLlamaCpp },
      log,
    );
    reports.push({ model: shape.name, ...r });
    table(
      `GGUF load time against safetensors (${shape.name}; best of 3, pages warm)`,
      ['file', 'file type', 'ran as', 'load ms', 'first load ms'],
      r.load.map((x) => [x.file, x.fileType, x.ranAs, x.loadMs, x.firstLoadMs]),
    );
    table(
      `GGUF decode: ours on the GGUF against llama.cpp on the same file (${shape.name})${withLlamaCpp ? '' : ' (llama.cpp not installed: npm ci --prefix bench/llama-cpp)'}`,
      ['file type', 'threads', 'ours ran as', 'ours tok/s', 'llama.cpp tok/s (file type)', 'ratio', 'load avg'],
      r.decode.map((x) => [x.fileType, x.threads, x.oursRanAs, x.oursDecode, x.llamaCppDecode ?? '-', x.ratio === null ? '-' : `${x.ratio.toFixed(2)}x`, x.loadAverage]),
    );
  }
  report.gguf = reports;
}

interface AttentionRow {
  context: number;
  prefill_chunk_ms: number;
  prefill_gflops: number;
  prefill_of_gemm: number;
  decode_ms: number;
  decode_gflops: number;
  decode_gbps: number;
}

// Attention alone (native/bench/bench_attention.cpp), per kernel set: the last 256-query chunk of
// a 2k and an 8k prompt, and one decode step after them, for air4-500m's chain-1 heads in a BF16
// cache. The prefill rate is read against the same run's dense BF16 GEMM rate, since chain-1
// prefill at long contexts is mostly attention (docs/BENCHMARKS.md, Long-context attention).
function attention(threads: number): void {
  const exe = resolve('build/native/colm_bench_attention');
  const sets = (loadAddon().systemInfo().kernelsAvailable ?? []).filter((k) => k !== 'scalar');
  const rows: (string | number)[][] = [];
  const results = [];
  for (const set of sets) {
    const r = spawnSync(exe, ['--threads', String(threads), '--kernels', set, ...(quick ? ['--quick'] : [])], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`${exe} failed: ${r.stderr}`);
    const out = JSON.parse(r.stdout) as { kernels: string; threads: number; gemm_gflops: number; results: AttentionRow[] };
    results.push(out);
    for (const x of out.results) {
      rows.push([out.kernels, x.context, x.prefill_chunk_ms, x.prefill_gflops, out.gemm_gflops, x.prefill_of_gemm, x.decode_ms, x.decode_gflops, x.decode_gbps]);
    }
  }
  table(
    `Attention alone (air4-500m chain 1: 8 query heads, 4 KV heads, head_dim 64, BF16 cache; ${threads} threads): the last 256 queries of a prompt, one decode step after it`,
    ['kernels', 'context', 'prefill ms', 'GFLOP/s', 'GEMM GFLOP/s', 'of GEMM', 'decode ms', 'decode GFLOP/s', 'decode GB/s'],
    rows,
  );
  report.attention = results;
}

// KV cache types: decode with a long filled context, where attention streams K and V rows of every
// past position (docs/BENCHMARKS.md, KV cache types).
async function kvTypes(): Promise<void> {
  const path = await syntheticModel(DENSE_130M, 'F16', log);
  const model = await loadModel(path);
  const rows: (string | number)[][] = [];
  const results = [];
  for (const filled of quick ? [512] : large ? [2048, 4096] : [2048]) {
    const measured = await measureKvDecode(model, { kvTypes: ['f32', 'bf16', 'f16', 'q8_0'], filled, decodeTokens: quick ? 8 : 16, threads, rounds: quick ? 1 : 3 });
    const f32 = measured[0]!.decodeTokensPerSecond;
    for (const r of measured) {
      results.push({ filled, ...r });
      rows.push([filled, r.kvType, r.kvBytes / 2 ** 20, r.decodeTokensPerSecond, r.decodeTokensPerSecond / f32]);
    }
  }
  table(`KV cache types: ${DENSE_130M.name} (F16 weights), decode after a filled context, ${threads} threads`, ['filled', 'kv type', 'KV MiB', 'tok/s', 'vs f32'], rows);
  report.kvTypes = results;
  model.dispose();
}

async function elastic(): Promise<void> {
  const path = await syntheticModel(AIR4_500M, 'BF16', log);
  const model = await loadModel(path);
  const n = model.chainCount;
  const threads = 2;
  const rows: (string | number)[][] = [];
  const perK = [];
  let full = 0;
  for (let k = n; k >= 1; k--) {
    const r = await measureRates(model, { threads, chains: k, decodeTokens: quick ? 8 : 24, prefillTokens: 16 });
    if (k === n) full = r.decodeTokensPerSecond;
    // Ideal: decode streams the weights sub-model k uses, so speed scales with their bytes.
    const ideal = full * (model.parameterCounts[n - 1]! / model.parameterCounts[k - 1]!);
    perK.push({ chains: k, decodeTokensPerSecond: r.decodeTokensPerSecond, ideal });
    rows.push([k, model.parameterCounts[k - 1]!, r.decodeTokensPerSecond, ideal, r.decodeTokensPerSecond / ideal]);
  }
  table(`Elastic: ${AIR4_500M.name} (CoLM-Air, 4 chains, BF16), decode at each chain count, ${threads} threads`, ['chains', 'parameters', 'tok/s', 'ideal tok/s', 'of ideal'], rows.reverse());

  const prefillRows: (string | number)[][] = [];
  const prefill = [];
  const idealLinear = model.parameterCounts[n - 1]! / model.parameterCounts[0]!;
  for (const tokens of quick ? [128] : large ? [512, 2048, 8192] : [512, 2048]) {
    const p = await measurePrefillPaths(model, tokens, threads);
    prefill.push({ tokens, ...p, speedup: p.fullMs / p.chain1Ms, idealLinear });
    prefillRows.push([tokens, p.fullMs, p.chain1Ms, p.fullMs / p.chain1Ms, idealLinear]);
  }
  table('Prefill: CoLM-Air chain-1 prefill (generation path) against the full model', ['tokens', 'full ms', 'chain-1 ms', 'speed-up', 'ideal (params)'], prefillRows);

  const switches = [];
  const switchRows: (string | number)[][] = [];
  for (const [from, to] of [[4, 1], [1, 4], [2, 3]] as const) {
    const s = await measureSwitchCost(model, threads, from, to);
    switches.push({ from, to, ...s });
    switchRows.push([`${from} -> ${to}`, s.steadyMs, s.afterSwitchMs, s.afterSwitchMs / s.steadyMs - 1]);
  }
  table('Chain switch: next-token latency after a switch against steady state at the new count', ['switch', 'steady ms', 'after switch ms', 'extra'], switchRows);
  report.elastic = { perK, prefill, switches };
  model.dispose();
}

// The native decode loop (one call per reply) against the per-token evaluate() path it replaced,
// on the default model (small: per-token overhead shows) and a dense 130M model, 1 and 2 threads.
async function decodeLoop(): Promise<void> {
  const hasNativeLoop = typeof (loadAddon().Session.prototype as { generate?: unknown }).generate === 'function';
  const models: [string, () => Promise<string>, number][] = [
    ['default (models/, 4.85M, F32, k=4)', async () => resolve('models/colm-default.safetensors'), quick ? 64 : 200],
    [`${DENSE_130M.name} BF16`, () => syntheticModel(DENSE_130M, 'BF16', log), quick ? 8 : 24],
  ];
  const rows: (string | number)[][] = [];
  const results = [];
  for (const [name, path, tokens] of models) {
    const model = await loadModel(await path());
    for (const threads of [1, 2]) {
      const r = await measureDecodeLoop(model, { threads, tokens, rounds: quick ? 2 : 4, hasNativeLoop });
      const sorted = [...r.ratios].sort((a, b) => a - b);
      const median = sorted.length ? sorted[Math.floor(sorted.length / 2)]! : NaN;
      rows.push([name, threads, r.perToken, r.native ?? '-', r.native ? r.native / r.perToken : '-', sorted.length ? `${sorted[0]!.toFixed(2)}..${sorted.at(-1)!.toFixed(2)} (median ${median.toFixed(2)})` : '-']);
      results.push({ model: name, threads, tokens, ...r });
    }
    model.dispose();
  }
  report.decodeLoop = results;
  table('Decode loop: Session.generate tok/s, native loop against one evaluate() per token (best of rounds; per-round ratios)', ['model', 'threads', 'per-token tok/s', 'native tok/s', 'ratio', 'round ratios'], rows);
}

const threads = Math.min(2, cpus().length);
const system = loadAddon().systemInfo();
report.machine = { cpu: cpus()[0]?.model, cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), kernels: system.kernels, available: system.kernelsAvailable };
log(`# CoLM Desktop benchmark\nmachine: ${cpus()[0]?.model}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; kernels ${system.kernels} (available: ${system.kernelsAvailable?.join(', ')})`);
// --only SECTION (kernels, gemm, end-to-end, llama-cpp, gguf, elastic, kv, decode-loop, training) runs one section;
// --only kernels includes gemm.
const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex >= 0 ? process.argv[onlyIndex + 1] : undefined;
const runs = (section: string) => only === undefined || only === section;
let triad = 0;
if (runs('kernels') || runs('end-to-end')) triad = kernels(threads).triad;
if (runs('kernels') || runs('gemm')) gemm();
if (runs('attention')) attention(threads);
if (runs('end-to-end')) await endToEnd(triad);
if (runs('llama-cpp')) await llamaCpp();
if (runs('gguf')) await gguf();
if (runs('elastic')) await elastic();
if (runs('kv')) await kvTypes();
if (runs('decode-loop')) await decodeLoop();
if (runs('training')) report.training = await trainThroughput({ steps: quick ? 2 : 4, ...(quick ? { maskedDense: false } : {}) }, log);
if (json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
