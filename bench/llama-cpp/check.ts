// node dist/bench/llama-cpp/check.js
// Checks that the GGUF writer hands llama.cpp the same model our engine runs: on small random
// models (F16 weights, and BF16 weights converted to F16) the next-token distributions at every
// prompt position and a greedy continuation must agree. A script, not a test: node-llama-cpp is
// only installed where someone ran `npm i --prefix bench/llama-cpp`. Exits 1 on a mismatch.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { writeSyntheticCheckpoint } from '../../app/checkpoint/synthetic-checkpoint.js';
import type { DType } from '../../app/checkpoint/types.js';
import { loadModel } from '../../app/engine/model.js';
import { writeLlamaGguf } from '../gguf-writer.js';
import { benchDir, getCpuLlama } from './node-llama-cpp.js';
import { argmax } from './protocol.js';

const PROMPT = [296, 17, 104, 250, 33, 71, 5, 189, 240, 12, 99, 161, 208, 44, 130, 77];
const GREEDY_TOKENS = 16;
// llama.cpp rounds activations to F16 before its F16 dot products while we keep float32, so the
// log-probabilities differ by rounding; a wrong layout (say, un-permuted Q/K) differs by whole units.
const MAX_LOGPROB_DIFF = 0.05;

function logSoftmax(logits: Float32Array): Float64Array {
  let max = -Infinity;
  for (const x of logits) max = Math.max(max, x);
  let sum = 0;
  for (const x of logits) sum += Math.exp(x - max);
  const lse = max + Math.log(sum);
  return Float64Array.from(logits, (x) => x - lse);
}

interface Side {
  /** log-probabilities of the next token after each prompt position */
  logprobs: Float64Array[];
  greedy: number[];
}

async function ours(path: string, vocab: number): Promise<Side> {
  const model = await loadModel(path);
  const session = model.createSession({ contextSize: 64, threads: 1 });
  try {
    const all = (await session.evaluate(PROMPT, { logits: 'all' }))!;
    const logprobs = PROMPT.map((_, i) => logSoftmax(all.subarray(i * vocab, (i + 1) * vocab)));
    const greedy: number[] = [argmax(all.subarray((PROMPT.length - 1) * vocab))];
    while (greedy.length < GREEDY_TOKENS) greedy.push(argmax((await session.evaluate([greedy.at(-1)!], { logits: 'last' }))!));
    return { logprobs, greedy };
  } finally {
    session.dispose();
    model.dispose();
  }
}

async function llamaCpp(gguf: string, vocab: number): Promise<Side> {
  const llama = await getCpuLlama();
  const model = await llama.loadModel({ modelPath: gguf, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: 64, batchSize: 64, sequences: 1, threads: { ideal: 1, min: 1 } });
  const sequence = context.getSequence();
  try {
    // Greedy settings (no sampler options) give the full softmax over the vocabulary.
    const out = await sequence.controlledEvaluate(PROMPT.map((t) => [t, { generateNext: { probabilities: true } }]));
    const logprobs = out.map((o, i) => {
      const p = o?.next.probabilities;
      if (!p || p.size !== vocab) throw new Error(`llama.cpp gave ${p?.size ?? 0} probabilities at position ${i}, expected ${vocab}`);
      const lp = new Float64Array(vocab);
      for (const [token, prob] of p) lp[token] = Math.log(prob);
      return lp;
    });
    await sequence.clearHistory();
    const greedy: number[] = [];
    const generator = sequence.evaluate(PROMPT, { temperature: 0 });
    for await (const token of generator) {
      greedy.push(token);
      if (greedy.length === GREEDY_TOKENS) break;
    }
    return { logprobs, greedy };
  } finally {
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  }
}

async function checkOne(dir: string, dtype: DType): Promise<boolean> {
  // vocab 320 > the tokenizer's 300 ids, so the writer's [PADi] tokens are exercised; head_dim 32
  // and 2 KV heads for 4 query heads, so the Q/K reorder and GQA are too.
  const vocab = 320;
  const path = join(dir, `check-${dtype}.safetensors`);
  const gguf = join(dir, `check-${dtype}.gguf`);
  await writeSyntheticCheckpoint(path, {
    hiddenSize: 128,
    intermediateSize: 256,
    layers: 3,
    heads: 4,
    kvHeads: 2,
    chains: [1],
    dtype,
    vocabSize: vocab,
    seed: 7,
    tokenizerJson: readFileSync(join(benchDir, '../../test/fixtures/models/llama_gqa/tokenizer.json'), 'utf8'),
    // A random model's next-token distribution is nearly flat, so its argmax flips on rounding
    // noise; a sharper LM head gives greedy decoding clear winners to agree on.
    tamper: (name, values) => {
      if (name === 'lm_head.weight') for (let i = 0; i < values.length; i++) values[i]! *= 8;
    },
  });
  await writeLlamaGguf(path, gguf);
  const a = await ours(path, vocab);
  const b = await llamaCpp(gguf, vocab);
  let maxDiff = 0;
  let top1 = 0;
  for (let i = 0; i < PROMPT.length; i++) {
    for (let t = 0; t < vocab; t++) maxDiff = Math.max(maxDiff, Math.abs(a.logprobs[i]![t]! - b.logprobs[i]![t]!));
    if (argmax(Float32Array.from(a.logprobs[i]!)) === argmax(Float32Array.from(b.logprobs[i]!))) top1++;
  }
  const greedySame = a.greedy.every((t, i) => t === b.greedy[i]);
  const ok = maxDiff <= MAX_LOGPROB_DIFF && top1 === PROMPT.length && greedySame;
  console.log(
    `${dtype}: max |log p ours - log p llama.cpp| = ${maxDiff.toFixed(5)} over ${PROMPT.length} positions x ${vocab} tokens; ` +
      `top-1 agrees at ${top1}/${PROMPT.length}; greedy ${GREEDY_TOKENS} tokens ${greedySame ? 'identical' : 'differ'} -> ${ok ? 'OK' : 'MISMATCH'}`,
  );
  if (!greedySame) console.log(`  ours      ${a.greedy.join(' ')}\n  llama.cpp ${b.greedy.join(' ')}`);
  return ok;
}

const dir = mkdtempSync(join(tmpdir(), 'colm-llama-check-'));
try {
  const results = [await checkOne(dir, 'F16'), await checkOne(dir, 'BF16')];
  process.exitCode = results.every(Boolean) ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
