// The TypeScript Q4 quantizers and dequantizers (app/quantize/q4-rows.ts, docs/FORMAT-Q4.md)
// against gguf-py, through the fixture native/tests/make_q4_fixture.py writes for the native tests
// (random blocks with gguf-py's dequantization, rows with gguf-py's Q4_0 quantization), and the
// safetensors reader's U8 `X.q4_0` / `X.q4_k` form.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { CheckpointError, parseSafetensorsBytes } from '../../../app/checkpoint/index.js';
import { dequantizeQ4Rows, quantizeQ4Rows } from '../../../app/quantize/index.js';

const fixture = readFileSync('native/tests/q4_fixture.h', 'utf8');

function array(name: string): number[] {
  const m = new RegExp(`${name}\\[\\d+\\] = \\{([^}]*)\\}`).exec(fixture);
  if (!m) throw new Error(`${name} is not in the fixture`);
  return m[1]!.split(',').map((v) => Number.parseInt(v.replace(/u$/, ''), v.startsWith('0x') ? 16 : 10));
}

const bytes = (name: string) => Uint8Array.from(array(name));
const floats = (name: string) => new Float32Array(Uint32Array.from(array(name)).buffer);

describe('Q4 blocks against gguf-py, bit for bit', () => {
  it('dequantizes Q4_0 and Q4_K', () => {
    const q40 = floats('kQ40Dequantized');
    expect(Array.from(dequantizeQ4Rows('q4_0', bytes('kQ40Blocks'), q40.length))).toEqual(Array.from(q40));
    const q4k = floats('kQ4KDequantized');
    expect(Array.from(dequantizeQ4Rows('q4_k', bytes('kQ4KBlocks'), q4k.length))).toEqual(Array.from(q4k));
  });

  it('quantizes Q4_0 with llama.cpp\'s reference rule', () => {
    const x = floats('kQ40Inputs');
    expect(Array.from(quantizeQ4Rows('q4_0', x, 1, x.length))).toEqual(array('kQ40Quantized'));
  });

  it('quantizes Q4_K (min/max rule) within a step of every value', () => {
    const x = new Float32Array(512).map((_, i) => Math.sin(i * 0.37) * 0.03 + 0.004 * Math.cos(i));
    const back = dequantizeQ4Rows('q4_k', quantizeQ4Rows('q4_k', x, 2, 256), 512);
    let err = 0;
    let ref = 0;
    x.forEach((v, i) => {
      err += (v - back[i]!) ** 2;
      ref += v * v;
    });
    expect(Math.sqrt(err / ref)).toBeLessThan(0.12);
  });
});

describe('safetensors: U8 4-bit blocks', () => {
  function file(entries: Record<string, unknown>, dataBytes: number): Uint8Array {
    const header = new TextEncoder().encode(JSON.stringify(entries));
    const out = new Uint8Array(8 + header.length + dataBytes);
    new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
    out.set(header, 8);
    return out;
  }

  it('reads X.q4_0 as the weight X.weight of dtype Q4_0, shape in weights', () => {
    const h = parseSafetensorsBytes('m.safetensors', file({ 'a.q4_0': { dtype: 'U8', shape: [3, 36], data_offsets: [0, 108] } }, 108));
    expect(h.tensors[0]).toMatchObject({ name: 'a.weight', dtype: 'Q4_0', shape: [3, 64], byteLength: 108 });
    const k = parseSafetensorsBytes('m.safetensors', file({ 'b.chains.1.q4_k': { dtype: 'U8', shape: [2, 144], data_offsets: [0, 288] } }, 288));
    expect(k.tensors[0]).toMatchObject({ name: 'b.chains.1.weight', dtype: 'Q4_K', shape: [2, 256] });
  });

  it.each([
    [{ 'a.weight': { dtype: 'U8', shape: [2, 18], data_offsets: [0, 36] } }, /only for 4-bit blocks/],
    [{ 'a.q4_0': { dtype: 'U8', shape: [2, 20], data_offsets: [0, 40] } }, /not a whole number of 18-byte Q4_0 blocks/],
    [{ 'a.q4_k': { dtype: 'U8', shape: [288], data_offsets: [0, 288] } }, /shape must be \[rows, bytes per row\]/],
    [{ 'a.q4_0': { dtype: 'U8', shape: [2, 18], data_offsets: [0, 30] } }, /span 30 bytes/],
  ])('refuses %j', (entries, rule) => {
    expect(() => parseSafetensorsBytes('m.safetensors', file(entries, 40 * 8))).toThrow(CheckpointError);
    expect(() => parseSafetensorsBytes('m.safetensors', file(entries, 40 * 8))).toThrow(rule);
  });
});
