// The files as written: the fields FORMAT.md and the readers expect, in a stable order.

import { describe, expect, it } from 'vitest';
import { TextTokenizer } from '../../../../app/checkpoint/tokenizer.js';
import { chatTemplateFromConfig, renderChat } from '../../../../app/checkpoint/chat-template.js';
import { trainBpe } from '../../../../app/trainer/tokenizer/bpe-trainer.js';
import { orderedJsonText } from '../../../../app/trainer/tokenizer/ordered-json.js';
import { PRE_TOKENIZER_PATTERN } from '../../../../app/trainer/tokenizer/pre-tokenizer.js';
import { DEFAULT_SPECIAL_TOKENS, specialTokenIds, tokenizerConfigText, tokenizerJsonText } from '../../../../app/trainer/tokenizer/tokenizer-files.js';
import { englishCorpus, WordCounter } from './corpus-fixtures.js';

const counter = new WordCounter();
counter.addText(englishCorpus(200) + ' 1 22 333 4444 12 123');
const trained = trainBpe(counter.counts, { symbolCount: 400 });
const specials = specialTokenIds(400, DEFAULT_SPECIAL_TOKENS);
const jsonText = tokenizerJsonText(trained, specials);
const json = JSON.parse(jsonText) as Record<string, any>;

describe('tokenizer.json', () => {
  it('is a byte-level BPE model with the settings the readers expect', () => {
    expect(json.model).toMatchObject({
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
    });
    expect(json.normalizer).toBeNull();
    expect(json.post_processor).toBeNull();
    expect(json.decoder).toMatchObject({ type: 'ByteLevel' });
    expect(json.pre_tokenizer).toEqual({
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: PRE_TOKENIZER_PATTERN }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    });
  });

  it('writes the vocab in id order, number tokens included, and merges as "left right"', () => {
    // The pieces by id (JSON.parse itself would put "7" before "a", so ask the trainer).
    const entries = trained.symbolPieces;
    expect(entries.every((piece, id) => json.model.vocab[piece] === id)).toBe(true);
    const vocabStart = jsonText.indexOf('"vocab"');
    const positions = entries.map((piece) => jsonText.indexOf(`\n      ${JSON.stringify(piece)}: `, vocabStart));
    expect(positions.every((position, i) => position > 0 && (i === 0 || position > positions[i - 1]!))).toBe(true);
    expect(entries.some((piece) => /^\d+$/.test(piece))).toBe(true);
    expect(json.model.merges).toHaveLength(trained.merges.length);
    for (const merge of json.model.merges as string[]) {
      const [left, right] = merge.split(' ');
      expect(json.model.vocab[left!]).toBeTypeOf('number');
      expect(json.model.vocab[left! + right!]).toBeTypeOf('number');
    }
  });

  it('lists the special tokens after the learned vocabulary, matched in raw text', () => {
    expect(json.added_tokens).toEqual(
      DEFAULT_SPECIAL_TOKENS.map((content, i) => ({ id: 400 + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    );
  });
});

describe('tokenizer_config.json', () => {
  it('names BOS, EOS and a ChatML template that renders with the app', () => {
    const config = JSON.parse(tokenizerConfigText(specials)) as Record<string, unknown>;
    expect(config).toMatchObject({ bos_token: '<|endoftext|>', eos_token: '<|im_end|>', add_bos_token: false, clean_up_tokenization_spaces: false });
    const prompt = renderChat([{ role: 'user', content: 'Hi' }], { template: chatTemplateFromConfig(config), addGenerationPrompt: true });
    expect(prompt).toBe('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
    const tokenizer = TextTokenizer.fromJson(json, config, 'tokenizer.json');
    expect(tokenizer.encode(prompt).filter((id) => tokenizer.isSpecial(id))).toEqual([401, 402, 401]);
  });

  it('has no ChatML template without <|im_start|> and <|im_end|>, and EOS falls back to the first special', () => {
    const config = JSON.parse(tokenizerConfigText(specialTokenIds(400, ['<eos>']))) as Record<string, unknown>;
    expect(config.chat_template).toBeUndefined();
    expect(config).toMatchObject({ bos_token: '<eos>', eos_token: '<eos>' });
  });
});

describe('orderedJsonText', () => {
  it('keeps Map order, and reads back as the same JSON', () => {
    const value = { a: [1, 'x', null], m: new Map([['10', 1], ['2', 2], ['__proto__', 3]]), e: [], o: {} };
    const text = orderedJsonText(value);
    expect(text.indexOf('"10"')).toBeLessThan(text.indexOf('"2"'));
    expect(JSON.parse(text)).toEqual(JSON.parse('{"a":[1,"x",null],"m":{"10":1,"2":2,"__proto__":3},"e":[],"o":{}}'));
  });
});
