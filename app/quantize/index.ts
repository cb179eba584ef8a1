// 8-bit block quantization of a checkpoint's chain linears (docs/FORMAT-Q8.md): `colm quantize`.
export { quantizeCheckpoint } from './quantize-checkpoint.js';
export type { QuantizeOptions, QuantizeResult } from './quantize-checkpoint.js';
export type { QuantizationStats, QuantizeType } from './quantized-tensors.js';
export { dequantizeQ4Rows, quantizeQ4Rows, Q4_LAYOUT } from './q4-rows.js';
export type { Q4Type } from './q4-rows.js';
export { dequantizeQ8Rows, q8Blocks, quantizeQ8Rows, Q8_BLOCK } from './q8-rows.js';
export type { Q8Matrix, ScaleDType } from './q8-rows.js';
export { QuantizeError } from './quantize-error.js';
