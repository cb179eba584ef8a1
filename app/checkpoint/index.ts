// The checkpoint module's public face: read a path into a validated LoadPlan, and the pieces the
// trainer and the UI use on their own (config rules, widths, parameter counts, safetensors I/O).

export type * from './types.js';
export { CheckpointError } from './errors.js';
export { readCheckpoint } from './read-checkpoint.js';
export { readCheckpointTexts } from './checkpoint-texts.js';
export type { CheckpointTexts } from './checkpoint-texts.js';
export type { ReadOptions } from './checkpoint-parts.js';
export { parseConfig, chainWidths, parameterCounts, totalStoredParameters } from './config.js';
export { readSafetensorsHeader, parseSafetensorsHeader, parseSafetensorsBytes, MAX_HEADER_BYTES } from './safetensors.js';
export type { SafetensorsHeader, SafetensorsTensor } from './safetensors.js';
export { writeSafetensors, encodeSafetensorsHeader } from './safetensors-writer.js';
export type { TensorToWrite } from './safetensors-writer.js';
export {
  float32ToF16Bits,
  float32ToBF16Bits,
  f16BitsToFloat32,
  bf16BitsToFloat32,
  toF32Bytes,
  toF16Bytes,
  toBF16Bytes,
} from './float-bits.js';
export { TensorReader } from './tensor-reader.js';
