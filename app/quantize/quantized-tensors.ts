// The tensors of the quantized checkpoint: every chain linear becomes .qweight/.qscale pairs, per
// chain when n > 1 (a whole stored matrix is cut into its chains' blocks first, so structural zeros
// are neither stored nor scaled), whole when n = 1; every other tensor is copied byte for byte,
// biases and qk-norm weights included (they stay float: small, and added after the matmul).

import { expectedTensors, type ChainLinearSpec } from '../checkpoint/expected-tensors.js';
import type { ColmConfig, ChainWidths, TensorToWrite } from '../checkpoint/index.js';
import { dequantizeQ8Rows, q8Blocks, q8Bytes, quantizeQ8Rows, type ScaleDType } from './q8-rows.js';
import { QuantizeError } from './quantize-error.js';
import type { TensorReader } from '../checkpoint/index.js';

/** How far the quantized chain linears are from the originals, over every weight. */
export interface QuantizationStats {
  matrices: number; // quantized matrices (chain blocks)
  weights: number; // quantized values
  sumSquares: number; // sum of w^2
  sumSquaredErrors: number; // sum of (w - dequantized w)^2
  maxAbsError: number;
}

export interface QuantizeInput {
  source: TensorReader;
  sourcePath: string;
  config: ColmConfig;
  widths: ChainWidths;
  scaleDtype: ScaleDType;
  signal?: AbortSignal;
}

function cumulative(widths: number[]): number[] {
  const out = [0];
  for (const w of widths) out.push(out[out.length - 1]! + w);
  return out;
}

/** Rows [rowStart, rowStart + rows) and columns [0, cols) of a (?, stride) row-major matrix. */
function leadingBlock(values: Float32Array, stride: number, rowStart: number, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) out.set(values.subarray((rowStart + r) * stride, (rowStart + r) * stride + cols), r * cols);
  return out;
}

class Quantizer {
  readonly tensors: TensorToWrite[] = [];
  readonly stats: QuantizationStats = { matrices: 0, weights: 0, sumSquares: 0, sumSquaredErrors: 0, maxAbsError: 0 };

  constructor(private readonly input: QuantizeInput) {}

  private addPair(prefix: string, values: Float32Array, rows: number, cols: number, from: string): void {
    const q = quantizeQ8Rows(values, rows, cols, this.input.scaleDtype);
    if ('overflowRow' in q) {
      const why = this.input.scaleDtype === 'F16' ? 'its scale overflows F16; use --scale-dtype F32' : 'it holds a value that is not finite';
      throw new QuantizeError(this.input.sourcePath, `row ${q.overflowRow} cannot be quantized: ${why}`, from);
    }
    const back = dequantizeQ8Rows(q);
    for (let i = 0; i < values.length; i++) {
      const w = values[i]!;
      const e = Math.abs(w - back[i]!);
      this.stats.sumSquares += w * w;
      this.stats.sumSquaredErrors += e * e;
      if (e > this.stats.maxAbsError) this.stats.maxAbsError = e;
    }
    this.stats.matrices += 1;
    this.stats.weights += values.length;
    const bytes = q8Bytes(q);
    this.tensors.push({ name: `${prefix}.qweight`, dtype: 'I8', shape: [rows, cols], data: bytes.qweight });
    this.tensors.push({ name: `${prefix}.qscale`, dtype: this.input.scaleDtype, shape: [rows, q8Blocks(cols)], data: bytes.qscale });
  }

  async copy(name: string): Promise<void> {
    const entry = this.input.source.entry(name);
    if (entry.dtype === 'I8') throw new QuantizeError(this.input.sourcePath, 'is I8, which only a quantized checkpoint holds', name);
    this.tensors.push({ name, dtype: entry.dtype, shape: entry.shape, data: await this.input.source.bytes(name) });
  }

  /** A chain linear's bias, in whichever form (whole or per chain) the source stores it. */
  private async copyBias(spec: ChainLinearSpec): Promise<void> {
    if (!spec.bias) return;
    const { source } = this.input;
    if (source.has(`${spec.base}.bias`)) {
      await this.copy(`${spec.base}.bias`);
      return;
    }
    for (let i = 0; i < spec.outWidths.length; i++) await this.copy(`${spec.base}.chains.${i}.bias`);
  }

  async chainLinear(spec: ChainLinearSpec): Promise<void> {
    await this.copyBias(spec);
    const { source } = this.input;
    const n = spec.outWidths.length;
    const outCum = cumulative(spec.outWidths);
    const wholeName = `${spec.base}.weight`;
    if (source.has(wholeName)) {
      const values = await source.floats(wholeName);
      const cols = spec.cumIn[n]!;
      if (n === 1) {
        this.addPair(spec.base, values, outCum[1]!, cols, wholeName);
        return;
      }
      for (let i = 0; i < n; i++) {
        const rows = spec.outWidths[i]!;
        const blockCols = spec.cumIn[i + 1]!;
        this.addPair(`${spec.base}.chains.${i}`, leadingBlock(values, cols, outCum[i]!, rows, blockCols), rows, blockCols, wholeName);
      }
      return;
    }
    for (let i = 0; i < n; i++) {
      const name = `${spec.base}.chains.${i}.weight`;
      this.addPair(`${spec.base}.chains.${i}`, await source.floats(name), spec.outWidths[i]!, spec.cumIn[i + 1]!, name);
    }
  }
}

/** Every tensor of the quantized checkpoint, in the order the config lists them. */
export async function quantizedTensors(input: QuantizeInput): Promise<{ tensors: TensorToWrite[]; stats: QuantizationStats }> {
  const quantizer = new Quantizer(input);
  for (const spec of expectedTensors(input.config, input.widths)) {
    input.signal?.throwIfAborted();
    if (spec.kind === 'dense') await quantizer.copy(spec.name);
    else if (spec.kind === 'chain-linear') await quantizer.chainLinear(spec);
    // 'ignored': a stored copy of a tied LM head stays out of the new file.
  }
  return { tensors: quantizer.tensors, stats: quantizer.stats };
}
