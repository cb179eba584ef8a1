// Reads a checkpoint's tensors straight from its safetensors files at the offsets the LoadPlan
// gives (the reader has proven them in bounds), one tensor at a time: as raw bytes to copy, or as
// float32 values. Tools that write a new checkpoint from an old one (colm grow, colm quantize)
// never need the native engine and never hold more of the old model than the tensor at hand. Typed-array views assume a little-endian host, as safetensors does
// (every platform Node runs this app on is).

import { open, type FileHandle } from 'node:fs/promises';
import { f16BitsToFloat32 } from './float-bits.js';
import type { LoadPlan, TensorEntry } from './types.js';

let f16Table: Float32Array | null = null;

/** All 65536 F16 values widened once: a table lookup is far faster than decoding each element. */
function f16Values(): Float32Array {
  if (f16Table === null) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16BitsToFloat32(h);
  }
  return f16Table;
}

export class TensorReader {
  private readonly entries: Map<string, TensorEntry>;
  private readonly handles = new Map<number, FileHandle>();

  constructor(private readonly plan: LoadPlan) {
    this.entries = new Map(plan.tensors.map((entry) => [entry.name, entry]));
  }

  entry(name: string): TensorEntry {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`${this.plan.source}: tensor ${JSON.stringify(name)} is not in the checkpoint`);
    return entry;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The stored bytes, in a buffer of their own (offset 0, so typed views line up). */
  async bytes(name: string): Promise<Uint8Array> {
    const entry = this.entry(name);
    const handle = await this.handle(entry.file);
    const bytes = new Uint8Array(entry.byteLength);
    let done = 0;
    while (done < bytes.byteLength) {
      const { bytesRead } = await handle.read(bytes, done, bytes.byteLength - done, entry.offset + done);
      if (bytesRead === 0) throw new Error(`${this.plan.files[entry.file]}: tensor ${JSON.stringify(name)} ends past the end of the file`);
      done += bytesRead;
    }
    return bytes;
  }

  /** The elements as float32 (F16 and BF16 widen exactly). */
  async floats(name: string): Promise<Float32Array> {
    const entry = this.entry(name);
    const bytes = await this.bytes(name);
    if (entry.dtype === 'F32') return new Float32Array(bytes.buffer, 0, bytes.byteLength / 4);
    if (entry.dtype === 'I8') throw new Error(`${this.plan.source}: tensor ${JSON.stringify(name)} is quantized (I8): float weights are needed`);
    const halves = new Uint16Array(bytes.buffer, 0, bytes.byteLength / 2);
    const out = new Float32Array(halves.length);
    if (entry.dtype === 'F16') {
      const table = f16Values();
      for (let i = 0; i < halves.length; i++) out[i] = table[halves[i]!]!;
    } else {
      // BF16 is the top half of a float32.
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < halves.length; i++) bits[i] = halves[i]! << 16;
    }
    return out;
  }

  private async handle(file: number): Promise<FileHandle> {
    let handle = this.handles.get(file);
    if (!handle) {
      handle = await open(this.plan.files[file] ?? '', 'r');
      this.handles.set(file, handle);
    }
    return handle;
  }

  async close(): Promise<void> {
    const handles = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(handles.map((handle) => handle.close()));
  }
}
