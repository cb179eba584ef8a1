// colm grow's work: read a checkpoint, append one chain (progressive scaling, COLM.md), and write
// the grown model as one single-file safetensors (FORMAT.md packaging 2). Everything that can be
// refused (the ratio, the widths, the output path) is refused before any weight is read.

import { resolve } from 'node:path';
import { chainWidths, readCheckpoint, totalStoredParameters, writeSafetensors } from '../../checkpoint/index.js';
import type { ColmConfig, DType, LoadPlan } from '../../checkpoint/index.js';
import { growConfig } from './grow-config.js';
import { GrowError } from './grow-error.js';
import { growTensors } from './grown-tensors.js';
import { readCheckpointTexts } from '../../checkpoint/index.js';
import { TensorSource } from './tensor-source.js';

export interface GrowOptions {
  modelPath: string;
  /** The new chain's ratio c: it gets c/sum(old chains) of the old widths. */
  addChain: number;
  outPath: string; // *.safetensors
  seed?: number; // default 0
  dtype?: DType; // default: the old weights' dtype, F32 when they are mixed
}

export interface GrowResult {
  source: string;
  outPath: string;
  before: ColmConfig;
  after: ColmConfig;
  dtype: DType;
  parameters: { before: number; after: number };
  bytes: number;
}

/** One dtype for the whole file: the old one when there is one, else F32, which holds every value. */
function defaultDtype(plan: LoadPlan): DType {
  const dtypes = new Set(plan.tensors.map((t) => t.dtype));
  const [only] = dtypes;
  return dtypes.size === 1 && only !== undefined && only !== 'I8' && only !== 'Q4_0' && only !== 'Q4_K' ? only : 'F32';
}

function checkOutPath(plan: LoadPlan, outPath: string): string {
  const out = resolve(outPath);
  if (!out.toLowerCase().endsWith('.safetensors')) {
    throw new GrowError(plan.source, `the output ${JSON.stringify(outPath)} must be a *.safetensors file (the single-file packaging)`);
  }
  // The new file replaces its path by rename; replacing a file we are reading from would lose the seed.
  if (out === plan.source || plan.files.includes(out)) {
    throw new GrowError(plan.source, `the output ${JSON.stringify(outPath)} is the checkpoint being grown; write the grown model elsewhere`);
  }
  return out;
}

function parseRawConfig(plan: LoadPlan, text: string): Record<string, unknown> {
  const raw: unknown = JSON.parse(text); // the reader has parsed this very text already
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new GrowError(plan.source, 'config is not a JSON object');
  return raw as Record<string, unknown>;
}

export async function growCheckpoint(options: GrowOptions): Promise<GrowResult> {
  const plan = await readCheckpoint(options.modelPath);
  if (plan.config.quantization !== null) {
    throw new GrowError(plan.source, 'is quantized (colm_quantization q8_0); grow the float checkpoint, then quantize the grown one');
  }
  const ratio = options.addChain;
  if (!Number.isInteger(ratio) || ratio < 1) throw new GrowError(plan.source, `the new chain's ratio must be a positive integer, got ${ratio}`);
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new GrowError(plan.source, `the seed must be a non-negative integer, got ${seed}`);
  const out = checkOutPath(plan, options.outPath);
  const dtype = options.dtype ?? defaultDtype(plan);
  const texts = await readCheckpointTexts(plan);
  const grown = growConfig(plan.source, parseRawConfig(plan, texts.config), plan.config, ratio, dtype);

  const source = new TensorSource(plan);
  let tensors;
  try {
    tensors = await growTensors({
      source,
      old: { config: plan.config, widths: plan.widths },
      grown: { config: grown.config, widths: chainWidths(grown.config) },
      dtype,
      seed,
    });
  } finally {
    await source.close();
  }

  const metadata: Record<string, string> = {
    'colm.config': JSON.stringify(grown.json, null, 2),
    'colm.tokenizer': texts.tokenizer,
  };
  if (texts.tokenizerConfig !== null) metadata['colm.tokenizer_config'] = texts.tokenizerConfig;
  if (texts.generationConfig !== null) metadata['colm.generation_config'] = texts.generationConfig;
  await writeSafetensors(out, tensors, metadata);

  return {
    source: plan.source,
    outPath: out,
    before: plan.config,
    after: grown.config,
    dtype,
    parameters: { before: totalStoredParameters(plan.config), after: totalStoredParameters(grown.config) },
    bytes: tensors.reduce((sum, t) => sum + t.data.byteLength, 0),
  };
}
