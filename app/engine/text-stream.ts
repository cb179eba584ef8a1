// Token ids -> text, one token at a time, as the decode loop produces them. A token can end in the
// middle of a UTF-8 character (byte-level BPE splits emoji and CJK freely; byte-fallback pieces
// are single bytes), so text is built from each token's raw bytes through a streaming TextDecoder,
// which holds an incomplete character back until its last byte arrives. The concatenation of all
// push() results and flush() is exactly TextTokenizer.decode() of the same ids.

import { LeadingStripper, type LeadingStripRule } from '../checkpoint/tokenizer.js';

/** What a stream needs from a tokenizer (TextTokenizer has it). */
export interface StreamVocabulary {
  tokenBytes(id: number): Uint8Array;
  isSpecial(id: number): boolean;
  readonly leadingStrip: LeadingStripRule | null;
}

export interface TokenTextStreamOptions {
  /** Show special tokens (BOS, EOS, <|im_end|>) as their text. Default false, as decode's skipSpecialTokens. */
  showSpecialTokens?: boolean;
}

export class TokenTextStream {
  // ignoreBOM: a U+FEFF the model wrote is text, not a byte-order mark to hide.
  private readonly utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
  private stripper: LeadingStripper;
  private readonly showSpecialTokens: boolean;

  constructor(
    private readonly vocabulary: StreamVocabulary,
    options: TokenTextStreamOptions = {},
  ) {
    this.showSpecialTokens = options.showSpecialTokens ?? false;
    this.stripper = new LeadingStripper(vocabulary.leadingStrip);
  }

  /**
   * Reads tokens whose text is already known (the prompt), without answering it: what follows is
   * then decode(prompt + ids) minus decode(prompt). The leading strip of a SentencePiece decoder
   * applies to the start of the whole text, so a prompt that has shown text leaves the next
   * token's space alone; a character the prompt left unfinished is completed by what follows.
   */
  skip(ids: readonly number[]): void {
    for (const id of ids) this.push(id);
  }

  /** The text this token completes; '' while a character is still missing bytes. */
  push(id: number): string {
    if (!this.showSpecialTokens && this.vocabulary.isSpecial(id)) return '';
    const bytes = this.stripper.take(this.vocabulary.tokenBytes(id));
    return this.utf8.decode(bytes, { stream: true });
  }

  /**
   * The end of the sequence: bytes of an unfinished character come out as U+FFFD, as decode() would
   * show them. The stream then starts over, as for a new sequence.
   */
  flush(): string {
    const rest = this.utf8.decode();
    this.stripper = new LeadingStripper(this.vocabulary.leadingStrip);
    return rest;
  }
}
