// Packaging 1: a Hugging Face style folder. config.json, tokenizer.json, the weights as
// model.safetensors or as shards listed by model.safetensors.index.json, optional side files.

import { isAbsolute, join, relative, resolve } from 'node:path';
import type { CheckpointParts, ReadOptions } from './checkpoint-parts.js';
import { parseConfig } from './config.js';
import { CheckpointError } from './errors.js';
import { checkTokenizerJson, fileExists, readJsonFile, requireJsonObject } from './json-file.js';
import { describeValue, ownValue } from './json-values.js';
import type { LocatedTensor } from './match-tensors.js';
import { readSafetensorsHeader } from './safetensors.js';

const SINGLE_WEIGHTS = 'model.safetensors';
const SHARD_INDEX = 'model.safetensors.index.json';

interface Weights {
  packaging: 'folder' | 'sharded-folder';
  files: string[];
  tensors: Map<string, LocatedTensor>;
  weightsFile: string;
}

async function readOptionalObject(path: string): Promise<Record<string, unknown> | null> {
  if (!(await fileExists(path))) return null;
  return requireJsonObject(await readJsonFile(path), path);
}

async function readSingleWeights(file: string): Promise<Weights> {
  const header = await readSafetensorsHeader(file);
  const tensors = new Map<string, LocatedTensor>();
  for (const tensor of header.tensors) tensors.set(tensor.name, { file: 0, path: file, tensor });
  return { packaging: 'folder', files: [file], tensors, weightsFile: file };
}

/** index.json's weight_map, tensor name -> shard path, with every shard kept inside the folder. */
async function readWeightMap(folder: string, indexFile: string): Promise<Map<string, string>> {
  const index = requireJsonObject(await readJsonFile(indexFile), indexFile);
  const weightMap = ownValue(index, 'weight_map');
  const entries = requireJsonObject(weightMap, indexFile, 'weight_map');
  const map = new Map<string, string>();
  for (const [name, shard] of Object.entries(entries)) {
    if (typeof shard !== 'string' || shard === '') {
      throw new CheckpointError(indexFile, `weight_map must name a shard file, got ${describeValue(shard)}`, { tensor: name });
    }
    const path = resolve(folder, shard);
    const inside = relative(folder, path);
    // A shard path like "../../secret" would make us map a file the user never chose.
    if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
      throw new CheckpointError(indexFile, `shard ${JSON.stringify(shard)} is outside the checkpoint folder`, { tensor: name });
    }
    map.set(name, path);
  }
  if (map.size === 0) throw new CheckpointError(indexFile, 'weight_map lists no tensors', { key: 'weight_map' });
  return map;
}

async function readShardedWeights(folder: string, indexFile: string, options: ReadOptions): Promise<Weights> {
  const weightMap = await readWeightMap(folder, indexFile);
  const files = [...new Set(weightMap.values())];
  // Every shard must exist before any is read: a missing download is the likeliest fault, and
  // reporting it beats a confusing complaint about some tensor in another shard.
  for (const file of files) {
    if (!(await fileExists(file))) {
      const firstTensor = [...weightMap].find(([, shard]) => shard === file)?.[0];
      throw new CheckpointError(indexFile, `lists shard ${JSON.stringify(relative(folder, file))}, which does not exist`, firstTensor === undefined ? {} : { tensor: firstTensor });
    }
  }
  const tensors = new Map<string, LocatedTensor>();
  for (const [fileIndex, file] of files.entries()) {
    options.signal?.throwIfAborted();
    const header = await readSafetensorsHeader(file);
    for (const tensor of header.tensors) {
      const listedIn = weightMap.get(tensor.name);
      if (listedIn === undefined) {
        throw new CheckpointError(file, `is in this shard but not in ${SHARD_INDEX}`, { tensor: tensor.name });
      }
      if (listedIn !== file) {
        throw new CheckpointError(file, `is in this shard but ${SHARD_INDEX} puts it in ${JSON.stringify(relative(folder, listedIn))}`, { tensor: tensor.name });
      }
      tensors.set(tensor.name, { file: fileIndex, path: file, tensor });
    }
  }
  for (const [name, file] of weightMap) {
    if (!tensors.has(name)) {
      throw new CheckpointError(indexFile, `is listed in shard ${JSON.stringify(relative(folder, file))}, which does not hold it`, { tensor: name });
    }
  }
  return { packaging: 'sharded-folder', files, tensors, weightsFile: indexFile };
}

async function readWeights(folder: string, options: ReadOptions): Promise<Weights> {
  const single = join(folder, SINGLE_WEIGHTS);
  const index = join(folder, SHARD_INDEX);
  const [hasSingle, hasIndex] = await Promise.all([fileExists(single), fileExists(index)]);
  if (hasSingle && hasIndex) {
    throw new CheckpointError(folder, `has both ${SINGLE_WEIGHTS} and ${SHARD_INDEX}; keep one so it is clear which weights to load`);
  }
  if (hasSingle) return readSingleWeights(single);
  if (hasIndex) return readShardedWeights(folder, index, options);
  const hint = (await fileExists(join(folder, 'pytorch_model.bin'))) ? ' (PyTorch .bin weights are not read; convert them to safetensors)' : '';
  throw new CheckpointError(folder, `folder has no ${SINGLE_WEIGHTS} or ${SHARD_INDEX}${hint}`);
}

export async function readFolderCheckpoint(folder: string, options: ReadOptions): Promise<CheckpointParts> {
  const configFile = join(folder, 'config.json');
  if (!(await fileExists(configFile))) throw new CheckpointError(folder, 'folder without config.json: not a checkpoint folder');
  const config = parseConfig(await readJsonFile(configFile), configFile);

  options.signal?.throwIfAborted();
  const tokenizerFile = join(folder, 'tokenizer.json');
  if (!(await fileExists(tokenizerFile))) throw new CheckpointError(folder, 'folder has no tokenizer.json');
  const tokenizerJson = checkTokenizerJson(await readJsonFile(tokenizerFile), tokenizerFile);

  options.signal?.throwIfAborted();
  const tokenizerConfig = await readOptionalObject(join(folder, 'tokenizer_config.json'));
  const generationConfig = await readOptionalObject(join(folder, 'generation_config.json'));

  options.signal?.throwIfAborted();
  const weights = await readWeights(folder, options);
  return { ...weights, config, tokenizerJson, tokenizerConfig, generationConfig };
}
