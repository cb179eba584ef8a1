// ggml's tensor types as a GGUF file numbers them (ggml.h, enum ggml_type): which ones this reader
// takes, and for each the block it is stored in (elements per block, bytes per block). Types we know
// by name but do not read are kept here too, so a refusal can say "IQ2_XXS", not just "16".

import type { GgmlTypeName } from './gguf-types.js';

export interface GgmlTypeInfo {
  name: GgmlTypeName;
  blockSize: number; // elements per block along the first GGUF dimension (the row)
  typeSize: number; // bytes per block
}

export const GGML_TYPES: ReadonlyMap<number, GgmlTypeInfo> = new Map<number, GgmlTypeInfo>([
  [0, { name: 'F32', blockSize: 1, typeSize: 4 }],
  [1, { name: 'F16', blockSize: 1, typeSize: 2 }],
  [2, { name: 'Q4_0', blockSize: 32, typeSize: 18 }],
  [3, { name: 'Q4_1', blockSize: 32, typeSize: 20 }],
  [6, { name: 'Q5_0', blockSize: 32, typeSize: 22 }],
  [7, { name: 'Q5_1', blockSize: 32, typeSize: 24 }],
  [8, { name: 'Q8_0', blockSize: 32, typeSize: 34 }],
  [10, { name: 'Q2_K', blockSize: 256, typeSize: 84 }],
  [11, { name: 'Q3_K', blockSize: 256, typeSize: 110 }],
  [12, { name: 'Q4_K', blockSize: 256, typeSize: 144 }],
  [13, { name: 'Q5_K', blockSize: 256, typeSize: 176 }],
  [14, { name: 'Q6_K', blockSize: 256, typeSize: 210 }],
  [30, { name: 'BF16', blockSize: 1, typeSize: 2 }],
]);

/** ggml types that exist but that this reader does not read (for the message only). */
const OTHER_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [4, 'Q4_2 (removed from ggml)'], [5, 'Q4_3 (removed from ggml)'], [9, 'Q8_1'], [15, 'Q8_K'],
  [16, 'IQ2_XXS'], [17, 'IQ2_XS'], [18, 'IQ3_XXS'], [19, 'IQ1_S'], [20, 'IQ4_NL'], [21, 'IQ3_S'],
  [22, 'IQ2_S'], [23, 'IQ4_XS'], [24, 'I8'], [25, 'I16'], [26, 'I32'], [27, 'I64'], [28, 'F64'],
  [29, 'IQ1_M'], [34, 'TQ1_0'], [35, 'TQ2_0'], [39, 'MXFP4'],
]);

export function describeGgmlType(id: number): string {
  const other = OTHER_TYPE_NAMES.get(id);
  return other === undefined ? `unknown type ${id}` : `type ${other} (${id})`;
}

export const SUPPORTED_TYPE_NAMES = [...GGML_TYPES.values()].map((t) => t.name).join(', ');

/** The info of a type by name (every GgmlTypeName has one). */
export function ggmlTypeInfo(name: GgmlTypeName): GgmlTypeInfo {
  for (const info of GGML_TYPES.values()) if (info.name === name) return info;
  throw new Error(`ggml type ${name} has no entry`);
}

export function isFloatType(name: GgmlTypeName): name is 'F32' | 'F16' | 'BF16' {
  return name === 'F32' || name === 'F16' || name === 'BF16';
}
