// The block dequantizers against gguf-py's reference (gguf.quants.dequantize), bit for bit, on random
// blocks with random finite F16 scales (test/python/gguf_blocks.py). Fails, never skips, without Python.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dequantize } from '../../../../app/checkpoint/gguf/gguf-dequantize.js';
import { dequantizeQ8, quantizeQ8, splitQ8_0, widenToQ8 } from '../../../../app/checkpoint/gguf/gguf-q8.js';
import { unpermuteRows } from '../../../../app/checkpoint/gguf/gguf-names.js';
import type { GgmlTypeName } from '../../../../app/checkpoint/gguf/gguf-types.js';
import { runPython } from '../../../helpers/python.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'colm-gguf-blocks-'));
  runPython('test/python/gguf_blocks.py', [dir], { timeoutMs: 120_000 });
}, 130_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const TYPES: GgmlTypeName[] = ['Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'BF16'];

function bytesOf(file: string): Uint8Array {
  const b = readFileSync(file);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

describe('dequantize matches gguf-py bit for bit', () => {
  it.each(TYPES)('%s', (type) => {
    const blocks = bytesOf(join(dir, `${type}.bin`));
    const expectedBytes = bytesOf(join(dir, `${type}.f32`));
    const expected = new Float32Array(expectedBytes.slice().buffer);
    const got = dequantize(type, blocks, expected.length);
    const gotBits = new Uint32Array(got.buffer);
    const expectedBits = new Uint32Array(expected.buffer);
    let mismatches = 0;
    let first = -1;
    for (let i = 0; i < expected.length; i++) {
      // NaN payloads aside, the bits must be the same (this also tells -0 from +0).
      if (gotBits[i] !== expectedBits[i] && !(Number.isNaN(got[i]) && Number.isNaN(expected[i]))) {
        mismatches++;
        if (first < 0) first = i;
      }
    }
    expect(mismatches, `first at ${first}: got ${got[first]}, expected ${expected[first]}`).toBe(0);
  });
});

describe('q8_0 parts', () => {
  it('a GGUF Q8_0 tensor splits into the same numbers', () => {
    const rows = 3;
    const cols = 64;
    const bytes = new Uint8Array(rows * (cols / 32) * 34);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 37 + 11) & 0xff;
    for (let k = 0; k < rows * 2; k++) {
      bytes[k * 34] = 0x00;
      bytes[k * 34 + 1] = 0x2c + k; // small positive F16 scales
    }
    const parts = splitQ8_0(bytes, rows, cols);
    expect(Array.from(dequantizeQ8(parts, rows * cols))).toEqual(Array.from(dequantize('Q8_0', bytes, rows * cols)));
    // The same from bytes that start at an odd offset of their buffer (the word-wise copy's slow path).
    const odd = new Uint8Array(bytes.length + 1);
    odd.set(bytes, 1);
    const shifted = splitQ8_0(odd.subarray(1), rows, cols);
    expect(Array.from(shifted.qweight)).toEqual(Array.from(parts.qweight));
    expect(Array.from(shifted.qscale)).toEqual(Array.from(parts.qscale));
    for (let k = 0; k < rows * 2; k++) expect([parts.qscale[2 * k], parts.qscale[2 * k + 1]]).toEqual([bytes[k * 34], bytes[k * 34 + 1]]);
  });

  it('re-quantization follows FORMAT-Q8.md: error at most half a step, all-zero blocks stay zero', () => {
    const values = new Float32Array(96).map((_, i) => (i < 32 ? 0 : Math.sin(i) * (i % 7)));
    const parts = quantizeQ8(values, 1, 96)!;
    const back = dequantizeQ8(parts, 96);
    for (let i = 0; i < 32; i++) expect(back[i]).toBe(0);
    for (let b = 1; b < 3; b++) {
      const block = values.slice(b * 32, b * 32 + 32);
      const step = Math.max(...block.map(Math.abs)) / 127;
      for (let i = b * 32; i < b * 32 + 32; i++) expect(Math.abs(back[i]! - values[i]!)).toBeLessThanOrEqual(step * 0.51 + 1e-3 * step * 127);
    }
    expect(quantizeQ8(new Float32Array(32).fill(1e30), 1, 32)).toBeNull();
  });
});

describe('unpermuteRows', () => {
  it('undoes convert_hf_to_gguf.py permute (rows 2p+s of a head -> s*half+p)', () => {
    // 2 heads of 4 rows, 1 byte per row: HF rows [0..7]; llama.cpp stores per head [0, 2, 1, 3].
    const stored = Uint8Array.from([0, 2, 1, 3, 4, 6, 5, 7]);
    expect(Array.from(unpermuteRows(stored, 8, 1, 2))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});

describe('Q4_0 and Q5_0 widen into q8_0 exactly', () => {
  it.each(['Q4_0', 'Q5_0'] as const)('%s: the q8_0 values (F32 scales) are the dequantized values, bit for bit', (type) => {
    const size = type === 'Q4_0' ? 18 : 22;
    const blocks = bytesOf(join(dir, `${type}.bin`)); // incl. subnormal, zero and largest scales
    const count = (blocks.length / size) * 32;
    const parts = widenToQ8(type, blocks, count / 32, 32);
    expect(parts.qscale.length).toBe((count / 32) * 4);
    const got = new Uint32Array(dequantizeQ8(parts, count, 'F32').buffer);
    const want = new Uint32Array(dequantize(type, blocks, count).buffer);
    expect(Array.from(got)).toEqual(Array.from(want));
  });
});
