// The trained merges as the files a checkpoint carries (FORMAT.md, Tokenizer): tokenizer.json in
// the Hugging Face tokenizers format, GPT-2 style byte-level BPE, and tokenizer_config.json with
// the named special tokens and a ChatML chat template.
//
// Ids: 0..255 are the single bytes in byte order, then the learned tokens in the order learned,
// then the special tokens, so the vocabulary size asked for is exactly the largest id + 1.

import { defaultChatTemplate } from '../../checkpoint/chat-template.js';
import type { BpeMerge, TrainedBpe } from './bpe-trainer.js';
import type { SpecialTokenId } from './bpe-encoder.js';
import { orderedJsonText, type OrderedJson } from './ordered-json.js';
import { PRE_TOKENIZER_PATTERN } from './pre-tokenizer.js';

export const DEFAULT_SPECIAL_TOKENS: readonly string[] = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];

/** Special tokens take the ids after the learned vocabulary, in the order given. */
export function specialTokenIds(learnedCount: number, specialTokens: readonly string[]): SpecialTokenId[] {
  return specialTokens.map((content, index) => ({ content, id: learnedCount + index }));
}

function addedTokenEntry(token: SpecialTokenId): { [key: string]: OrderedJson } {
  // normalized false: matched in the raw text; special: skipped by decode(skip_special_tokens).
  return { id: token.id, content: token.content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

// Merges as "left right": every byte-level piece is free of spaces (a space is "Ġ"), so this form
// is unambiguous, and it is the one every reader accepts, old Rust tokenizers included.
function mergeText(merge: BpeMerge, pieces: readonly string[]): string {
  return `${pieces[merge.left]} ${pieces[merge.right]}`;
}

export function tokenizerJsonText(trained: Pick<TrainedBpe, 'symbolPieces' | 'merges'>, specialTokens: readonly SpecialTokenId[]): string {
  const vocab = new Map<string, OrderedJson>();
  trained.symbolPieces.forEach((piece, id) => vocab.set(piece, id));
  const tokenizer: OrderedJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specialTokens.map(addedTokenEntry),
    normalizer: null,
    // Our regex cuts the text (Isolated: every piece is kept), then ByteLevel only maps bytes to
    // the alphabet (use_regex false: GPT-2's own regex must not cut a second time).
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: PRE_TOKENIZER_PATTERN }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: trained.merges.map((merge) => mergeText(merge, trained.symbolPieces)),
    },
  };
  return orderedJsonText(tokenizer) + '\n';
}

/**
 * BOS is the first special token; EOS is <|im_end|> when there is one (a ChatML reply ends there),
 * else the first special token. The chat template is ChatML when <|im_start|> and <|im_end|> are
 * special tokens, and absent otherwise (the app then picks its plain default).
 */
export function tokenizerConfigText(specialTokens: readonly SpecialTokenId[]): string {
  const contents = specialTokens.map((token) => token.content);
  const first = contents[0] ?? null;
  const config: { [key: string]: OrderedJson } = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: first,
    eos_token: contents.includes('<|im_end|>') ? '<|im_end|>' : first,
    pad_token: first,
    unk_token: null,
    add_bos_token: false,
    add_eos_token: false,
    // Left on, transformers would turn " ." into "." when decoding, and round trips would break.
    clean_up_tokenization_spaces: false,
    added_tokens_decoder: new Map(specialTokens.map((token) => {
      const { id: _id, ...entry } = addedTokenEntry(token);
      return [String(token.id), entry];
    })),
  };
  if (contents.includes('<|im_start|>') && contents.includes('<|im_end|>')) config.chat_template = defaultChatTemplate(true);
  return orderedJsonText(config) + '\n';
}
