// The addon's GGUF Q8_0 splitter (splitQ8Blocks, used by loadModel for a GGUF's Q8_0 tensors)
// against the JavaScript one it replaces (splitQ8_0), on random blocks at an unaligned offset of
// a file; and its refusals (a range past the end, a length that is not whole blocks, no file).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { splitQ8_0 } from '../../app/checkpoint/gguf/gguf-q8.js';
import { loadAddon } from '../../app/engine/native.js';

let dir = '';
let file = '';
const rows = 7;
const cols = 96; // 3 blocks a row
const offset = 13; // not a multiple of anything the blocks care about
const blockBytes = rows * (cols / 32) * 34;
let blocks: Uint8Array;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'colm-q8split-'));
  file = join(dir, 'blocks.bin');
  blocks = new Uint8Array(blockBytes);
  let seed = 12345;
  for (let i = 0; i < blocks.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    blocks[i] = seed >>> 24;
  }
  const contents = new Uint8Array(offset + blockBytes + 5);
  contents.set(blocks, offset);
  writeFileSync(file, contents);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('splitQ8Blocks', () => {
  it('splits exactly as splitQ8_0 does', () => {
    const addon = loadAddon();
    expect(typeof addon.splitQ8Blocks).toBe('function');
    const native = addon.splitQ8Blocks!(file, offset, blockBytes);
    const js = splitQ8_0(blocks, rows, cols);
    expect(native.qweight.length).toBe(rows * cols);
    expect(native.qscale.length).toBe((rows * cols) / 32 * 2);
    expect(Buffer.from(native.qweight).equals(Buffer.from(js.qweight))).toBe(true);
    expect(Buffer.from(native.qscale).equals(Buffer.from(js.qscale))).toBe(true);
  });

  it('refuses a range past the end of the file, naming it', () => {
    expect(() => loadAddon().splitQ8Blocks!(file, offset + 34, blockBytes)).toThrow(/blocks\.bin.*runs past the end of the file/);
  });

  it('refuses a length that is not whole blocks', () => {
    expect(() => loadAddon().splitQ8Blocks!(file, offset, 35)).toThrow(/not whole blocks of 34 bytes/);
  });

  it('refuses a missing file, naming it', () => {
    expect(() => loadAddon().splitQ8Blocks!(join(dir, 'gone.bin'), 0, 34)).toThrow(/gone\.bin/);
  });
});
