// colm tokenizer train: learn a byte-level BPE tokenizer from text files (app/trainer/tokenizer).
// Option values arrive as the strings the user typed; every bad one is a UsageError naming it.
import { BYTE_SYMBOL_COUNT, MAX_SYMBOL_COUNT } from '../../trainer/tokenizer/bpe-trainer.js';
import { DEFAULT_SPECIAL_TOKENS } from '../../trainer/tokenizer/tokenizer-files.js';
import { checkSpecialTokens, minimumVocabSize, TokenizerTrainingError, trainTokenizer, type CorpusFormat } from '../../trainer/tokenizer/train-tokenizer.js';
import { intOption } from '../args.js';
import { UsageError } from '../usage.js';

export const TOKENIZER_TRAIN_USAGE =
  'usage: colm tokenizer train --corpus FILE... --vocab N --out tokenizer.json [--config-out tokenizer_config.json] [--special TOKEN]... [--corpus-format text|brown]';

export interface TokenizerTrainArgs {
  corpusFiles: string[];
  vocab: string | undefined;
  out: string | undefined;
  configOut: string | undefined;
  specialTokens: string[] | undefined; // undefined: DEFAULT_SPECIAL_TOKENS
  corpusFormat: string | undefined;
}

function corpusFormat(value: string | undefined): CorpusFormat {
  if (value === undefined || value === 'text') return 'text';
  if (value === 'brown') return 'brown';
  throw new UsageError(`--corpus-format must be text or brown, got "${value}"`);
}

export async function tokenizerTrainCommand(args: TokenizerTrainArgs, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<void> {
  if (args.corpusFiles.length === 0) throw new UsageError(`colm tokenizer train needs --corpus\n${TOKENIZER_TRAIN_USAGE}`);
  if (args.vocab === undefined) throw new UsageError(`colm tokenizer train needs --vocab\n${TOKENIZER_TRAIN_USAGE}`);
  if (args.out === undefined) throw new UsageError(`colm tokenizer train needs --out\n${TOKENIZER_TRAIN_USAGE}`);
  const specialTokens = args.specialTokens ?? [...DEFAULT_SPECIAL_TOKENS];
  try {
    checkSpecialTokens(specialTokens);
  } catch (error) {
    if (error instanceof TokenizerTrainingError) throw new UsageError(`--special: ${error.message}`);
    throw error;
  }
  const vocabSize = intOption(args.vocab, 'vocab', 1, MAX_SYMBOL_COUNT)!;
  const smallest = minimumVocabSize(specialTokens.length);
  if (vocabSize < smallest) {
    throw new UsageError(`--vocab must be at least ${smallest} (${BYTE_SYMBOL_COUNT} bytes + ${specialTokens.length} special tokens), got ${vocabSize}`);
  }

  const result = await trainTokenizer({
    corpusFiles: args.corpusFiles,
    corpusFormat: corpusFormat(args.corpusFormat),
    vocabSize,
    specialTokens,
    outPath: args.out,
    configOutPath: args.configOut,
    log: (line) => err.write(`colm tokenizer: ${line}\n`),
  });
  const early = result.stoppedEarly ? ` (stopped early: asked for ${vocabSize}, no pair occurs twice more)` : '';
  out.write(
    `wrote ${args.out}${args.configOut === undefined ? '' : ` and ${args.configOut}`}: vocab ${result.vocabSize}${early} = ` +
      `${BYTE_SYMBOL_COUNT} bytes + ${result.vocabSize - BYTE_SYMBOL_COUNT - specialTokens.length} learned + ${specialTokens.length} special; ` +
      `${(result.corpusBytes / result.tokenCount).toFixed(2)} bytes per token on the corpus; ${result.seconds.toFixed(1)} s\n`,
  );
}
