// The old checkpoint's tensors as matrices of stored bytes (growing copies them unchanged when
// the dtype stays), read one at a time through the checkpoint's TensorReader.
import { TensorReader, type LoadPlan } from '../../checkpoint/index.js';
import type { Matrix } from './matrix.js';

export class TensorSource {
  private readonly reader: TensorReader;

  constructor(private readonly plan: LoadPlan) {
    this.reader = new TensorReader(plan);
  }

  has(name: string): boolean {
    return this.reader.has(name);
  }

  /** The distinct dtypes the old weights are stored in. */
  dtypes(): Set<string> {
    return new Set(this.plan.tensors.map((entry) => entry.dtype));
  }

  async read(name: string): Promise<Matrix> {
    const entry = this.reader.entry(name);
    if (entry.dtype === 'I8' || entry.dtype === 'Q4_0' || entry.dtype === 'Q4_K') {
      throw new Error(`${this.plan.source}: tensor ${JSON.stringify(name)} is quantized (${entry.dtype}); growing needs float weights`);
    }
    const bytes = await this.reader.bytes(name);
    const [rows, cols] = entry.shape.length === 1 ? [1, entry.shape[0] ?? 0] : [entry.shape[0] ?? 0, entry.shape[1] ?? 0];
    return { dtype: entry.dtype, rows, cols, bytes };
  }

  close(): Promise<void> {
    return this.reader.close();
  }
}
