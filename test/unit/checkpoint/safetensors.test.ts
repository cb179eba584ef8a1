import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointError } from '../../../app/checkpoint/errors.js';
import { decodeHeaderLength, MAX_HEADER_BYTES, parseSafetensorsHeader, readSafetensorsHeader } from '../../../app/checkpoint/safetensors.js';
import { encodeSafetensorsHeader, writeSafetensors } from '../../../app/checkpoint/safetensors-writer.js';
import { rawSafetensors, tensorOf, TempDirs } from './tiny-checkpoints.js';

const temp = new TempDirs();
afterAll(() => temp.cleanup());

async function fileWith(bytes: Uint8Array, name = 'model.safetensors'): Promise<string> {
  const path = join(await temp.make(), name);
  await writeFile(path, bytes);
  return path;
}

async function expectBadHeader(bytes: Uint8Array, rule: RegExp, tensor?: string): Promise<CheckpointError> {
  const path = await fileWith(bytes);
  const error = await readSafetensorsHeader(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CheckpointError);
  const checkpointError = error as CheckpointError;
  expect(checkpointError.file).toBe(path);
  expect(checkpointError.message.startsWith(path)).toBe(true);
  expect(checkpointError.message).not.toContain('\n');
  expect(checkpointError.rule).toMatch(rule);
  if (tensor !== undefined) {
    expect(checkpointError.tensor).toBe(tensor);
    expect(checkpointError.message).toContain(`tensor "${tensor}"`);
  }
  return checkpointError;
}

const F32x4 = { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] };

describe('writeSafetensors + readSafetensorsHeader', () => {
  it('round-trips tensors of every dtype with absolute offsets and metadata', async () => {
    const dir = await temp.make();
    const path = join(dir, 'm.safetensors');
    const tensors = [tensorOf('a', [3, 2], 'F32'), tensorOf('b', [5], 'F16'), tensorOf('c', [1, 3], 'BF16'), tensorOf('empty', [0, 4], 'F32')];
    await writeSafetensors(path, tensors, { format: 'pt', 'colm.config': '{"x": 1}' });
    const header = await readSafetensorsHeader(path);
    const bytes = await readFile(path);
    expect(header.headerLength % 8).toBe(0);
    expect(header.dataStart).toBe(8 + header.headerLength);
    expect(header.fileSize).toBe(bytes.length);
    expect(header.metadata).toEqual({ format: 'pt', 'colm.config': '{"x": 1}' });
    expect(header.tensors.map((t) => [t.name, t.dtype, t.shape, t.byteLength])).toEqual([
      ['a', 'F32', [3, 2], 24],
      ['b', 'F16', [5], 10],
      ['c', 'BF16', [1, 3], 6],
      ['empty', 'F32', [0, 4], 0],
    ]);
    for (const [i, t] of header.tensors.entries()) {
      expect(Buffer.from(bytes.subarray(t.offset, t.offset + t.byteLength))).toEqual(Buffer.from(tensors[i]!.data));
    }
    // The atomic write leaves no temp file behind.
    expect(await readdir(dir)).toEqual(['m.safetensors']);
  });

  it('pads the header with spaces to a multiple of 8', () => {
    const bytes = encodeSafetensorsHeader([tensorOf('x', [1])]);
    const length = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(length % 8).toBe(0);
    expect(bytes.length).toBe(8 + length);
    const text = new TextDecoder().decode(bytes.subarray(8));
    expect(text.trimEnd()).toBe(JSON.stringify({ x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }));
    expect(/^[^ ]* *$/.test(text.slice(text.lastIndexOf('}') + 1))).toBe(true);
  });

  it('refuses to write data that does not match the shape, and repeated names', async () => {
    const path = join(await temp.make(), 'x.safetensors');
    await expect(writeSafetensors(path, [{ name: 'x', dtype: 'F32', shape: [2], data: new Uint8Array(4) }])).rejects.toThrow(/needs 8/);
    await expect(writeSafetensors(path, [tensorOf('x', [1]), tensorOf('x', [1])])).rejects.toThrow(/repeated/);
  });

  it('replaces an existing file in one step', async () => {
    const path = join(await temp.make(), 'x.safetensors');
    await writeSafetensors(path, [tensorOf('old', [4])]);
    await writeSafetensors(path, [tensorOf('new', [2])]);
    expect((await readSafetensorsHeader(path)).tensors.map((t) => t.name)).toEqual(['new']);
  });

  it('accepts a header without __metadata__, or with null metadata', async () => {
    const header = await readSafetensorsHeader(await fileWith(rawSafetensors({ __metadata__: null, w: F32x4 }, new Uint8Array(16))));
    expect(header.metadata).toEqual({});
    expect(header.tensors[0]!.offset).toBe(8 + header.headerLength);
  });

  it('keeps a tensor named __proto__ as plain data', async () => {
    const header = await readSafetensorsHeader(await fileWith(rawSafetensors('{"__proto__": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}', new Uint8Array(4))));
    expect(header.tensors.map((t) => t.name)).toEqual(['__proto__']);
  });
});

describe('readSafetensorsHeader refuses bad files, naming the file and tensor', () => {
  it('empty file', async () => {
    await expectBadHeader(new Uint8Array(0), /empty/);
  });

  it('file shorter than the length prefix', async () => {
    await expectBadHeader(new Uint8Array([1, 2, 3]), /too short/);
  });

  it('header length larger than the file', async () => {
    await expectBadHeader(rawSafetensors({ w: F32x4 }, new Uint8Array(16), 1000n), /larger than the \d+ bytes after it/);
  });

  it('absurd header length (u64 near 2^64)', async () => {
    await expectBadHeader(rawSafetensors({}, new Uint8Array(0), 2n ** 64n - 1n), /header length/);
  });

  it('header longer than 100 MiB', () => {
    const first8 = new Uint8Array(8);
    new DataView(first8.buffer).setBigUint64(0, BigInt(MAX_HEADER_BYTES + 8), true);
    // decodeHeaderLength is what readSafetensorsHeader uses; a real 200 MiB file is not needed.
    expect(() => decodeHeaderLength('/x.safetensors', first8, MAX_HEADER_BYTES * 2)).toThrow(/larger than 104857600/);
  });

  it('header not JSON', async () => {
    await expectBadHeader(rawSafetensors('{"w": {"dtype": "F32",', new Uint8Array(16)), /not valid JSON/);
  });

  it('header not UTF-8', async () => {
    await expectBadHeader(rawSafetensors('{"\u00ff": 1}').map((b) => (b === 0xc3 ? 0xff : b)), /UTF-8/);
  });

  it('header a JSON array or a number', async () => {
    await expectBadHeader(rawSafetensors('[1, 2]'), /JSON object/);
    await expectBadHeader(rawSafetensors('12'), /JSON object/);
  });

  it('__metadata__ not a map of strings', async () => {
    const error = await expectBadHeader(rawSafetensors({ __metadata__: { format: 1 } }), /must be strings/);
    expect(error.key).toBe('format');
    await expectBadHeader(rawSafetensors({ __metadata__: ['x'] }), /object of strings/);
  });

  it('unknown dtype, named', async () => {
    const error = await expectBadHeader(rawSafetensors({ w: { ...F32x4, dtype: 'I64', data_offsets: [0, 32] } }, new Uint8Array(32)), /not supported/, 'w');
    expect(error.message).toContain('"I64"');
    await expectBadHeader(rawSafetensors({ w: { ...F32x4, dtype: 7 } }, new Uint8Array(16)), /dtype must be a string/, 'w');
  });

  it('tensor entry not an object', async () => {
    await expectBadHeader(rawSafetensors({ w: [1, 2] }), /entry must be an object/, 'w');
  });

  it('shape not a list of non-negative integers', async () => {
    for (const shape of [[-1, 4], [2.5], ['2'], 4, null, [2 ** 53]]) {
      await expectBadHeader(rawSafetensors({ w: { ...F32x4, shape } }, new Uint8Array(16)), /shape/, 'w');
    }
  });

  it('absurd shape (2^40 elements) without overflowing', async () => {
    await expectBadHeader(rawSafetensors({ w: { dtype: 'F32', shape: [2 ** 20, 2 ** 20], data_offsets: [0, 16] } }, new Uint8Array(16)), /needs 4398046511104 bytes/, 'w');
    // A product far past 2^64 must still be compared exactly.
    const dims = Array.from({ length: 8 }, () => 2 ** 40);
    await expectBadHeader(rawSafetensors({ w: { dtype: 'F16', shape: dims, data_offsets: [0, 16] } }, new Uint8Array(16)), /needs \d+ bytes/, 'w');
  });

  it('data_offsets not [begin, end] integers', async () => {
    for (const offsets of [[0], [0, 16, 32], ['0', '16'], [0, 16.5], [-16, 0], null]) {
      await expectBadHeader(rawSafetensors({ w: { ...F32x4, data_offsets: offsets } }, new Uint8Array(16)), /data_offsets/, 'w');
    }
  });

  it('end before begin', async () => {
    await expectBadHeader(rawSafetensors({ w: { ...F32x4, data_offsets: [16, 0] } }, new Uint8Array(32)), /end before/, 'w');
  });

  it('span that does not match the element count', async () => {
    await expectBadHeader(rawSafetensors({ w: { ...F32x4, data_offsets: [0, 12] } }, new Uint8Array(16)), /span 12 bytes but F32 \[2,2\] needs 16/, 'w');
  });

  it('offsets out of range of the data section', async () => {
    await expectBadHeader(rawSafetensors({ w: { ...F32x4, data_offsets: [16, 32] } }, new Uint8Array(16)), /end at 32 but the file holds only 16/, 'w');
  });

  it('truncated data (file shorter than the header promises)', async () => {
    const whole = rawSafetensors({ a: F32x4, b: { ...F32x4, data_offsets: [16, 32] } }, new Uint8Array(32));
    await expectBadHeader(whole.subarray(0, whole.length - 1), /file truncated/, 'b');
  });

  it('overlapping ranges, naming both tensors', async () => {
    const error = await expectBadHeader(
      rawSafetensors({ a: F32x4, b: { ...F32x4, data_offsets: [8, 24] } }, new Uint8Array(32)),
      /overlaps tensor "a"/,
      'b',
    );
    expect(error.message).toContain('"a"');
    // A range inside a longer one overlaps too, even after a shorter one in between.
    await expectBadHeader(
      rawSafetensors({ big: { dtype: 'F32', shape: [8], data_offsets: [0, 32] }, small: { dtype: 'F32', shape: [1], data_offsets: [4, 8] }, late: { dtype: 'F32', shape: [1], data_offsets: [24, 28] } }, new Uint8Array(32)),
      /overlaps tensor "big"/,
    );
  });

  it('allows empty tensors anywhere and gaps between tensors', async () => {
    const header = await readSafetensorsHeader(
      await fileWith(rawSafetensors({ a: F32x4, e: { dtype: 'F16', shape: [0], data_offsets: [8, 8] }, b: { ...F32x4, data_offsets: [20, 36] } }, new Uint8Array(40))),
    );
    expect(header.tensors.map((t) => t.byteLength)).toEqual([16, 0, 16]);
  });

  it('a path that does not exist, or a folder', async () => {
    const dir = await temp.make();
    await expect(readSafetensorsHeader(join(dir, 'nope.safetensors'))).rejects.toThrow(/no such file/);
    await expect(readSafetensorsHeader(dir)).rejects.toBeInstanceOf(CheckpointError);
  });

  it('parseSafetensorsHeader is the same check on bytes in memory', () => {
    const json = new TextEncoder().encode(JSON.stringify({ w: F32x4 }));
    expect(parseSafetensorsHeader('/m.safetensors', json, 8 + json.length + 16).tensors[0]!.offset).toBe(8 + json.length);
    expect(() => parseSafetensorsHeader('/m.safetensors', json, 8 + json.length + 15)).toThrow(CheckpointError);
  });
});
