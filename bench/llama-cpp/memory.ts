// node dist/bench/llama-cpp/memory.js [dense-130m-16k] [--prompt-tokens 8000] [--threads 2]
// Memory at a long context, ours against llama.cpp (issue 12's "memory at 8k context"): both read
// the same F16 GGUF with a context of prompt + 16 tokens, prefill the prompt and decode 8 tokens,
// each in a process of its own; the number is the process's peak resident set (maxRSS: weights
// mapped and touched, KV cache, scratch, and the Node runtime both carry). The bare runtime's own
// peak is measured too, so the engines' shares can be read apart from it.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { syntheticModel, type ModelShape } from '../synthetic-models.js';
import { ggufFor, SHAPES } from './compare.js';

export interface MemoryRow {
  model: string;
  promptTokens: number;
  oursMiB: number;
  llamaCppMiB: number;
  runtimeMiB: number;
  /** ours / llama.cpp peak resident memory: at most 1.10 meets the target. */
  ratio: number;
}

async function peakOf(script: string, model: string, promptTokens: number, threads: number): Promise<number> {
  const here = dirname(fileURLToPath(import.meta.url));
  const args = [join(here, script), model, '--json', '--threads', `${threads}`, '--prompt-tokens', `${promptTokens}`, '--decode-tokens', '8', '--rounds', '1'];
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 20 });
  return (JSON.parse(stdout.trim().split('\n').at(-1)!) as { peakRssMiB: number }).peakRssMiB;
}

async function runtimePeak(): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', 'console.log(process.resourceUsage().maxRSS / 1024)']);
  return Number(stdout.trim());
}

export async function memoryAtContext(shape: ModelShape, promptTokens: number, threads: number, log: (s: string) => void): Promise<MemoryRow> {
  const gguf = await ggufFor(await syntheticModel(shape, 'F16', log), log);
  const oursMiB = await peakOf('run-ours.js', gguf, promptTokens, threads);
  const llamaCppMiB = await peakOf('run.js', gguf, promptTokens, threads);
  return { model: shape.name, promptTokens, oursMiB, llamaCppMiB, runtimeMiB: await runtimePeak(), ratio: oursMiB / llamaCppMiB };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argv = process.argv.slice(2);
  let name = 'dense-130m-16k';
  let promptTokens = 8000;
  let threads = 2;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--prompt-tokens') promptTokens = Number(argv[++i]);
    else if (argv[i] === '--threads') threads = Number(argv[++i]);
    else name = argv[i]!;
  }
  const shape = SHAPES[name];
  if (!shape) throw new Error(`unknown model ${name}; known: ${Object.keys(SHAPES).join(', ')}`);
  const r = await memoryAtContext(shape, promptTokens, threads, (s) => console.error(s));
  console.log(`${r.model}, ${r.promptTokens}-token prompt + 8 decoded, peak resident memory (MiB):`);
  console.log(`  ours ${r.oursMiB.toFixed(1)}, llama.cpp ${r.llamaCppMiB.toFixed(1)}, ratio ${r.ratio.toFixed(3)} (target <= 1.10); bare Node runtime ${r.runtimeMiB.toFixed(1)}`);
}
