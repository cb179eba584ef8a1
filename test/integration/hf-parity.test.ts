// Hugging Face transformers as the oracle (issue 9, item 2): tiny random Llama, Mistral, Qwen2 and
// Qwen3 models built and saved by transformers' own classes (test/python/hf_models.py), read by
// `colm logits` over prefill plus decode, against transformers' float32 logits at every position:
// largest |colm - transformers| <= 1e-4. Fails, never skips, when the Python oracle is missing.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { runPython } from '../helpers/python.js';

const SCRIPT = 'test/python/hf_models.py';
const TOLERANCE = 1e-4; // largest |colm - transformers| over every logit of every row
const ABLATION_MIN = 1e-2; // a changed weight or config key must move colm's logits at least this
const colm = resolve('bin/colm.js');

interface CaseInfo {
  name: string;
  family: string;
  kind: 'case' | 'dialect4' | 'ablation';
  base: string | null;
}

interface Expected {
  name: string;
  family: string;
  tokens: number[];
  prefill: number;
  logits: number[][]; // [T][V], transformers float32
  dtype: string;
  tied: boolean;
  heads: number;
  kv_heads: number;
  rope_type: string;
  rope_theta: number;
  sliding_window: number | null;
  incremental_max_error: number;
  max_abs_logit: number;
}

// Collected before the models exist (the script's --list imports no torch); throws when Python is
// missing, so the file fails instead of skipping.
const cases: CaseInfo[] = JSON.parse(runPython(SCRIPT, ['--list'], { timeoutMs: 60_000 }));

let out = '';
const expectedCache = new Map<string, Expected>();
const results = new Map<string, { family: string; dtype: string; tied: boolean; gqa: string; rope: string; error: number | null; note: string }>();

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'colm-hf-parity-'));
  runPython(SCRIPT, [out], { timeoutMs: 280_000 });
}, 300_000);

afterAll(() => {
  if (results.size) {
    const header = ['case', 'family', 'dtype', 'tied', 'h/h_kv', 'rope', 'max |colm-hf|', 'result'];
    const rows = [...results.entries()].map(([name, r]) => [
      name, r.family, r.dtype, String(r.tied), r.gqa, r.rope, r.error === null ? '-' : r.error.toExponential(2), r.note,
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
    console.log([`colm logits vs transformers float32 logits (pass: largest |error| <= ${TOLERANCE})`, line(header), ...rows.map(line)].join('\n'));
  }
  if (out) rmSync(out, { recursive: true, force: true });
});

function folder(name: string): string {
  return join(out, name);
}

function expected(name: string): Expected {
  let e = expectedCache.get(name);
  if (!e) {
    const file = join(folder(name), 'expected.json');
    if (!existsSync(file)) throw new Error(`${file} is missing: ${SCRIPT} did not write case ${name}`);
    e = JSON.parse(readFileSync(file, 'utf8')) as Expected;
    expectedCache.set(name, e);
  }
  return e;
}

function runColm(...args: string[]) {
  const r = spawnSync(process.execPath, [colm, ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 1 << 28 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

const colmCache = new Map<string, number[][]>();

/** `colm logits` rows for positions max(P-1, 0)..T-1; throws with the CLI's message when it fails. */
function colmLogits(modelFolder: string, tokens: number[], P: number): number[][] {
  const key = `${modelFolder}|${tokens.join(',')}|${P}`;
  let rows = colmCache.get(key);
  if (!rows) {
    rows = runColmLogits(modelFolder, tokens, P);
    colmCache.set(key, rows);
  }
  return rows;
}

function runColmLogits(modelFolder: string, tokens: number[], P: number): number[][] {
  const r = runColm('logits', modelFolder, '--tokens', tokens.join(','), '--prefill', String(P), '--chains', '1', '--kv-type', 'f32');
  if (r.code !== 0) throw new Error(`colm logits exited ${r.code ?? r.signal}: ${r.stderr.trim()}`);
  const rows = (JSON.parse(r.stdout) as { logits: number[][] }).logits;
  const want = P > 0 ? tokens.length - P + 1 : tokens.length;
  if (rows.length !== want) throw new Error(`colm logits printed ${rows.length} rows, expected ${want} (T=${tokens.length}, P=${P})`);
  return rows;
}

/** Largest |a - b| over rows (a row i is compared with reference row first + i). */
function largestError(rows: number[][], reference: number[][], first: number): number {
  let worst = 0;
  rows.forEach((row, i) => {
    const ref = reference[first + i]!;
    if (row.length !== ref.length) throw new Error(`row ${first + i}: ${row.length} logits, transformers has ${ref.length}`);
    for (let j = 0; j < ref.length; j++) {
      const d = Math.abs(row[j]! - ref[j]!);
      worst = Math.max(worst, Number.isNaN(d) ? Infinity : d);
    }
  });
  return worst;
}

/** The line of an error worth a table cell: the CLI's own message, or node's error line. */
function firstLine(message: string): string {
  const lines = message.split('\n');
  const cli = lines.find((l) => /colm: |Error\b/.test(l));
  return (cli && cli !== lines[0] ? `${lines[0]!.replace(/:.*$/, '')}: ${cli.trim()}` : lines[0]!).slice(0, 200);
}

/**
 * The prefill lengths a case is read with: all decode, the case's own P, all prefill; the copies
 * (config dialects, ablations) only with their P, which their base already covers all three ways.
 */
function prefills(e: Expected, kind: CaseInfo['kind']): number[] {
  return kind === 'case' ? [...new Set([0, e.prefill, e.tokens.length])] : [e.prefill];
}

function describeCase(e: Expected): { family: string; dtype: string; tied: boolean; gqa: string; rope: string } {
  const rope = `${e.rope_type} ${e.rope_theta}`;
  return {
    family: e.family,
    dtype: e.dtype,
    tied: e.tied,
    gqa: `${e.heads}/${e.kv_heads}`,
    rope: rope + (e.sliding_window ? `, window ${e.sliding_window}` : ''),
  };
}

describe.each(cases.map((c) => [c.name, c] as const))('%s', (name, info) => {
  const how = info.kind === 'case' ? 'prefill 0, P and T' : 'prefill P';
  test(`colm logits matches transformers at every position (${how})`, () => {
    const e = expected(name);
    let worst = 0;
    try {
      for (const P of prefills(e, info.kind)) {
        const rows = colmLogits(folder(name), e.tokens, P);
        const err = largestError(rows, e.logits, Math.max(P - 1, 0));
        worst = Math.max(worst, err);
        if (!(err <= TOLERANCE)) throw new Error(`prefill ${P}: largest |colm - transformers| is ${err} (> ${TOLERANCE})`);
      }
      results.set(name, { ...describeCase(e), error: worst, note: 'pass' });
    } catch (error) {
      results.set(name, { ...describeCase(e), error: worst || null, note: firstLine((error as Error).message) });
      throw error;
    }
  });

  if (info.kind === 'ablation') {
    test(`colm tells it from ${info.base} (the change moves the logits by > ${ABLATION_MIN})`, () => {
      const e = expected(name);
      const base = expected(info.base!);
      expect(e.tokens).toEqual(base.tokens);
      const rows = colmLogits(folder(name), e.tokens, e.prefill);
      expect(largestError(rows, base.logits, Math.max(e.prefill - 1, 0))).toBeGreaterThan(ABLATION_MIN);
    });
  }

  if (info.kind === 'dialect4') {
    test(`the transformers-4 config (rope_theta + rope_scaling) reads as ${info.base}'s rope_parameters`, () => {
      const config = JSON.parse(readFileSync(join(folder(name), 'config.json'), 'utf8'));
      expect(config.rope_parameters).toBeUndefined();
      expect(config.rope_theta).toBeTypeOf('number');
      const e = expected(name);
      const a = colmLogits(folder(name), e.tokens, e.prefill);
      const b = colmLogits(folder(info.base!), e.tokens, e.prefill);
      expect(largestError(a, b, 0)).toBeLessThanOrEqual(1e-6);
    });
  }
});

describe('a config key that changes the math and is not understood is refused with its name', () => {
  const base = 'llama_f32_untied_mha';
  const refusals: [string, (config: Record<string, unknown>) => void, RegExp][] = [
    ['attn_logit_softcapping', (c) => void (c.attn_logit_softcapping = 30), /attn_logit_softcapping/],
    ['final_logit_softcapping', (c) => void (c.final_logit_softcapping = 30), /final_logit_softcapping/],
    ['partial_rotary_factor', (c) => void (c.partial_rotary_factor = 0.5), /partial_rotary_factor/],
    ['rope_parameters of type yarn', (c) => void (c.rope_parameters = { rope_type: 'yarn', rope_theta: 10000, factor: 4, original_max_position_embeddings: 32 }), /yarn/],
    ['rope_scaling of type dynamic (transformers-4 dialect)', (c) => {
      delete c.rope_parameters;
      c.rope_theta = 10000;
      c.rope_scaling = { rope_type: 'dynamic', factor: 2 };
    }, /dynamic/],
    ['rope_scaling of type longrope (transformers-4 dialect)', (c) => {
      delete c.rope_parameters;
      c.rope_theta = 10000;
      c.rope_scaling = { rope_type: 'longrope', short_factor: [1], long_factor: [1] };
    }, /longrope/],
  ];

  test.each(refusals)('%s: colm logits exits 1 naming it', (_what, edit, pattern) => {
    const src = folder(base);
    const dir = mkdtempSync(join(out, 'refused-'));
    cpSync(src, dir, { recursive: true });
    const configFile = join(dir, 'config.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    edit(config);
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    const r = runColm('logits', dir, '--tokens', '1,2,3', '--prefill', '2', '--chains', '1');
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(pattern);
    expect(r.code).toBe(1);
  });

  test('the unchanged folder is accepted (the refusals above come from the key alone)', () => {
    const e = expected(base);
    expect(colmLogits(folder(base), e.tokens, e.prefill).length).toBe(e.tokens.length - e.prefill + 1);
  });
});
