// Fuzzing the GGUF reader: whatever bytes come in, it returns a file whose tensors lie inside it,
// or throws CheckpointError; never another exception, never a hang, never a huge allocation (every
// count is checked against the bytes left). Also replays the kept corpus test/fixtures/fuzz/gguf
// (regenerate its seeds with UPDATE_FUZZ_CORPUS=1).
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CheckpointError } from '../../../../app/checkpoint/errors.js';
import { parseGgufBytes } from '../../../../app/checkpoint/gguf/gguf-file.js';
import type { GgufFile } from '../../../../app/checkpoint/gguf/gguf-types.js';
import { encodeGguf, validSpec } from './gguf-bytes.js';
import { hostileCases } from './hostile-ggufs.js';

const CORPUS = 'test/fixtures/fuzz/gguf';
const VALID = encodeGguf(validSpec());

function acceptOrRefuse(bytes: Uint8Array): GgufFile | undefined {
  try {
    const file = parseGgufBytes('/fuzz/f.gguf', bytes);
    const ranges = file.tensors.map((t) => [t.offset, t.offset + t.byteLength] as const).sort((a, b) => a[0] - b[0]);
    for (const [a, b] of ranges) {
      expect(a).toBeGreaterThanOrEqual(file.dataOffset);
      expect(b).toBeLessThanOrEqual(bytes.length);
    }
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBeGreaterThanOrEqual(ranges[i - 1]![1]);
    return file;
  } catch (error) {
    if (error instanceof CheckpointError) {
      expect(error.message).not.toContain('\n');
      return undefined;
    }
    throw error;
  }
}

type Mutation = { kind: 'set'; at: number; value: number } | { kind: 'truncate'; at: number } | { kind: 'insert'; at: number; bytes: number[] } | { kind: 'u64'; at: number; value: bigint };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }) }),
  // Counts and lengths are u64: write interesting ones anywhere.
  fc.record({ kind: fc.constant('u64' as const), at: fc.nat(), value: fc.constantFrom(0n, 1n, 2n, 255n, 1n << 31n, 1n << 32n, 1n << 53n, 2n ** 64n - 1n, BigInt(VALID.length)) }),
);

function mutate(original: Uint8Array, mutations: Mutation[]): Uint8Array {
  let bytes = Uint8Array.from(original);
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % (bytes.length + 1);
    if (m.kind === 'set' && at < bytes.length) bytes[at] = m.value;
    else if (m.kind === 'truncate') bytes = bytes.slice(0, at);
    else if (m.kind === 'insert') bytes = Uint8Array.from([...bytes.subarray(0, at), ...m.bytes, ...bytes.subarray(at)]);
    else if (m.kind === 'u64' && at + 8 <= bytes.length) new DataView(bytes.buffer).setBigUint64(at, m.value, true);
  }
  return bytes;
}

describe('fuzz: GGUF bytes', () => {
  it('random mutations of a valid file are accepted in bounds or refused', () => {
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 5 }), (ms) => void acceptOrRefuse(mutate(VALID, ms))), { numRuns: 3000 });
  }, 30_000);

  it('random bytes after a valid magic and version are refused or accepted', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (noise) => void acceptOrRefuse(Uint8Array.from([0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0, ...noise]))),
      { numRuns: 3000 },
    );
  }, 30_000);
});

describe('kept corpus', () => {
  if (process.env['UPDATE_FUZZ_CORPUS'] === '1' || !existsSync(join(CORPUS, 'manifest.json'))) {
    mkdirSync(CORPUS, { recursive: true });
    const manifest: Record<string, unknown> = { 'ok--valid.gguf': { expect: 'ok' } };
    writeFileSync(join(CORPUS, 'ok--valid.gguf'), VALID);
    for (const c of hostileCases()) {
      writeFileSync(join(CORPUS, `err--${c.name}.gguf`), c.bytes);
      manifest[`err--${c.name}.gguf`] = { expect: 'error', rule: c.rule, ...(c.tensor ? { tensor: c.tensor } : {}), ...(c.key ? { key: c.key } : {}) };
    }
    writeFileSync(join(CORPUS, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  }
  const manifest = JSON.parse(readFileSync(join(CORPUS, 'manifest.json'), 'utf8')) as Record<string, { expect: string; rule?: string; tensor?: string; key?: string }>;
  it('every file has a manifest entry', () => {
    expect(readdirSync(CORPUS).filter((f) => f.endsWith('.gguf')).sort()).toEqual(Object.keys(manifest).sort());
  });
  it.each(Object.entries(manifest))('%s', (name, want) => {
    const bytes = new Uint8Array(readFileSync(join(CORPUS, name)));
    if (want.expect === 'ok') {
      expect(acceptOrRefuse(bytes)).toBeDefined();
      return;
    }
    expect(() => parseGgufBytes(name, bytes)).toThrow(CheckpointError);
    try {
      parseGgufBytes(name, bytes);
    } catch (e) {
      const error = e as CheckpointError;
      expect(error.rule).toContain(want.rule ?? '');
      if (want.tensor) expect(error.tensor).toBe(want.tensor);
      if (want.key) expect(error.key).toBe(want.key);
    }
  });
});
