// path -> LoadPlan: picks the packaging, reads config, side files and safetensors headers (never the
// weights), and matches the tensors against the config, so the native engine gets only checked input.

import { stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, resolve } from 'node:path';
import { chainWidths } from './chain-widths.js';
import type { CheckpointParts, ReadOptions } from './checkpoint-parts.js';
import { CheckpointError } from './errors.js';
import { expectedTensors } from './expected-tensors.js';
import { readFolderCheckpoint } from './folder-checkpoint.js';
import { matchTensors } from './match-tensors.js';
import { readSingleFileCheckpoint } from './single-file-checkpoint.js';
import type { LoadPlan } from './types.js';

const FOLDER_MEMBERS = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'model.safetensors.index.json'];

async function statOrRefuse(source: string): Promise<Stats> {
  try {
    return await stat(source);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CheckpointError(source, code === 'ENOENT' ? 'no such file or folder' : `cannot be read (${(error as Error).message})`);
  }
}

async function readParts(source: string, options: ReadOptions): Promise<CheckpointParts> {
  const info = await statOrRefuse(source);
  if (info.isDirectory()) return readFolderCheckpoint(source, options);
  if (!info.isFile()) throw new CheckpointError(source, 'is neither a folder nor a file');
  if (source.toLowerCase().endsWith('.safetensors')) return readSingleFileCheckpoint(source);
  if (info.size === 0) throw new CheckpointError(source, 'file is empty, not a checkpoint');
  const hint = FOLDER_MEMBERS.includes(basename(source)) ? '; open the folder that holds it' : '';
  throw new CheckpointError(source, `is not a checkpoint: expected a folder or a *.safetensors file${hint}`);
}

export async function readCheckpoint(path: string, opts: ReadOptions = {}): Promise<LoadPlan> {
  opts.signal?.throwIfAborted();
  const source = resolve(path);
  const parts = await readParts(source, opts);
  opts.signal?.throwIfAborted();
  const widths = chainWidths(parts.config);
  const specs = expectedTensors(parts.config, widths);
  const tensors = matchTensors(specs, parts.tensors, parts.weightsFile, parts.config.chains.length);
  return {
    source,
    packaging: parts.packaging,
    config: parts.config,
    widths,
    files: parts.files,
    tensors,
    tokenizerJson: parts.tokenizerJson,
    tokenizerConfig: parts.tokenizerConfig,
    generationConfig: parts.generationConfig,
  };
}
