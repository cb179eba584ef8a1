// The `colm` command as a user runs it: exit codes, output formats, and `colm logits` (the
// stable scripting interface) against the reference's golden logits.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

import { compareRow, loadGoldens } from '../helpers/golden.js';

const colm = resolve('bin/colm.js');
const scratch = mkdtempSync(join(tmpdir(), 'colm-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(...args: string[]) {
  return runWithInput('', ...args);
}

function runWithInput(input: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [colm, ...args], { encoding: 'utf8', timeout: 60_000, input });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

const goldens = loadGoldens();

describe('colm logits', () => {
  test.each(goldens.map((g) => [g.name, g] as const))('%s: decode-only, prefill and schedules match the reference', (_name, g) => {
    const tokens = g.tokens.join(',');
    const T = g.tokens.length;
    const n = g.chains;
    // P = 0, one chain count for every row.
    let r = run('logits', g.model, '--tokens', tokens, '--chains', String(n), '--kv-type', 'f32');
    expect(r.code, r.stderr).toBe(0);
    let rows: number[][] = JSON.parse(r.stdout).logits;
    expect(rows).toHaveLength(T);
    rows.forEach((row, p) => compareRow(row, g.logits[n]![p]!, `row ${p}`));
    // P = 5 with a schedule of T - P + 1 values (rows for positions 4..T-1).
    const P = 5;
    const schedule = Array.from({ length: T - P + 1 }, (_, i) => 1 + ((i * 3) % n));
    r = run('logits', g.model, '--tokens', tokens, '--prefill', String(P), '--schedule', schedule.join(','), '--kv-type', 'f32');
    expect(r.code, r.stderr).toBe(0);
    rows = JSON.parse(r.stdout).logits;
    expect(rows).toHaveLength(T - P + 1);
    rows.forEach((row, i) => compareRow(row, g.logits[schedule[i]!]![P - 1 + i]!, `prefill row ${i}`));
  });

  test('a schedule of the wrong length is a usage error (exit 2) that says what is needed', () => {
    const g = goldens[0]!;
    const r = run('logits', g.model, '--tokens', '1,2,3', '--prefill', '2', '--schedule', '1');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--schedule needs 2 values/);
  });
});

describe('colm info and colm run', () => {
  const air = goldens.find((g) => g.name === 'air4_f32')!;

  test('info lists chains, widths and parameters per chain count', () => {
    const r = run('info', air.model, '--json');
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.chains).toEqual([1, 1, 1, 1]);
    expect(info.kvSharing).toBe(true);
    expect(info.subModels.map((s: { width: number }) => s.width)).toEqual([16, 32, 48, 64]);
    const params = info.subModels.map((s: { parameters: number }) => s.parameters);
    expect([...params].sort((a, b) => a - b)).toEqual(params);
    const text = run('info', air.model);
    expect(text.stdout).toMatch(/CoLM-Air/);
  });

  test('run streams text and reports speed, prefill time and the chain counts used', () => {
    const r = run('run', air.model, 'the cat', '--max-tokens', '12', '--chains', '2', '--seed', '7');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/tokens\/s, prefill [\d.]+ ms/);
    expect(r.stderr).toMatch(/2 chains x \d+/);
    const again = run('run', air.model, 'the cat', '--max-tokens', '12', '--chains', '2', '--seed', '7');
    expect(again.stdout).toBe(r.stdout); // same seed, same text
  });
});

describe('colm --context N', () => {
  const air = goldens.find((g) => g.name === 'air4_f32')!; // max_position_embeddings 256

  test('info shows the default context and its KV cache; --context N prices N', () => {
    let r = run('info', air.model);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/context\s+256 tokens \(default\) · [\d.]+ MiB KV cache \(bf16\); the model allows 256/);
    r = run('info', air.model, '--json', '--context', '100');
    expect(r.code, r.stderr).toBe(0);
    // 3 layers x 2 KV heads x 8 x bf16 (the default), K and V: 192 bytes a position.
    expect(JSON.parse(r.stdout).context).toEqual({ size: 100, default: false, limit: 256, kvCacheBytes: 100 * 192, kvType: 'bf16' });
  });

  test('--kv-type prices the cache in its type (info) and runs every command in it', () => {
    // Per position: 3 layers x 2 KV heads x K and V x bytes of an 8-wide head (f32 32, q8_0 8 + 2).
    for (const [type, bytes] of [['f32', 384], ['bf16', 192], ['f16', 192], ['q8_0', 120]] as const) {
      const r = run('info', air.model, '--json', '--context', '100', '--kv-type', type);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).context).toMatchObject({ kvCacheBytes: 100 * bytes, kvType: type });
    }
    expect(run('info', air.model, '--kv-type', 'q8_0').stdout).toMatch(/MiB KV cache \(q8_0\)/);
    expect(run('run', air.model, 'the cat', '--kv-type', 'q8_0', '--max-tokens', '4').code).toBe(0);
    expect(runWithInput('hi\n/quit\n', 'chat', air.model, '--kv-type', 'f16', '--max-tokens', '2').code).toBe(0);
    const f32 = JSON.parse(run('logits', air.model, '--tokens', '1,2,3', '--chains', '2', '--kv-type', 'f32').stdout).logits as number[][];
    const bf16 = JSON.parse(run('logits', air.model, '--tokens', '1,2,3', '--chains', '2').stdout).logits as number[][];
    expect(bf16).toHaveLength(3);
    // Position 0 attends to itself alone: rounding its V row is the only change, so the rows differ
    // a little and not at all in shape.
    const worst = Math.max(...f32.flatMap((row, p) => row.map((x, i) => Math.abs(x - bf16[p]![i]!))));
    expect(worst).toBeLessThan(0.05);
  });

  test('run, chat and logits take a context up to the model limit', () => {
    expect(run('run', air.model, 'the cat', '--context', '64', '--max-tokens', '4').code).toBe(0);
    expect(runWithInput('hi\n/quit\n', 'chat', air.model, '--context', '256', '--max-tokens', '2').code).toBe(0);
    const a = run('logits', air.model, '--tokens', '1,2,3', '--chains', '2');
    const b = run('logits', air.model, '--tokens', '1,2,3', '--chains', '2', '--context', '200');
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toBe(a.stdout);
  });

  const cases: Array<[string, string[], number, RegExp]> = [
    ['not a number', ['run', air.model, 'x', '--context', 'lots'], 2, /--context must be an integer, got "lots"/],
    ['zero', ['chat', air.model, '--context', '0'], 2, /--context must be between 1 and 16777216, got 0/],
    ['above max_position_embeddings (run)', ['run', air.model, 'x', '--context', '257'], 1, /--context: a context of 257 positions is above this model's limit of 256 \(max_position_embeddings\)/],
    ['above max_position_embeddings (chat)', ['chat', air.model, '--context', '4096'], 1, /limit of 256 \(max_position_embeddings\)/],
    ['above max_position_embeddings (logits)', ['logits', air.model, '--tokens', '1,2', '--chains', '1', '--context', '1000'], 1, /limit of 256/],
    ['above max_position_embeddings (info)', ['info', air.model, '--context', '1000'], 1, /limit of 256/],
    ['too small for the prompt (run)', ['run', air.model, 'the cat sat on the mat', '--context', '4'], 1, /the prompt is \d+ tokens but the context holds 4 positions: pass a larger --context N \(this model allows up to 256\)/],
    ['too small for the tokens (logits)', ['logits', air.model, '--tokens', '1,2,3', '--chains', '1', '--context', '2'], 1, /--context 2 is shorter than the 3 tokens given/],
  ];
  test.each(cases)('%s', (_what, args, code, message) => {
    const r = run(...args);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('colm chat', () => {
  test('piped turns are all answered, /chains switches, /quit ends', () => {
    const air = goldens.find((g) => g.name === 'air4_f32')!;
    const r = runWithInput('hello\n/chains 2\nagain\n/quit\n', 'chat', air.model, '--temperature', '0', '--max-tokens', '4');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/4 chains\]/);
    expect(r.stdout).toMatch(/now using 2 chain\(s\)/);
    expect(r.stdout).toMatch(/2 chains\]/);
  });
});

describe('bad input and bad usage', () => {
  const cases: Array<[string, () => string[], number, RegExp]> = [
    ['a missing model', () => ['info', join(scratch, 'nope.safetensors')], 1, /nope\.safetensors.*no such file/],
    ['random bytes', () => {
      const p = join(scratch, 'random.safetensors');
      writeFileSync(p, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)));
      return ['info', p];
    }, 1, /random\.safetensors/],
    ['an empty file', () => {
      const p = join(scratch, 'empty.safetensors');
      writeFileSync(p, '');
      return ['run', p, 'hi'];
    }, 1, /empty\.safetensors/],
    ['a folder without config.json', () => ['info', scratch], 1, /config\.json/],
    ['an unknown command', () => ['frobnicate'], 2, /unknown command/],
    ['a bad number', () => ['run', goldens[0]!.model, 'x', '--max-tokens', 'many'], 2, /--max-tokens must be an integer/],
    ['an unknown option', () => ['run', '--bogus'], 2, /bogus/],
    ['chains out of range', () => ['logits', goldens[0]!.model, '--tokens', '1,2', '--chains', '9'], 2, /out of range/],
    ['an unknown kernel variant', () => ['run', goldens[0]!.model, 'x', '--kernels', 'nope'], 2, /--kernels: kernel variant "nope" is not available on this CPU \(available: .*scalar/],
    ['a token outside the vocabulary', () => ['logits', goldens[0]!.model, '--tokens', '1,100000', '--chains', '1'], 1, /outside the vocabulary/],
    ['an unknown KV cache type', () => ['run', goldens[0]!.model, 'x', '--kv-type', 'q4_0'], 2, /--kv-type must be one of f32, bf16, f16, q8_0, got "q4_0"/],
    ['an unknown KV cache type (info)', () => ['info', goldens[0]!.model, '--kv-type', 'BF16'], 2, /--kv-type must be one of/],
  ];
  test.each(cases)('%s', (_what, args, code, message) => {
    const r = run(...args());
    expect(r.signal).toBeNull();
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')[0]).toMatch(/^colm: /);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
