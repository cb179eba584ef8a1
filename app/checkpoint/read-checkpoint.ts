// path -> LoadPlan: picks the packaging, reads config, side files and safetensors headers (never the
// weights), and matches the tensors against the config, so the native engine gets only checked input.

import { open, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, resolve } from 'node:path';
import { chainWidths } from './chain-widths.js';
import type { CheckpointParts, ReadOptions } from './checkpoint-parts.js';
import { CheckpointError } from './errors.js';
import { expectedTensors } from './expected-tensors.js';
import { readGgufCheckpoint, type GgufReadOptions } from './gguf/gguf-plan.js';
import { readFolderCheckpoint } from './folder-checkpoint.js';
import { matchTensors } from './match-tensors.js';
import { readSingleFileCheckpoint } from './single-file-checkpoint.js';
import type { LoadPlan } from './types.js';

/** Options of readCheckpoint; the GGUF ones matter only for a .gguf file. */
export type CheckpointReadOptions = ReadOptions & GgufReadOptions;

/** What readParts found: the parts, and for a GGUF the tensors it converted in memory. */
interface FoundParts {
  parts: CheckpointParts;
  inMemory: Map<string, Uint8Array> | null;
}

const FOLDER_MEMBERS = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'model.safetensors.index.json'];

async function statOrRefuse(source: string): Promise<Stats> {
  try {
    return await stat(source);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CheckpointError(source, code === 'ENOENT' ? 'no such file or folder' : `cannot be read (${(error as Error).message})`);
  }
}

/** GGUF files from Ollama's store have no extension: the magic says what they are. */
async function hasGgufMagic(source: string): Promise<boolean> {
  const handle = await open(source, 'r');
  try {
    const magic = new Uint8Array(4);
    const { bytesRead } = await handle.read(magic, 0, 4, 0);
    return bytesRead === 4 && new TextDecoder().decode(magic) === 'GGUF';
  } finally {
    await handle.close();
  }
}

async function readParts(source: string, options: CheckpointReadOptions): Promise<FoundParts> {
  const info = await statOrRefuse(source);
  if (info.isDirectory()) return { parts: await readFolderCheckpoint(source, options), inMemory: null };
  if (!info.isFile()) throw new CheckpointError(source, 'is neither a folder nor a file');
  const lower = source.toLowerCase();
  if (lower.endsWith('.safetensors')) return { parts: await readSingleFileCheckpoint(source), inMemory: null };
  if (lower.endsWith('.gguf') || (info.size >= 4 && (await hasGgufMagic(source)))) {
    const gguf = await readGgufCheckpoint(source, options);
    return { parts: gguf.parts, inMemory: gguf.data };
  }
  if (info.size === 0) throw new CheckpointError(source, 'file is empty, not a checkpoint');
  const hint = FOLDER_MEMBERS.includes(basename(source)) ? '; open the folder that holds it' : '';
  throw new CheckpointError(source, `is not a checkpoint: expected a folder, a *.safetensors or a *.gguf file${hint}`);
}

export async function readCheckpoint(path: string, opts: CheckpointReadOptions = {}): Promise<LoadPlan> {
  opts.signal?.throwIfAborted();
  const source = resolve(path);
  const { parts, inMemory } = await readParts(source, opts);
  opts.signal?.throwIfAborted();
  const widths = chainWidths(parts.config);
  // Only a GGUF's plan may keep its Q8_0 embedding and LM head as Q8_0 (docs/FORMAT-Q8.md).
  const specs = expectedTensors(parts.config, widths, { q8Embeddings: inMemory !== null });
  const tensors = matchTensors(specs, parts.tensors, parts.weightsFile, parts.config.chains.length);
  // A GGUF's converted tensors are handed to the engine as bytes (file and offset unused).
  if (inMemory !== null) {
    for (const entry of tensors) {
      const data = inMemory.get(entry.name);
      if (data !== undefined) entry.data = data;
    }
  }
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
