// Packaging 2: one *.safetensors file whose __metadata__ carries config, tokenizer and the optional
// side files as JSON text (FORMAT.md, "Two packagings"). This is what drag-and-drop of one file needs.

import { access } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { CheckpointParts } from './checkpoint-parts.js';
import { parseConfig } from './config.js';
import { CheckpointError } from './errors.js';
import { checkTokenizerJson, parseJsonText, requireJsonObject } from './json-file.js';
import type { LocatedTensor } from './match-tensors.js';
import { readSafetensorsHeader } from './safetensors.js';

/** A folder's model.safetensors has no colm.* metadata; say to open the folder instead. */
async function hintForFolderMember(file: string): Promise<string> {
  try {
    await access(join(dirname(file), 'config.json'));
    return ` (this looks like the weights of a folder checkpoint: open the folder ${JSON.stringify(dirname(file))} instead)`;
  } catch {
    return '';
  }
}

export async function readSingleFileCheckpoint(file: string): Promise<CheckpointParts> {
  const header = await readSafetensorsHeader(file);
  const meta = (key: string): string | undefined =>
    Object.prototype.hasOwnProperty.call(header.metadata, key) ? header.metadata[key] : undefined;

  const configText = meta('colm.config');
  if (configText === undefined) {
    const hint = basename(file) === 'model.safetensors' || /^model-\d+-of-\d+\.safetensors$/.test(basename(file)) ? await hintForFolderMember(file) : '';
    throw new CheckpointError(file, `__metadata__ has no "colm.config", so this file alone is not a checkpoint${hint}`, { key: 'colm.config' });
  }
  const config = parseConfig(parseJsonText(configText, file, 'colm.config'), file);

  const tokenizerText = meta('colm.tokenizer');
  if (tokenizerText === undefined) throw new CheckpointError(file, '__metadata__ has no "colm.tokenizer"', { key: 'colm.tokenizer' });
  const tokenizerJson = checkTokenizerJson(parseJsonText(tokenizerText, file, 'colm.tokenizer'), file, 'colm.tokenizer');

  const optionalObject = (key: string): Record<string, unknown> | null => {
    const text = meta(key);
    return text === undefined ? null : requireJsonObject(parseJsonText(text, file, key), file, key);
  };

  const tensors = new Map<string, LocatedTensor>();
  for (const tensor of header.tensors) tensors.set(tensor.name, { file: 0, path: file, tensor });
  return {
    packaging: 'single-file',
    config,
    files: [file],
    tensors,
    weightsFile: file,
    tokenizerJson,
    tokenizerConfig: optionalObject('colm.tokenizer_config'),
    generationConfig: optionalObject('colm.generation_config'),
  };
}
