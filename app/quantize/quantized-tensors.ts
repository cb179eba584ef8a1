// The tensors of the quantized checkpoint: every chain linear becomes .qweight/.qscale pairs, per
// chain when n > 1 (a whole stored matrix is cut into its chains' blocks first, so structural zeros
// are neither stored nor scaled), whole when n = 1; every other tensor is copied byte for byte,
// biases and qk-norm weights included (they stay float: small, and added after the matmul).

import { expectedTensors, type ChainLinearSpec } from '../checkpoint/expected-tensors.js';
import type { ColmConfig, ChainWidths, TensorToWrite } from '../checkpoint/index.js';
import { dequantizeQ8Rows, q8Blocks, q8Bytes, quantizeQ8Rows, type ScaleDType } from './q8-rows.js';
import { dequantizeQ4Rows, quantizeQ4Rows, Q4_LAYOUT, type Q4Type } from './q4-rows.js';
import { QuantizeError } from './quantize-error.js';
import type { TensorReader } from '../checkpoint/index.js';

/** How far the quantized chain linears are from the originals, over every weight. */
export interface QuantizationStats {
  matrices: number; // quantized matrices (chain blocks)
  weights: number; // quantized values
  sumSquares: number; // sum of w^2
  sumSquaredErrors: number; // sum of (w - dequantized w)^2
  maxAbsError: number;
  /** q4_0 / q4_k: chain linears stored as q8_0 pairs because a K-extent is not a whole number of blocks. */
  fallbacks: string[];
}

/** What the chain linears become: q8_0 pairs (docs/FORMAT-Q8.md) or 4-bit blocks (docs/FORMAT-Q4.md). */
export type QuantizeType = 'q8_0' | Q4Type;

export interface QuantizeInput {
  source: TensorReader;
  sourcePath: string;
  config: ColmConfig;
  widths: ChainWidths;
  scaleDtype: ScaleDType;
  type?: QuantizeType; // default q8_0
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
  readonly stats: QuantizationStats = { matrices: 0, weights: 0, sumSquares: 0, sumSquaredErrors: 0, maxAbsError: 0, fallbacks: [] };
  // Set per chain linear: the 4-bit type its blocks get, or null for q8_0 pairs.
  private q4: Q4Type | null = null;

  constructor(private readonly input: QuantizeInput) {}

  private count(values: Float32Array, back: Float32Array): void {
    for (let i = 0; i < values.length; i++) {
      const w = values[i]!;
      const e = Math.abs(w - back[i]!);
      this.stats.sumSquares += w * w;
      this.stats.sumSquaredErrors += e * e;
      if (e > this.stats.maxAbsError) this.stats.maxAbsError = e;
    }
    this.stats.matrices += 1;
    this.stats.weights += values.length;
  }

  /** `prefix.q4_0` / `prefix.q4_k`: U8 [rows, bytes per row] of whole blocks. */
  private addQ4(type: Q4Type, prefix: string, values: Float32Array, rows: number, cols: number, from: string): void {
    if (!values.every(Number.isFinite)) throw new QuantizeError(this.input.sourcePath, 'holds a value that is not finite', from);
    const bytes = quantizeQ4Rows(type, values, rows, cols);
    this.count(values, dequantizeQ4Rows(type, bytes, values.length));
    this.tensors.push({ name: `${prefix}.${type}`, dtype: 'U8', shape: [rows, bytes.length / Math.max(rows, 1)], data: bytes });
  }

  private addPair(prefix: string, values: Float32Array, rows: number, cols: number, from: string): void {
    if (this.q4 !== null) return this.addQ4(this.q4, prefix, values, rows, cols, from);
    const q = quantizeQ8Rows(values, rows, cols, this.input.scaleDtype);
    if ('overflowRow' in q) {
      const why = this.input.scaleDtype === 'F16' ? 'its scale overflows F16; use --scale-dtype F32' : 'it holds a value that is not finite';
      throw new QuantizeError(this.input.sourcePath, `row ${q.overflowRow} cannot be quantized: ${why}`, from);
    }
    this.count(values, dequantizeQ8Rows(q));
    const bytes = q8Bytes(q);
    this.tensors.push({ name: `${prefix}.qweight`, dtype: 'I8', shape: [rows, cols], data: bytes.qweight });
    this.tensors.push({ name: `${prefix}.qscale`, dtype: this.input.scaleDtype, shape: [rows, q8Blocks(cols)], data: bytes.qscale });
  }

  async copy(name: string): Promise<void> {
    const entry = this.input.source.entry(name);
    if (entry.dtype === 'I8') throw new QuantizeError(this.input.sourcePath, 'is I8, which only a quantized checkpoint holds', name);
    if (entry.dtype === 'Q4_0' || entry.dtype === 'Q4_K') throw new QuantizeError(this.input.sourcePath, `is ${entry.dtype}, which only a quantized checkpoint holds`, name);
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
    // docs/FORMAT-Q4.md: a chain linear is 4-bit only when every chain's K-extent is a whole
    // number of blocks; otherwise it is stored as q8_0 pairs, and said so.
    const type = this.input.type ?? 'q8_0';
    this.q4 = null;
    if (type !== 'q8_0') {
      const block = Q4_LAYOUT[type].blockWeights;
      if (spec.cumIn.slice(1).every((k) => k % block === 0)) this.q4 = type;
      else this.stats.fallbacks.push(spec.base);
    }
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
