// `colm perplexity` (app/cli/commands/perplexity.ts, app/engine/perplexity.ts): the numbers it
// prints are the mean next-token cross-entropy of each sub-model over the windows it cut, checked
// here against the engine's logits computed directly; and bad usage and bad files get named.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

import { loadModel } from '../../app/engine/model.js';
import { consecutiveWindows } from '../../app/engine/perplexity.js';

const colm = resolve('bin/colm.js');
const model = resolve('test/fixtures/models/air4_f32.safetensors');
const scratch = mkdtempSync(join(tmpdir(), 'colm-ppl-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const docA = join(scratch, 'a.txt');
const docB = join(scratch, 'b.txt');
writeFileSync(docA, 'The whale was white, and the sea was grey. '.repeat(6));
writeFileSync(docB, 'Call me Ishmael. Some years ago, never mind how long precisely. '.repeat(4));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [colm, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('consecutiveWindows', () => {
  test('windows do not overlap, cover the text, and a spread subset keeps the first window', () => {
    const tokens = Array.from({ length: 23 }, (_, i) => i);
    const w = consecutiveWindows(tokens, 8);
    expect(w).toEqual([tokens.slice(0, 8), tokens.slice(8, 16), tokens.slice(16, 23)]);
    expect(consecutiveWindows(Array.from({ length: 17 }, (_, i) => i), 8)).toHaveLength(2); // one token left: no window
    expect(consecutiveWindows(tokens, 4, 2)).toEqual([tokens.slice(0, 4), tokens.slice(12, 16)]);
    expect(() => consecutiveWindows(tokens, 1)).toThrow(/at least 2/);
  });
});

describe('colm perplexity', () => {
  test('prints, per chain count, the mean cross-entropy of the next token that the engine gives', async () => {
    const r = run('perplexity', model, '--corpus', docA, docB, '--window', '24', '--json', '--threads', '1');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { tokens: number; windows: number; rows: { chains: number; perplexity: number; meanNll: number; positions: number }[] };
    expect(report.rows.map((x) => x.chains)).toEqual([1, 2, 3, 4]);

    // The same numbers from the engine's logits, with the documents read as the command reads them.
    const m = await loadModel(model);
    const V = m.config.vocabSize;
    const eos = m.tokenizer.eosTokenIds[0]!;
    const tokens: number[] = [];
    for (const text of ['The whale was white, and the sea was grey. '.repeat(6), 'Call me Ishmael. Some years ago, never mind how long precisely. '.repeat(4)]) {
      const ids = m.tokenizer.encode(text, { addSpecialTokens: true });
      tokens.push(...ids, ...(ids.at(-1) === eos ? [] : [eos]));
    }
    expect(report.tokens).toBe(tokens.length);
    expect(report.windows).toBe(Math.ceil((tokens.length - 1) / 24));
    for (const row of report.rows) {
      let nll = 0;
      let positions = 0;
      for (let start = 0; start + 1 < tokens.length; start += 24) {
        const window = tokens.slice(start, start + 24);
        const session = m.createSession({ contextSize: 24 });
        const logits = (await session.evaluate(window, { chains: row.chains, logits: 'all' }))!;
        session.dispose();
        for (let p = 0; p + 1 < window.length; p++) {
          const r = logits.subarray(p * V, (p + 1) * V);
          const max = Math.max(...r);
          let sum = 0;
          for (const x of r) sum += Math.exp(x - max);
          nll += max + Math.log(sum) - r[window[p + 1]!]!;
          positions++;
        }
      }
      expect(row.positions).toBe(positions);
      expect(row.meanNll).toBeCloseTo(nll / positions, 6);
      expect(row.perplexity).toBeCloseTo(Math.exp(nll / positions), 4);
    }
    m.dispose();

    // --chains K prints that one row, the same as in the full table.
    const one = run('perplexity', model, '--corpus', docA, docB, '--window', '24', '--chains', '2');
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/chains\s+perplexity/);
    const lines = one.stdout.trim().split('\n').slice(1);
    expect(lines).toHaveLength(1);
    expect(Number(lines[0]!.trim().split(/\s+/)[1])).toBeCloseTo(report.rows[1]!.perplexity, 2);
  });

  test('bad usage exits 2 and a file that cannot be read exits 1, each named', () => {
    let r = run('perplexity', model);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--corpus/);
    r = run('perplexity', model, '--corpus', docA, '--chains', '9');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--chains 9 is out of range: this model has 4 chain/);
    r = run('perplexity', model, '--corpus', docA, '--window', '1');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--window/);
    r = run('perplexity', model, '--corpus', join(scratch, 'missing.txt'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/missing\.txt cannot be read/);
  });
});
