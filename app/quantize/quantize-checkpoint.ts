// colm quantize's work: read a checkpoint (any packaging, either storage form), quantize its chain
// linears to q8_0 (docs/FORMAT-Q8.md), and write one single-file safetensors (FORMAT.md packaging 2)
// with colm.config (+ colm_quantization), colm.tokenizer and the optional side files. What can be
// refused (an already quantized model, the output path) is refused before any weight is read.

import { resolve } from 'node:path';
import { readCheckpoint, readCheckpointTexts, writeSafetensors, type LoadPlan, type TensorToWrite } from '../checkpoint/index.js';
import { Q8_BLOCK, type ScaleDType } from './q8-rows.js';
import { QuantizeError } from './quantize-error.js';
import { quantizedTensors, type QuantizationStats, type QuantizeType } from './quantized-tensors.js';
import { TensorReader } from '../checkpoint/index.js';

export interface QuantizeOptions {
  modelPath: string;
  outPath: string; // *.safetensors
  scaleDtype?: ScaleDType; // default F16: 8.5 bits per weight instead of 9, error the same to 3 digits
  type?: QuantizeType; // default q8_0; q4_0 / q4_k: docs/FORMAT-Q4.md
  signal?: AbortSignal;
}

export interface QuantizeResult {
  source: string;
  outPath: string;
  scaleDtype: ScaleDType;
  type: QuantizeType;
  stats: QuantizationStats;
  bytesBefore: number; // weight bytes of the source
  bytesAfter: number; // weight bytes written
}

function checkOutPath(plan: LoadPlan, outPath: string): string {
  const out = resolve(outPath);
  if (!out.toLowerCase().endsWith('.safetensors')) {
    throw new QuantizeError(plan.source, `the output ${JSON.stringify(outPath)} must be a *.safetensors file (the single-file packaging)`);
  }
  // The new file replaces its path by rename; replacing a file we are reading from would lose the model.
  if (out === plan.source || plan.files.includes(out)) {
    throw new QuantizeError(plan.source, `the output ${JSON.stringify(outPath)} is the checkpoint being quantized; write it elsewhere`);
  }
  return out;
}

function quantizedConfigText(plan: LoadPlan, text: string, type: QuantizeType): string {
  const raw: unknown = JSON.parse(text); // the reader has parsed this very text already
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new QuantizeError(plan.source, 'config is not a JSON object');
  const blockSize = type === 'q4_k' ? 256 : Q8_BLOCK;
  return JSON.stringify({ ...(raw as Record<string, unknown>), colm_quantization: { format: type, block_size: blockSize } }, null, 2);
}

// Safetensors packs tensors back to back. Writing 4-byte elements first, then 2-byte, then the int8
// values keeps every tensor aligned to its element size, so the engine maps all of them in place
// (a misaligned one would cost a copy at load).
function alignedOrder(tensors: TensorToWrite[]): TensorToWrite[] {
  const width = (t: TensorToWrite) => (t.dtype === 'F32' ? 0 : t.dtype === 'I8' || t.dtype === 'U8' ? 2 : 1);
  return [...tensors].sort((a, b) => width(a) - width(b)); // stable: config order within a width
}

export async function quantizeCheckpoint(options: QuantizeOptions): Promise<QuantizeResult> {
  const plan = await readCheckpoint(options.modelPath, { signal: options.signal });
  if (plan.config.quantization !== null) {
    throw new QuantizeError(plan.source, `is already quantized (colm_quantization ${plan.config.quantization.format}); quantize the float checkpoint`);
  }
  const out = checkOutPath(plan, options.outPath);
  const scaleDtype = options.scaleDtype ?? 'F16';
  const texts = await readCheckpointTexts(plan);
  const type = options.type ?? 'q8_0';
  const configText = quantizedConfigText(plan, texts.config, type);

  const source = new TensorReader(plan);
  let built;
  try {
    built = await quantizedTensors({ source, sourcePath: plan.source, config: plan.config, widths: plan.widths, scaleDtype, type, signal: options.signal });
  } finally {
    await source.close();
  }

  const metadata: Record<string, string> = { 'colm.config': configText, 'colm.tokenizer': texts.tokenizer };
  if (texts.tokenizerConfig !== null) metadata['colm.tokenizer_config'] = texts.tokenizerConfig;
  if (texts.generationConfig !== null) metadata['colm.generation_config'] = texts.generationConfig;
  options.signal?.throwIfAborted();
  await writeSafetensors(out, alignedOrder(built.tensors), metadata);

  return {
    source: plan.source,
    outPath: out,
    scaleDtype,
    type,
    stats: built.stats,
    bytesBefore: plan.tensors.reduce((sum, t) => sum + t.byteLength, 0),
    bytesAfter: built.tensors.reduce((sum, t) => sum + t.data.byteLength, 0),
  };
}
