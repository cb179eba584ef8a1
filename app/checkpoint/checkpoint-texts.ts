// A checkpoint's config and side files as the text it stores. The LoadPlan has them parsed, but a
// tool that writes a new checkpoint from an old one (colm quantize) keeps every config key it does
// not change (architectures, token ids, keys other tools read) and the tokenizer byte for byte.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readSafetensorsHeader } from './safetensors.js';
import type { LoadPlan } from './types.js';

export interface CheckpointTexts {
  config: string;
  tokenizer: string;
  tokenizerConfig: string | null;
  generationConfig: string | null;
}

async function folderTexts(plan: LoadPlan): Promise<CheckpointTexts> {
  const text = (name: string) => readFile(join(plan.source, name), 'utf8');
  return {
    config: await text('config.json'),
    tokenizer: await text('tokenizer.json'),
    // The reader already knows which optional files exist; read only those.
    tokenizerConfig: plan.tokenizerConfig === null ? null : await text('tokenizer_config.json'),
    generationConfig: plan.generationConfig === null ? null : await text('generation_config.json'),
  };
}

async function singleFileTexts(plan: LoadPlan): Promise<CheckpointTexts> {
  const { metadata } = await readSafetensorsHeader(plan.files[0] ?? plan.source);
  const get = (key: string): string | null => (Object.prototype.hasOwnProperty.call(metadata, key) ? (metadata[key] ?? null) : null);
  return {
    config: get('colm.config') ?? JSON.stringify({}),
    tokenizer: get('colm.tokenizer') ?? JSON.stringify(plan.tokenizerJson),
    tokenizerConfig: get('colm.tokenizer_config'),
    generationConfig: get('colm.generation_config'),
  };
}

export function readCheckpointTexts(plan: LoadPlan): Promise<CheckpointTexts> {
  return plan.packaging === 'single-file' ? singleFileTexts(plan) : folderTexts(plan);
}
