// Load plans of the committed fixtures, read back: the plan a checkpoint gives (no tokenizer), and
// a plan tensor's values as float32.
import { readFileSync, statSync } from 'node:fs';

import { chainWidths } from '../../app/checkpoint/chain-widths.js';
import { expectedTensors } from '../../app/checkpoint/expected-tensors.js';
import { bf16BitsToFloat32, f16BitsToFloat32 } from '../../app/checkpoint/float-bits.js';
import { readFolderCheckpoint } from '../../app/checkpoint/folder-checkpoint.js';
import { matchTensors } from '../../app/checkpoint/match-tensors.js';
import { readSingleFileCheckpoint } from '../../app/checkpoint/single-file-checkpoint.js';
import type { LoadPlan, TensorEntry } from '../../app/checkpoint/types.js';

export async function planOf(path: string): Promise<LoadPlan> {
  const parts = statSync(path).isDirectory() ? await readFolderCheckpoint(path, {}) : await readSingleFileCheckpoint(path);
  const widths = chainWidths(parts.config);
  const tensors = matchTensors(expectedTensors(parts.config, widths), parts.tensors, parts.weightsFile, parts.config.chains.length);
  return { source: path, packaging: parts.packaging, config: parts.config, widths, files: parts.files, tensors, tokenizerJson: null, tokenizerConfig: null, generationConfig: null };
}

/** A plan tensor's values as float32, whatever float dtype it is stored in. */
export function floatsOf(plan: LoadPlan, e: TensorEntry): Float32Array {
  const b = readFileSync(plan.files[e.file]!).subarray(e.offset, e.offset + e.byteLength);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const n = e.shape.reduce((a, x) => a * x, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = e.dtype === 'F32' ? view.getFloat32(4 * i, true) : e.dtype === 'F16' ? f16BitsToFloat32(view.getUint16(2 * i, true)) : bf16BitsToFloat32(view.getUint16(2 * i, true));
  }
  return out;
}
