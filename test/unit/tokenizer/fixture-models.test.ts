// The tokenizers of the golden fixture models (made by reference/tokenizers_gen.py): each loads,
// round-trips text, streams exactly what decode() gives, and renders its chat template.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { chatTemplateFromConfig, renderChat } from '../../../app/checkpoint/chat-template.js';
import { TextTokenizer } from '../../../app/checkpoint/tokenizer.js';
import { TokenTextStream } from '../../../app/engine/text-stream.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const goldenDir = path.join(root, 'test/fixtures/golden');

interface TokenizerParts {
  label: string;
  tokenizerJson: unknown;
  tokenizerConfig: Record<string, unknown> | null;
}

// A folder holds tokenizer.json files; a single .safetensors file holds them as header metadata.
function readParts(modelPath: string): TokenizerParts {
  if (fs.statSync(modelPath).isDirectory()) {
    const configFile = path.join(modelPath, 'tokenizer_config.json');
    return {
      label: path.join(modelPath, 'tokenizer.json'),
      tokenizerJson: JSON.parse(fs.readFileSync(path.join(modelPath, 'tokenizer.json'), 'utf8')),
      tokenizerConfig: fs.existsSync(configFile) ? JSON.parse(fs.readFileSync(configFile, 'utf8')) : null,
    };
  }
  const file = fs.readFileSync(modelPath);
  const headerLength = Number(file.readBigUInt64LE(0));
  const metadata = JSON.parse(file.subarray(8, 8 + headerLength).toString('utf8')).__metadata__;
  return {
    label: `${modelPath} (colm.tokenizer)`,
    tokenizerJson: JSON.parse(metadata['colm.tokenizer']),
    tokenizerConfig: metadata['colm.tokenizer_config'] ? JSON.parse(metadata['colm.tokenizer_config']) : null,
  };
}

// The golden fixtures are committed: their absence is a broken checkout, not a reason to skip.
const models = fs
  .readdirSync(goldenDir)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => {
    const golden = JSON.parse(fs.readFileSync(path.join(goldenDir, name), 'utf8')) as { model: string };
    return [name.replace(/\.json$/, ''), path.join(root, golden.model)] as const;
  });

const TEXTS = ['Hello world, the cat and the hat is on the mat.', 'naïve café 😀 日本', '  two leading spaces\nand a newline\ttab', 'The end!'];

describe.each(models)('fixture model %s', (_name, modelPath) => {
  const parts = readParts(modelPath);
  const tokenizer = TextTokenizer.fromJson(parts.tokenizerJson, parts.tokenizerConfig, parts.label);

  it('round-trips text and streams exactly what decode gives', () => {
    for (const text of TEXTS) {
      const ids = tokenizer.encode(text, { addSpecialTokens: true });
      expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe(text);
      const stream = new TokenTextStream(tokenizer);
      expect(ids.map((id) => stream.push(id)).join('') + stream.flush()).toBe(text);
    }
  });

  it('renders its chat template into a prompt the tokenizer reads back', () => {
    const template = chatTemplateFromConfig(parts.tokenizerConfig);
    if (template === null) return;
    const bos = tokenizer.bosTokenId;
    const prompt = renderChat(
      [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi there' },
      ],
      { template, bosToken: bos === null ? '' : new TextDecoder().decode(tokenizer.tokenBytes(bos)), addGenerationPrompt: true },
    );
    const ids = tokenizer.encode(prompt);
    if (bos !== null && prompt.startsWith(new TextDecoder().decode(tokenizer.tokenBytes(bos)))) expect(ids[0]).toBe(bos);
    expect(tokenizer.decode(ids)).toContain('Hi there');
  });
});
