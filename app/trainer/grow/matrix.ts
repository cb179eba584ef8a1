// A tensor's bytes seen as a row-major matrix (a 1-D tensor is one row), and the few block
// operations growth needs: cut a chain's block, put columns side by side, change the dtype.
// Blocks are cut and joined as raw bytes, so old weights reach the new file bit for bit whenever
// the output dtype is the one they were stored in; only a dtype change goes through float32.

import { bf16BitsToFloat32, f16BitsToFloat32, toBF16Bytes, toF16Bytes, toF32Bytes } from '../../checkpoint/index.js';
import type { DType } from '../../checkpoint/index.js';

const ELEMENT_BYTES: Readonly<Record<DType, number>> = { F32: 4, F16: 2, BF16: 2 };

export interface Matrix {
  dtype: DType;
  rows: number;
  cols: number;
  bytes: Uint8Array; // rows * cols little-endian elements
}

export function encodeValues(values: Float32Array, dtype: DType): Uint8Array {
  if (dtype === 'F32') return toF32Bytes(values);
  return dtype === 'F16' ? toF16Bytes(values) : toBF16Bytes(values);
}

/** The elements as float32 (F16 and BF16 widen exactly). */
export function decodeValues(matrix: Matrix): Float32Array {
  const { bytes, dtype } = matrix;
  const count = matrix.rows * matrix.cols;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Float32Array(count);
  if (dtype === 'F32') {
    for (let i = 0; i < count; i++) values[i] = view.getFloat32(i * 4, true);
  } else {
    const widen = dtype === 'F16' ? f16BitsToFloat32 : bf16BitsToFloat32;
    for (let i = 0; i < count; i++) values[i] = widen(view.getUint16(i * 2, true));
  }
  return values;
}

export function fromValues(values: Float32Array, rows: number, cols: number, dtype: DType): Matrix {
  return { dtype, rows, cols, bytes: encodeValues(values, dtype) };
}

export function constant(rows: number, cols: number, value: number, dtype: DType): Matrix {
  return fromValues(new Float32Array(rows * cols).fill(value), rows, cols, dtype);
}

export function withDtype(matrix: Matrix, dtype: DType): Matrix {
  if (matrix.dtype === dtype) return matrix;
  return fromValues(decodeValues(matrix), matrix.rows, matrix.cols, dtype);
}

/** Rows [rowStart, rowStart + rows) and columns [0, cols): a chain's block of a whole tensor. */
export function leadingBlock(matrix: Matrix, rowStart: number, rows: number, cols: number): Matrix {
  if (rowStart < 0 || rowStart + rows > matrix.rows || cols > matrix.cols) {
    throw new RangeError(`block [${rowStart}+${rows}, ${cols}] is outside a ${matrix.rows}x${matrix.cols} matrix`);
  }
  const size = ELEMENT_BYTES[matrix.dtype];
  const out = new Uint8Array(rows * cols * size);
  for (let r = 0; r < rows; r++) {
    const from = (rowStart + r) * matrix.cols * size;
    out.set(matrix.bytes.subarray(from, from + cols * size), r * cols * size);
  }
  return { dtype: matrix.dtype, rows, cols, bytes: out };
}

/** [left | right]: the old columns followed by the new chain's columns, row by row. */
export function joinColumns(left: Matrix, right: Matrix): Matrix {
  if (left.rows !== right.rows || left.dtype !== right.dtype) {
    throw new RangeError(`cannot join ${left.rows} ${left.dtype} rows with ${right.rows} ${right.dtype} rows`);
  }
  const size = ELEMENT_BYTES[left.dtype];
  const cols = left.cols + right.cols;
  const out = new Uint8Array(left.rows * cols * size);
  for (let r = 0; r < left.rows; r++) {
    out.set(left.bytes.subarray(r * left.cols * size, (r + 1) * left.cols * size), r * cols * size);
    out.set(right.bytes.subarray(r * right.cols * size, (r + 1) * right.cols * size), (r * cols + left.cols) * size);
  }
  return { dtype: left.dtype, rows: left.rows, cols, bytes: out };
}

/** Root mean square of the elements: the scale new embedding columns are drawn at. */
export function rootMeanSquare(matrix: Matrix): number {
  const values = decodeValues(matrix);
  let sum = 0;
  for (const value of values) sum += value * value;
  return values.length === 0 ? 0 : Math.sqrt(sum / values.length);
}
