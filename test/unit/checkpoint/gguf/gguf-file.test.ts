// The GGUF reader: a valid file read back field by field, and every hostile file refused with a
// CheckpointError that names the file, the field and the rule.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointError } from '../../../../app/checkpoint/errors.js';
import { parseGgufBytes, readGgufFile } from '../../../../app/checkpoint/gguf/gguf-file.js';
import { encodeGguf, validSpec } from './gguf-bytes.js';
import { hostileCases } from './hostile-ggufs.js';

const dir = mkdtempSync(join(tmpdir(), 'colm-gguf-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readGgufFile', () => {
  it('reads header, metadata of every kind and tensor infos', async () => {
    const bytes = encodeGguf(validSpec());
    const path = join(dir, 'valid.gguf');
    writeFileSync(path, bytes);
    const gguf = await readGgufFile(path);
    expect(gguf).toEqual(parseGgufBytes(path, bytes));
    expect(gguf.version).toBe(3);
    expect(gguf.alignment).toBe(32);
    expect(gguf.metadata.get('general.architecture')).toBe('llama');
    expect(gguf.metadata.get('some.f32')).toBe(0.5);
    expect(gguf.metadata.get('some.bool')).toBe(true);
    expect(gguf.metadata.get('some.i64')).toBe(-5);
    expect(gguf.metadata.get('some.u64.big')).toBe(2n ** 60n);
    expect(gguf.metadata.get('tokenizer.ggml.tokens')).toEqual(['a', 'b', 'ü']);
    expect(gguf.metadata.get('nested')).toEqual([[1]]);
    expect(gguf.dataOffset % 32).toBe(0);
    expect(gguf.tensors).toEqual([
      { name: 'a.weight', shape: [2, 4], type: 'F32', offset: gguf.dataOffset, byteLength: 32 },
      { name: 'b.weight', shape: [2, 32], type: 'Q8_0', offset: gguf.dataOffset + 32, byteLength: 68 },
    ]);
  });

  it('reads a file whose metadata is larger than its read window (1 MiB)', async () => {
    const spec = validSpec();
    const long = 'x'.repeat(3 << 19);
    spec.kv.push(['big.string', { type: 'string', value: long }]);
    spec.kv.push(['after', { type: 'u32', value: 7 }]);
    const path = join(dir, 'big.gguf');
    writeFileSync(path, encodeGguf(spec));
    const gguf = await readGgufFile(path);
    expect((gguf.metadata.get('big.string') as string).length).toBe(long.length);
    expect(gguf.metadata.get('after')).toBe(7);
  });
});

describe('hostile GGUFs are refused naming the field', () => {
  it.each(hostileCases().map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const path = join(dir, `${c.name}.gguf`);
    writeFileSync(path, c.bytes);
    let error: unknown;
    try {
      await readGgufFile(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CheckpointError);
    const e = error as CheckpointError;
    expect(e.message.startsWith(path)).toBe(true);
    expect(e.message).not.toContain('\n');
    expect(e.rule).toContain(c.rule);
    if (c.tensor !== undefined) expect(e.tensor).toBe(c.tensor);
    if (c.key !== undefined) expect(e.key).toBe(c.key);
  });
});
