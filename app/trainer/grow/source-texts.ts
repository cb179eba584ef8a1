// The old checkpoint's config and side files as text, exactly as stored. The LoadPlan has them
// parsed, but the grown file should keep every config key we do not change (architectures,
// rope_scaling, token ids, keys other tools read) and the tokenizer byte for byte.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readSafetensorsHeader, type LoadPlan } from '../../checkpoint/index.js';

export interface SourceTexts {
  config: string;
  tokenizer: string;
  tokenizerConfig: string | null;
  generationConfig: string | null;
}

async function folderTexts(plan: LoadPlan): Promise<SourceTexts> {
  const text = (name: string) => readFile(join(plan.source, name), 'utf8');
  return {
    config: await text('config.json'),
    tokenizer: await text('tokenizer.json'),
    // The reader already knows which optional files exist; read only those.
    tokenizerConfig: plan.tokenizerConfig === null ? null : await text('tokenizer_config.json'),
    generationConfig: plan.generationConfig === null ? null : await text('generation_config.json'),
  };
}

async function singleFileTexts(plan: LoadPlan): Promise<SourceTexts> {
  const { metadata } = await readSafetensorsHeader(plan.files[0] ?? plan.source);
  const get = (key: string): string | null => (Object.prototype.hasOwnProperty.call(metadata, key) ? (metadata[key] ?? null) : null);
  return {
    config: get('colm.config') ?? '{}',
    tokenizer: get('colm.tokenizer') ?? JSON.stringify(plan.tokenizerJson),
    tokenizerConfig: get('colm.tokenizer_config'),
    generationConfig: get('colm.generation_config'),
  };
}

export function readSourceTexts(plan: LoadPlan): Promise<SourceTexts> {
  return plan.packaging === 'single-file' ? singleFileTexts(plan) : folderTexts(plan);
}
