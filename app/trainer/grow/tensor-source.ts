// Reads an old checkpoint's tensors straight from its safetensors files at the offsets the
// LoadPlan gives (the reader has already proven them in bounds), one tensor at a time, so growing
// never needs the native engine and never holds more of the old model than the tensor at hand.

import { open, type FileHandle } from 'node:fs/promises';
import type { LoadPlan, TensorEntry } from '../../checkpoint/index.js';
import type { Matrix } from './matrix.js';

export class TensorSource {
  private readonly entries: Map<string, TensorEntry>;
  private readonly handles = new Map<number, FileHandle>();

  constructor(private readonly plan: LoadPlan) {
    this.entries = new Map(plan.tensors.map((entry) => [entry.name, entry]));
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The distinct dtypes the old weights are stored in. */
  dtypes(): Set<string> {
    return new Set(this.plan.tensors.map((entry) => entry.dtype));
  }

  async read(name: string): Promise<Matrix> {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`${this.plan.source}: tensor ${JSON.stringify(name)} is not in the checkpoint`);
    const handle = await this.handle(entry.file);
    const bytes = new Uint8Array(entry.byteLength);
    let done = 0;
    while (done < bytes.byteLength) {
      const { bytesRead } = await handle.read(bytes, done, bytes.byteLength - done, entry.offset + done);
      if (bytesRead === 0) throw new Error(`${this.plan.files[entry.file]}: tensor ${JSON.stringify(name)} ends past the end of the file`);
      done += bytesRead;
    }
    if (entry.dtype === 'I8') throw new Error(`${this.plan.source}: tensor ${JSON.stringify(name)} is quantized (I8); growing needs float weights`);
    const [rows, cols] = entry.shape.length === 1 ? [1, entry.shape[0] ?? 0] : [entry.shape[0] ?? 0, entry.shape[1] ?? 0];
    return { dtype: entry.dtype, rows, cols, bytes };
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
