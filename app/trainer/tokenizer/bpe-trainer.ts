// Byte-level BPE training: start from the 256 bytes, and again and again join the two adjacent
// symbols that occur together most often in the corpus into a new symbol, until the vocabulary
// has the size asked for.
//
// Cost. Only the words that contain the chosen pair change, so the trainer keeps, for each pair,
// the set of distinct words it occurs in, and updates the pair counts from those words alone. The
// best pair comes from a heap with lazy deletion (pair-queue.ts). Ties are broken by the pair's
// bytes, never by Map order, so one corpus always gives one file.

import { byteLevelPiece } from './byte-level-alphabet.js';
import { PairQueue, type PairEntry } from './pair-queue.js';

/** One learned merge: symbols `left` and `right`, side by side, become symbol `merged`. */
export interface BpeMerge {
  left: number;
  right: number;
  merged: number;
}

export interface TrainedBpe {
  /** Bytes of each symbol, by id: ids 0..255 are the single bytes, then one id per new symbol. */
  symbolBytes: Uint8Array[];
  /** Byte-level piece of each symbol, by id, as written in tokenizer.json. */
  symbolPieces: string[];
  /** In the order learned, which is the order of priority when encoding. */
  merges: BpeMerge[];
  /** True when no pair occurred minPairCount times before the vocabulary was full. */
  stoppedEarly: boolean;
  /** Tokens in the training corpus once every merge is applied. */
  tokenCount: number;
}

export interface BpeTrainingOptions {
  /** Symbols wanted in all, the 256 bytes included (special tokens are not symbols). */
  symbolCount: number;
  /** A pair seen fewer times than this is not worth a symbol. Default 2. */
  minPairCount?: number;
  /** Called after each new symbol; cheap, so the caller decides how often to report. */
  onProgress?: (symbolsAdded: number, symbolsWanted: number) => void;
}

export const BYTE_SYMBOL_COUNT = 256;
// Pairs are Map keys packed into one number: left * PAIR_BASE + right stays below 2^42, exact in a double.
const PAIR_BASE = 2 ** 21;
export const MAX_SYMBOL_COUNT = PAIR_BASE;

function pairKey(left: number, right: number): number {
  return left * PAIR_BASE + right;
}

function pairLeft(key: number): number {
  return Math.floor(key / PAIR_BASE);
}

function pairRight(key: number): number {
  return key % PAIR_BASE;
}

/** The distinct words as symbol ids, their counts, and which words hold which pair. */
class TrainingState {
  readonly words: Uint32Array[] = [];
  readonly wordCounts: number[] = [];
  readonly pairCounts = new Map<number, number>();
  // May still list a word that has lost the pair since; merging checks the word itself.
  readonly pairWords = new Map<number, Set<number>>();
  readonly symbolBytes: Uint8Array[] = [];
  readonly symbolPieces: string[] = [];
  readonly symbolIdByPiece = new Map<string, number>();

  constructor(wordCounts: ReadonlyMap<string, number>) {
    for (let byte = 0; byte < BYTE_SYMBOL_COUNT; byte++) this.addSymbol(Uint8Array.of(byte));
    const encoder = new TextEncoder();
    for (const [word, count] of wordCounts) {
      const index = this.words.length;
      const symbols = Uint32Array.from(encoder.encode(word)); // ids 0..255 are the bytes
      this.words.push(symbols);
      this.wordCounts.push(count);
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = pairKey(symbols[i]!, symbols[i + 1]!);
        this.pairCounts.set(key, (this.pairCounts.get(key) ?? 0) + count);
        this.wordsOf(key).add(index);
      }
    }
  }

  /** The id of the symbol with these bytes; a new id if no symbol has them yet. */
  symbolFor(bytes: Uint8Array): number {
    const piece = byteLevelPiece(bytes);
    return this.symbolIdByPiece.get(piece) ?? this.addSymbol(bytes, piece);
  }

  private addSymbol(bytes: Uint8Array, piece = byteLevelPiece(bytes)): number {
    const id = this.symbolBytes.length;
    this.symbolBytes.push(bytes);
    this.symbolPieces.push(piece);
    this.symbolIdByPiece.set(piece, id);
    return id;
  }

  wordsOf(key: number): Set<number> {
    let words = this.pairWords.get(key);
    if (words === undefined) {
      words = new Set();
      this.pairWords.set(key, words);
    }
    return words;
  }

  /** Entries for the queue: most frequent first; on equal counts, by the bytes of left, then right. */
  isBefore = (a: PairEntry, b: PairEntry): boolean => {
    if (a.count !== b.count) return a.count > b.count;
    const byLeft = Buffer.compare(this.symbolBytes[pairLeft(a.pair)]!, this.symbolBytes[pairLeft(b.pair)]!);
    if (byLeft !== 0) return byLeft < 0;
    return Buffer.compare(this.symbolBytes[pairRight(a.pair)]!, this.symbolBytes[pairRight(b.pair)]!) < 0;
  };

  /**
   * Joins every occurrence of (left, right) into `merged`, left to right without overlap (so
   * "a a a" becomes "aa a"), and returns the change in each pair's count.
   */
  applyMerge(key: number, merged: number): Map<number, number> {
    const left = pairLeft(key);
    const right = pairRight(key);
    const deltas = new Map<number, number>();
    const addDelta = (pair: number, delta: number) => deltas.set(pair, (deltas.get(pair) ?? 0) + delta);
    for (const index of this.pairWords.get(key) ?? []) {
      const before = this.words[index]!;
      const after = joinPair(before, left, right, merged);
      if (after === null) continue;
      const count = this.wordCounts[index]!;
      for (let i = 0; i + 1 < before.length; i++) addDelta(pairKey(before[i]!, before[i + 1]!), -count);
      for (let i = 0; i + 1 < after.length; i++) {
        const pair = pairKey(after[i]!, after[i + 1]!);
        addDelta(pair, count);
        this.wordsOf(pair).add(index);
      }
      this.words[index] = after;
    }
    this.pairWords.delete(key);
    return deltas;
  }

  tokenCount(): number {
    let tokens = 0;
    for (let i = 0; i < this.words.length; i++) tokens += this.words[i]!.length * this.wordCounts[i]!;
    return tokens;
  }
}

/** The word with each (left, right) replaced by merged, or null when the pair does not occur. */
function joinPair(symbols: Uint32Array, left: number, right: number, merged: number): Uint32Array | null {
  let out: Uint32Array | null = null;
  let length = 0;
  for (let i = 0; i < symbols.length; i++) {
    const isPair = symbols[i] === left && i + 1 < symbols.length && symbols[i + 1] === right;
    if (isPair && out === null) {
      out = new Uint32Array(symbols.length - 1);
      out.set(symbols.subarray(0, i));
      length = i;
    }
    if (out === null) continue;
    if (isPair) {
      out[length++] = merged;
      i += 1;
    } else {
      out[length++] = symbols[i]!;
    }
  }
  return out === null ? null : out.slice(0, length);
}

export function trainBpe(wordCounts: ReadonlyMap<string, number>, options: BpeTrainingOptions): TrainedBpe {
  const { symbolCount, minPairCount = 2, onProgress } = options;
  if (!Number.isInteger(symbolCount) || symbolCount < BYTE_SYMBOL_COUNT || symbolCount > MAX_SYMBOL_COUNT) {
    throw new RangeError(`symbolCount must be an integer in [${BYTE_SYMBOL_COUNT}, ${MAX_SYMBOL_COUNT}], got ${symbolCount}`);
  }
  const state = new TrainingState(wordCounts);
  const queue = new PairQueue(state.isBefore);
  for (const [pair, count] of state.pairCounts) queue.push({ pair, count });

  const merges: BpeMerge[] = [];
  const symbolsWanted = symbolCount - BYTE_SYMBOL_COUNT;
  let stoppedEarly = false;
  while (state.symbolBytes.length < symbolCount) {
    const best = queue.pop();
    if (best === undefined || best.count < minPairCount) {
      stoppedEarly = true;
      break;
    }
    if (state.pairCounts.get(best.pair) !== best.count) continue; // stale: the count has changed since
    const left = pairLeft(best.pair);
    const right = pairRight(best.pair);
    // Should two merges ever spell the same bytes ("ab"+"c", "a"+"bc"), they share one symbol, as
    // the token string is all tokenizer.json knows (the Rust trainer guards the same way).
    const merged = state.symbolFor(Buffer.concat([state.symbolBytes[left]!, state.symbolBytes[right]!]));
    merges.push({ left, right, merged });
    for (const [pair, delta] of state.applyMerge(best.pair, merged)) {
      if (delta === 0) continue;
      const count = (state.pairCounts.get(pair) ?? 0) + delta;
      if (count > 0) {
        state.pairCounts.set(pair, count);
        queue.push({ pair, count });
      } else {
        state.pairCounts.delete(pair);
      }
    }
    onProgress?.(state.symbolBytes.length - BYTE_SYMBOL_COUNT, symbolsWanted);
  }
  return {
    symbolBytes: state.symbolBytes,
    symbolPieces: state.symbolPieces,
    merges,
    stoppedEarly,
    tokenCount: state.tokenCount(),
  };
}
