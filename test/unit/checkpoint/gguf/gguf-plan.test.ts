// GGUF -> LoadPlan -> native engine, without the tokenizer rebuild (stubbed here: the logits do not
// depend on it): the engine's float32 logits of every GGUF of test/python/gguf_models.py against
// transformers' reading of the same file. The CLI path with the real tokenizer is
// test/integration/gguf.test.ts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainWidths } from '../../../../app/checkpoint/chain-widths.js';
import { expectedTensors } from '../../../../app/checkpoint/expected-tensors.js';
import { describeGguf, ggufWeights, GGUF_PACKAGING } from '../../../../app/checkpoint/gguf/gguf-plan.js';
import { matchTensors } from '../../../../app/checkpoint/match-tensors.js';
import { TextTokenizer } from '../../../../app/checkpoint/tokenizer.js';
import type { LoadPlan } from '../../../../app/checkpoint/types.js';
import { Model } from '../../../../app/engine/model.js';
import { loadAddon } from '../../../../app/engine/native.js';
import { runPython } from '../../../helpers/python.js';

const STUB_TOKENIZER = { version: '1.0', pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false }, decoder: { type: 'ByteLevel' }, model: { type: 'BPE', vocab: { a: 0 }, merges: [] } };

/** readCheckpoint's GGUF path less the tokenizer: describe, convert, match, attach the bytes. */
async function ggufPlan(path: string, options: { onNotice: (line: string) => void; dequantizeTo?: 'bf16' }): Promise<LoadPlan> {
  const description = await describeGguf(path, options);
  const weights = await ggufWeights(description, options);
  const widths = chainWidths(description.config);
  const tensors = matchTensors(expectedTensors(description.config, widths, { q8Embeddings: true }), weights.located, path, 1);
  for (const t of tensors) {
    const data = weights.data.get(t.name);
    if (data) t.data = data;
  }
  return {
    source: path, packaging: GGUF_PACKAGING, config: description.config, widths, files: [path], tensors,
    tokenizerJson: STUB_TOKENIZER, tokenizerConfig: null, generationConfig: null,
  };
}

interface Case {
  name: string;
  arch: string;
  type: string;
  tokens: number[];
  prefill: number;
  oracle: string;
  logits_gguf: number[][];
  logits_q8: number[][];
  logits_bf16: number[][];
  requant_error: number;
}

const SCRIPT = 'test/python/gguf_models.py';
const cases = JSON.parse(runPython(SCRIPT, ['--list'], { timeoutMs: 60_000 })) as { name: string; type: string }[];
let dir = '';
const table: Record<string, unknown>[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'colm-gguf-plan-'));
  runPython(SCRIPT, [dir], { timeoutMs: 280_000 });
}, 300_000);
afterAll(() => {
  if (table.length) console.table(table);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function maxError(rows: Float32Array[], ref: number[][], first: number): number {
  let worst = 0;
  rows.forEach((row, i) => {
    const r = ref[first + i]!;
    expect(row.length).toBe(r.length);
    for (let j = 0; j < r.length; j++) worst = Math.max(worst, Math.abs(row[j]! - r[j]!) || 0);
  });
  return worst;
}

async function engineLogits(path: string, tokens: number[], P: number, notices: string[], dequantizeTo?: 'bf16'): Promise<Float32Array[]> {
  const plan = await ggufPlan(path, { onNotice: (l) => notices.push(l), dequantizeTo });
  expect(plan.tensors.every((t) => t.data === undefined || t.data.byteLength === t.byteLength)).toBe(true);
  const native = await loadAddon().loadModel(plan, () => {}).promise;
  const model = new Model(plan, native, TextTokenizer.fromJson(STUB_TOKENIZER, null, 'stub'));
  const session = model.createSession({ kvType: 'f32', contextSize: tokens.length });
  try {
    const rows = [await session.prefill(tokens.slice(0, P))];
    for (let p = P; p < tokens.length; p++) rows.push((await session.evaluate([tokens[p]!], { logits: 'last' }))!);
    return rows;
  } finally {
    session.dispose();
    model.dispose();
  }
}

describe.each(cases.map((c) => [c.name, c] as const))('%s', (name) => {
  it('engine logits of the GGUF match transformers (q8_0 re-quantization accounted for)', async () => {
    const c = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as Case;
    const notices: string[] = [];
    const rows = await engineLogits(join(dir, `${name}.gguf`), c.tokens, c.prefill, notices);
    const vsQ8 = maxError(rows, c.logits_q8, c.prefill - 1);
    const vsGguf = maxError(rows, c.logits_gguf, c.prefill - 1);
    table.push({ case: name, type: c.type, oracle: c.oracle, 'max |colm - oracle(q8 requant)|': vsQ8.toExponential(2), 'max |colm - dequantized gguf|': vsGguf.toExponential(2), requant: c.requant_error.toExponential(2) });
    const q4 = ['Q4_0', 'Q4_K'].includes(c.type);
    if (q4) {
      // Q4_0 and Q4_K chain linears stay in the file's own blocks (docs/FORMAT-Q4.md); the engine
      // multiplies them with 8-bit activations, which is what moves these logits. With float
      // activations it runs exactly the file's values.
      expect(vsGguf).toBeLessThanOrEqual(0.15); // measured 4.4e-2 (Q4_0), 2.6e-3 (Q4_K)
      process.env['COLM_Q4_ACTIVATIONS'] = 'f32';
      try {
        const exact = maxError(await engineLogits(join(dir, `${name}.gguf`), c.tokens, c.prefill, []), c.logits_gguf, c.prefill - 1);
        table.push({ case: `${name} (f32 activations)`, type: c.type, oracle: c.oracle, 'max |colm - dequantized gguf|': exact.toExponential(2) });
        expect(exact).toBeLessThanOrEqual(1e-4);
      } finally {
        delete process.env['COLM_Q4_ACTIVATIONS'];
      }
    } else if (c.type === 'Q5_0') {
      expect(vsGguf).toBeLessThanOrEqual(1e-4); // widened into q8_0 without rounding: the file's own values
    } else {
      expect(vsQ8).toBeLessThanOrEqual(1e-4);
    }
    const block = !['F32', 'F16', 'BF16', 'Q8_0'].includes(c.type);
    expect(notices.some((l) => l.includes(`${c.type} -> Q8_0`))).toBe(block && !q4);
    if (q4) expect(notices.some((l) => l.includes(`${c.type} kept (4-bit blocks`))).toBe(true);
  }, 60_000);

  it('with dequantizeTo bf16, block types become BF16 and match the BF16-rounded oracle', async () => {
    const c = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as Case;
    if (['F32', 'F16', 'BF16', 'Q8_0'].includes(c.type)) return; // kept as they are either way
    const notices: string[] = [];
    const rows = await engineLogits(join(dir, `${name}.gguf`), c.tokens, c.prefill, notices, 'bf16');
    expect(maxError(rows, c.logits_bf16, c.prefill - 1)).toBeLessThanOrEqual(1e-4);
    expect(notices.some((l) => l.includes(`${c.type} -> BF16`))).toBe(true);
  }, 60_000);
});
