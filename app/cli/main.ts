// The `colm` command: parses the command line, runs one command, and maps failures to exit
// codes (1: bad input, named; 2: bad usage). Never a crash signal, never a stack trace.
import { parseArgs } from 'node:util';

import { floatOption, intList, intOption, kvTypeOption } from './args.js';
import { chatCommand } from './commands/chat.js';
import { convertCommand } from './commands/convert.js';
import { growCommand } from './commands/grow.js';
import { infoCommand } from './commands/info.js';
import { logitsCommand } from './commands/logits.js';
import { perplexityCommand, PERPLEXITY_USAGE } from './commands/perplexity.js';
import { quantizeCommand } from './commands/quantize.js';
import { runCommand } from './commands/run.js';
import { serveCommand } from './commands/serve.js';
import { tokenizerTrainCommand, TOKENIZER_TRAIN_USAGE } from './commands/tokenizer-train.js';
import { trainCommand } from './commands/train.js';
import { defaultModelPath } from './default-model.js';
import { deviceOption } from './device.js';
import { deviceRequestText } from '../engine/device-choice.js';
import { HELP, UsageError } from './usage.js';
import { setKernelVariant } from '../engine/system.js';

const OPTIONS = {
  chains: { type: 'string' },
  schedule: { type: 'string' },
  tokens: { type: 'string' },
  prefill: { type: 'string' },
  'max-tokens': { type: 'string' },
  temperature: { type: 'string' },
  'top-k': { type: 'string' },
  'top-p': { type: 'string' },
  'min-p': { type: 'string' },
  'repeat-penalty': { type: 'string' },
  seed: { type: 'string' },
  threads: { type: 'string' },
  context: { type: 'string' },
  'kv-type': { type: 'string' },
  chat: { type: 'boolean' },
  json: { type: 'boolean' },
  kernels: { type: 'string' },
  device: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'data-dir': { type: 'string' },
  'api-key': { type: 'string' },
  'max-queue': { type: 'string' },
  'simulate-power': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  // colm tokenizer train
  corpus: { type: 'string', multiple: true },
  'corpus-format': { type: 'string' },
  vocab: { type: 'string' },
  out: { type: 'string' },
  'config-out': { type: 'string' },
  special: { type: 'string', multiple: true },
  // colm perplexity (also --corpus, --corpus-format, --chains, --threads, --json)
  window: { type: 'string' },
  'max-windows': { type: 'string' },
  // colm grow
  'add-chain': { type: 'string' },
  dtype: { type: 'string' },
  // colm quantize
  'scale-dtype': { type: 'string' },
  type: { type: 'string' }, // colm quantize --type q8_0|q4_0|q4_k
  // colm convert
  dequantize: { type: 'string' },
  // colm train (also --corpus, --corpus-format, --out, --seed, --threads)
  config: { type: 'string' },
  tokenizer: { type: 'string' },
  'tokenizer-config': { type: 'string' },
  steps: { type: 'string' },
  init: { type: 'string' },
  resume: { type: 'string' },
  batch: { type: 'string' },
  'seq-len': { type: 'string' },
  lr: { type: 'string' },
  'min-lr': { type: 'string' },
  warmup: { type: 'string' },
  'weight-decay': { type: 'string' },
  'grad-clip': { type: 'string' },
  'label-smoothing': { type: 'string' },
  loss: { type: 'string' },
  'freeze-chains': { type: 'string' },
  'eval-every': { type: 'string' },
  'early-stop': { type: 'string' },
  'eval-windows': { type: 'string' },
  'save-every': { type: 'string' },
} as const;

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    process.stderr.write(`colm: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (v.help || !command || command === 'help') {
    process.stdout.write(HELP);
    return command || v.help ? 0 : 2;
  }
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    const threads = intOption(v.threads, 'threads', 1, 1024);
    if (v.kernels !== undefined) {
      try {
        setKernelVariant(v.kernels);
      } catch (error) {
        throw new UsageError(`--kernels: ${(error as Error).message}`);
      }
    }
    const generate = {
      maxTokens: intOption(v['max-tokens'], 'max-tokens', 1, 1 << 20),
      temperature: floatOption(v.temperature, 'temperature', 0, 100),
      topK: intOption(v['top-k'], 'top-k', 0),
      topP: floatOption(v['top-p'], 'top-p', 0, 1),
      minP: floatOption(v['min-p'], 'min-p', 0, 1),
      repeatPenalty: floatOption(v['repeat-penalty'], 'repeat-penalty', 0.01, 100),
      seed: intOption(v.seed, 'seed', 0),
    };
    const chains = intOption(v.chains, 'chains', 1, 1024);
    // The engine's own bound; the model's limit (max_position_embeddings) is checked once it is read.
    const context = intOption(v.context, 'context', 1, 1 << 24);
    const kvType = kvTypeOption(v['kv-type']);
    const device = deviceOption(v.device);
    switch (command) {
      case 'info': {
        if (rest.length > 1) throw new UsageError('colm info takes one MODEL');
        await infoCommand(rest[0] ?? defaultModelPath(), v.json ?? false, process.stdout, context, kvType, device);
        return 0;
      }
      case 'run': {
        if (rest.length < 1 || rest.length > 2) throw new UsageError('usage: colm run [MODEL] "prompt"');
        const [modelPath, prompt] = rest.length === 2 ? [rest[0]!, rest[1]!] : [defaultModelPath(), rest[0]!];
        await runCommand({ modelPath, prompt, chat: v.chat ?? false, chains, threads, context, kvType, device, generate }, process.stdout, process.stderr, abort.signal);
        return 0;
      }
      case 'chat': {
        if (rest.length > 1) throw new UsageError('usage: colm chat [MODEL]');
        await chatCommand({ modelPath: rest[0] ?? defaultModelPath(), chains, threads, context, kvType, device, generate }, process.stdin, process.stdout);
        return 0;
      }
      case 'logits': {
        if (rest.length !== 1) throw new UsageError('usage: colm logits MODEL --tokens t0,t1,... (--chains K | --schedule k,...)');
        if (v.tokens === undefined) throw new UsageError('colm logits needs --tokens');
        await logitsCommand(
          {
            modelPath: rest[0]!,
            tokens: intList(v.tokens, 'tokens', 0),
            prefill: intOption(v.prefill, 'prefill', 0) ?? 0,
            chains,
            schedule: v.schedule === undefined ? undefined : intList(v.schedule, 'schedule', 1),
            threads,
            context,
            kvType,
            device,
          },
          process.stdout,
        );
        return 0;
      }
      case 'perplexity': {
        if (rest.length < 1) throw new UsageError(PERPLEXITY_USAGE);
        const format = v['corpus-format'] ?? 'text';
        if (format !== 'text' && format !== 'brown') throw new UsageError(`--corpus-format must be text or brown, got "${format}"`);
        await perplexityCommand(
          {
            modelPath: rest[0]!,
            // Files after the first --corpus FILE arrive as positionals (a shell glob gives several).
            corpusFiles: [...(v.corpus ?? []), ...rest.slice(1)],
            corpusFormat: format,
            window: intOption(v.window, 'window', 2, 1 << 20) ?? 256,
            maxWindows: intOption(v['max-windows'], 'max-windows', 1, 1 << 30),
            chains,
            threads,
            kvType,
            device,
            json: v.json ?? false,
          },
          process.stdout,
          process.stderr,
          abort.signal,
        );
        return 0;
      }
      case 'tokenizer': {
        if (rest[0] !== 'train') throw new UsageError(TOKENIZER_TRAIN_USAGE);
        // Files after the first --corpus FILE arrive as positionals (a shell glob gives several).
        const corpusFiles = [...(v.corpus ?? []), ...rest.slice(1)];
        const args = { corpusFiles, vocab: v.vocab, out: v.out, configOut: v['config-out'], specialTokens: v.special, corpusFormat: v['corpus-format'] };
        await tokenizerTrainCommand(args, process.stdout, process.stderr);
        return 0;
      }
      case 'serve': {
        if (rest.length > 1) throw new UsageError('usage: colm serve [MODEL] [--port N] [--host ADDR] [--data-dir DIR] [--api-key KEY] [--max-queue N] [--context N] [--kv-type T] [--device auto|cpu|cuda[:N]] [--simulate-power FILE.json]');
        const port = intOption(v.port, 'port', 0, 65535);
        const maxQueue = intOption(v['max-queue'], 'max-queue', 0, 10_000);
        const serve = { modelPath: rest[0], port, host: v.host, dataDir: v['data-dir'], apiKey: v['api-key'], maxQueue, context, kvType, simulatePower: v['simulate-power'], device: device && deviceRequestText(device) };
        await serveCommand(serve, process.stdout, process.stderr, abort.signal);
        return 0;
      }
      case 'grow': {
        await growCommand({ positionals: rest, addChain: v['add-chain'], out: v.out, seed: v.seed, dtype: v.dtype }, process.stdout);
        return 0;
      }
      case 'quantize': {
        await quantizeCommand({ positionals: rest, out: v.out, scaleDtype: v['scale-dtype'], type: v.type }, process.stdout, abort.signal);
        return 0;
      }
      case 'convert': {
        await convertCommand({ positionals: rest, out: v.out, dequantize: v.dequantize }, process.stdout, process.stderr, abort.signal);
        return 0;
      }
      case 'train': {
        await trainCommand(
          {
            positionals: rest, config: v.config, tokenizer: v.tokenizer, tokenizerConfig: v['tokenizer-config'], corpus: v.corpus,
            corpusFormat: v['corpus-format'], steps: v.steps, out: v.out, init: v.init, resume: v.resume, batch: v.batch,
            seqLen: v['seq-len'], lr: v.lr, minLr: v['min-lr'], warmup: v.warmup, weightDecay: v['weight-decay'],
            gradClip: v['grad-clip'], labelSmoothing: v['label-smoothing'], loss: v.loss, freezeChains: v['freeze-chains'], seed: v.seed, threads,
            evalEvery: v['eval-every'], evalWindows: v['eval-windows'], saveEvery: v['save-every'], earlyStop: v['early-stop'],
          },
          process.stdout, process.stderr, abort.signal,
        );
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`colm: ${error.message}\n`);
      return 2;
    }
    if ((error as Error).name === 'AbortError') {
      process.stderr.write('colm: stopped\n');
      return 130;
    }
    // Input errors (checkpoint, tokenizer, engine) carry one line naming the file and the rule.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`colm: ${message.split('\n')[0]}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
