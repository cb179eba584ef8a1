// Synthetic checkpoints for tests: the fixtures' byte-level tokenizer (vocabulary 300).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { writeSyntheticCheckpoint as write, type SyntheticConfig } from '../../app/checkpoint/synthetic-checkpoint.js';

const tokenizerJson = readFileSync(resolve('test/fixtures/models/llama_gqa/tokenizer.json'), 'utf8');

export function writeSyntheticCheckpoint(path: string, cfg: Omit<SyntheticConfig, 'tokenizerJson' | 'vocabSize'>): Promise<void> {
  return write(path, { ...cfg, tokenizerJson, vocabSize: 300 });
}
