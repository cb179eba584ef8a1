// A broken tokenizer.json is refused at load with the file name and what is wrong.

import { describe, expect, it } from 'vitest';
import { TextTokenizer } from '../../../app/checkpoint/tokenizer.js';
import { gpt2StyleTokenizerJson, llama2StyleTokenizerConfig, llama2StyleTokenizerJson } from './fixtures.js';

const LABEL = '/models/broken/tokenizer.json';

function loadError(json: unknown, config: Record<string, unknown> | null = null): string {
  try {
    TextTokenizer.fromJson(json, config, LABEL);
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return (error as Error).message;
  }
  throw new Error('expected the tokenizer to be refused');
}

function withModel(change: Record<string, unknown>): Record<string, unknown> {
  const json = gpt2StyleTokenizerJson();
  return { ...json, model: { ...(json.model as Record<string, unknown>), ...change } };
}

describe('broken tokenizer.json', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['null', null, /must be a JSON object, got null/],
    ['an array', [1, 2], /must be a JSON object/],
    ['a string', 'tokenizer', /must be a JSON object/],
    ['no model', { ...gpt2StyleTokenizerJson(), model: undefined }, /model.*must be an object/],
    ['no model type', withModel({ type: undefined }), /model\.type.*missing/],
    ['a Unigram model', withModel({ type: 'Unigram' }), /model\.type.*"Unigram" is not supported/],
    ['an unknown model type', withModel({ type: 'Magic' }), /"Magic" is not supported/],
    ['no vocab', withModel({ vocab: undefined }), /model\.vocab.*is missing/],
    ['a vocab list', withModel({ vocab: ['a', 'b'] }), /model\.vocab.*must be an object/],
    ['a fractional id', withModel({ vocab: { a: 0.5 } }), /token "a" has id 0\.5/],
    ['an absurd id', withModel({ vocab: { a: 2 ** 40 } }), /token "a" has id 1099511627776, not an integer in \[0, 16777216\)/],
    ['no merges', withModel({ merges: undefined }), /model\.merges.*must be a list/],
    ['a bad merge', withModel({ merges: ['abc'] }), /model\.merges.*"abc" is not a pair/],
    ['a bad added token', { ...gpt2StyleTokenizerJson(), added_tokens: [{ id: 'x', content: '<a>' }] }, /added_tokens.*needs an integer "id"/],
    ['no decoder', { ...gpt2StyleTokenizerJson(), decoder: null }, /decoder.*is missing/],
    ['a WordPiece decoder', { ...gpt2StyleTokenizerJson(), decoder: { type: 'WordPiece', prefix: '##' } }, /decoder.*"WordPiece" is not supported/],
    [
      'ByteLevel mixed with others',
      { ...gpt2StyleTokenizerJson(), decoder: { type: 'Sequence', decoders: [{ type: 'ByteLevel' }, { type: 'Fuse' }] } },
      /ByteLevel combined/,
    ],
    [
      'a Strip before Fuse',
      { ...llama2StyleTokenizerJson(), decoder: { type: 'Sequence', decoders: [{ type: 'Strip', content: ' ', start: 1, stop: 0 }, { type: 'Fuse' }] } },
      /Strip before Fuse/,
    ],
    [
      'a trailing Strip',
      { ...llama2StyleTokenizerJson(), decoder: { type: 'Sequence', decoders: [{ type: 'Fuse' }, { type: 'Strip', content: ' ', start: 0, stop: 1 }] } },
      /trailing strip cannot be streamed/,
    ],
    [
      'a regex Replace',
      { ...llama2StyleTokenizerJson(), decoder: { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' } },
      /regex patterns are not supported/,
    ],
    ['an unknown post-processor', { ...gpt2StyleTokenizerJson(), post_processor: { type: 'Magic' } }, /post_processor.*"Magic" is not supported/],
    [
      'a template naming a missing token',
      { ...llama2StyleTokenizerJson(), post_processor: { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<bos>', type_id: 0 } }] } },
      /post_processor.*"<bos>", which is not a token/,
    ],
    ['a normalizer the library does not know', { ...gpt2StyleTokenizerJson(), normalizer: { type: 'Bogus' } }, /could not be built: Unknown Normalizer type: Bogus/],
  ];

  for (const [what, json, expected] of cases) {
    it(`refuses ${what}, naming the file`, () => {
      const message = loadError(json);
      expect(message.startsWith(`${LABEL}: `)).toBe(true);
      expect(message).toMatch(expected);
      expect(message).not.toMatch(/\n/);
    });
  }

  it('refuses a tokenizer_config whose bos/eos is not a token', () => {
    const message = loadError(llama2StyleTokenizerJson(), { ...llama2StyleTokenizerConfig(), eos_token: '<|eot|>' });
    expect(message).toMatch(/^\/models\/broken\/tokenizer\.json: key "eos_token": .*"<\|eot\|>" is not a token/);
    expect(loadError(llama2StyleTokenizerJson(), { bos_token: 42 })).toMatch(/bos_token must be a string or \{"content": \.\.\.\}/);
  });

  it('accepts a file that leaves out the optional parts the library insists on', () => {
    const json = gpt2StyleTokenizerJson();
    delete json.normalizer;
    delete json.post_processor;
    delete json.added_tokens;
    const tokenizer = TextTokenizer.fromJson(json, null, LABEL);
    expect(tokenizer.decode(tokenizer.encode('hello <|endoftext|>'))).toBe('hello <|endoftext|>');
  });
});
