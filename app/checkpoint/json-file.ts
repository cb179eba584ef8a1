// Reading the JSON side files of a checkpoint (config.json, tokenizer.json, ...) with errors that
// name the file, whether they sit in a folder or in a single file's __metadata__.

import { readFile, stat } from 'node:fs/promises';
import { CheckpointError } from './errors.js';
import { describeValue, isJsonObject, type JsonObject } from './json-values.js';

// The biggest tokenizer.json files are tens of MiB; anything far beyond is not a side file, and
// reading it whole would only exhaust memory.
const MAX_JSON_FILE_BYTES = 512 * 1024 * 1024;

/** Parses JSON text; `where` is the file, and `key` the __metadata__ key when it came from one. */
export function parseJsonText(text: string, file: string, key?: string): unknown {
  try {
    // Editors on Windows like to start files with a byte-order mark, which JSON.parse refuses.
    return JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (error) {
    throw new CheckpointError(file, `is not valid JSON (${(error as Error).message})`, key === undefined ? {} : { key });
  }
}

export function requireJsonObject(value: unknown, file: string, key?: string): JsonObject {
  if (!isJsonObject(value)) {
    throw new CheckpointError(file, `must be a JSON object, got ${describeValue(value)}`, key === undefined ? {} : { key });
  }
  return value;
}

export async function fileExists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Reads and parses a JSON file; a missing file is an error, so callers check optional ones first. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new CheckpointError(path, 'is not a regular file');
    if (info.size > MAX_JSON_FILE_BYTES) throw new CheckpointError(path, `is ${info.size} bytes, too large for a JSON side file`);
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new CheckpointError(path, code === 'ENOENT' ? 'is missing' : `cannot be read (${(error as Error).message})`);
  }
  return parseJsonText(text, path);
}

/** tokenizer.json's shape is checked by the tokenizer module; here only that it is one at all. */
export function checkTokenizerJson(value: unknown, file: string, key?: string): JsonObject {
  const tokenizer = requireJsonObject(value, file, key);
  if (!Object.prototype.hasOwnProperty.call(tokenizer, 'model')) {
    throw new CheckpointError(file, 'is not a Hugging Face tokenizer.json (it has no "model")', key === undefined ? {} : { key });
  }
  return tokenizer;
}
