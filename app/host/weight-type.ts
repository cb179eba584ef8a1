// The one word a user knows a checkpoint's weights by: F32, F16, BF16, Q8_0, or for a GGUF file the
// block type most of its weight bytes were stored in (Q4_K for a "Q4_K_M" file), even where the
// engine converted them at load.
import { readGgufFile } from '../checkpoint/gguf/gguf-file.js';
import type { LoadPlan } from '../checkpoint/types.js';

/** The plan's own word for the file's type, when its reader has one (GGUF: the dominant block type). */
function sourceWeightType(plan: LoadPlan): string | null {
  const named = (plan as { sourceWeightType?: unknown }).sourceWeightType;
  return typeof named === 'string' && named !== '' ? named : null;
}

/** The type most of a map's bytes are in. */
function dominant(bytes: Map<string, number>, fallback: string): string {
  let best = fallback;
  let most = -1;
  for (const [name, n] of bytes) {
    if (n > most) {
      best = name;
      most = n;
    }
  }
  return best;
}

/**
 * A GGUF file's own type: the block type holding most of its matrices' bytes (a "Q4_K_M" file is
 * mostly Q4_K, with some Q6_K). Read from the header, since the engine may run the weights as
 * another type (Q4_K is dequantized and kept as Q8_0). null when the header cannot be read.
 */
export async function ggufWeightType(path: string): Promise<string | null> {
  try {
    const gguf = await readGgufFile(path);
    const bytes = new Map<string, number>();
    for (const t of gguf.tensors) {
      if (t.shape.length < 2) continue; // norms and biases stay F32 in every file type
      bytes.set(t.type, (bytes.get(t.type) ?? 0) + t.byteLength);
    }
    return bytes.size === 0 ? null : dominant(bytes, 'F32');
  } catch {
    return null;
  }
}

/** For a GGUF, the file's own type (ggufWeightType); for the rest, what the plan's tensors are. */
export async function weightTypeOfFile(plan: LoadPlan): Promise<string> {
  if (plan.packaging === 'gguf' && sourceWeightType(plan) === null) return (await ggufWeightType(plan.source)) ?? weightTypeOf(plan);
  return weightTypeOf(plan);
}

export function weightTypeOf(plan: LoadPlan): string {
  const source = sourceWeightType(plan);
  if (source !== null) return source;
  if (plan.config.quantization !== null) return plan.config.quantization.format.toUpperCase(); // q8_0 -> Q8_0
  // The dtype holding the most bytes: norms stay F32 in a BF16 checkpoint, and are not what it is.
  const bytes = new Map<string, number>();
  for (const t of plan.tensors) {
    const name = t.dtype === 'I8' ? 'Q8_0' : t.dtype;
    bytes.set(name, (bytes.get(name) ?? 0) + t.byteLength);
  }
  return dominant(bytes, 'F32');
}
