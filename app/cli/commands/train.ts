// colm train: trains a CoLM with the native trainer (app/trainer/train). Option values arrive as
// the strings the user typed; every bad one is a UsageError naming it. Progress goes to stdout
// (one redrawn line on a terminal), notes to stderr; Ctrl-C saves a checkpoint and exits 130.
import { trainRun, type Hyperparameters } from '../../trainer/train/index.js';
import { floatOption, intOption } from '../args.js';
import { UsageError } from '../usage.js';

export const TRAIN_USAGE = `usage: colm train --config MODEL.json --tokenizer tokenizer.json --corpus FILE... --steps N --out DIR
         [--corpus-format text|brown] [--tokenizer-config FILE] [--batch 8] [--seq-len 256]
         [--lr 2e-3] [--min-lr 2e-4] [--warmup N] [--weight-decay 0.1] [--grad-clip 1] [--label-smoothing 0]
         [--loss multi|full] [--freeze-chains K] [--seed S] [--threads N]
         [--eval-every N] [--eval-windows 64] [--save-every N] [--early-stop P]
       colm train --init MODEL ...        start from a checkpoint's weights (config and tokenizer too)
       colm train --resume DIR [--steps N] continue a run from DIR/model.safetensors + optimizer.safetensors`;

export interface TrainArgs {
  positionals: string[];
  config?: string;
  tokenizer?: string;
  tokenizerConfig?: string;
  corpus?: string[];
  corpusFormat?: string;
  steps?: string;
  out?: string;
  init?: string;
  resume?: string;
  batch?: string;
  seqLen?: string;
  lr?: string;
  minLr?: string;
  warmup?: string;
  weightDecay?: string;
  gradClip?: string;
  labelSmoothing?: string;
  loss?: string;
  freezeChains?: string;
  seed?: string;
  threads?: number;
  evalEvery?: string;
  evalWindows?: string;
  saveEvery?: string;
  earlyStop?: string;
}

export async function trainCommand(a: TrainArgs, out: NodeJS.WriteStream | NodeJS.WritableStream, err: NodeJS.WritableStream, signal: AbortSignal): Promise<void> {
  // Files after the first --corpus FILE arrive as positionals (a shell glob gives several).
  const corpus = [...(a.corpus ?? []), ...a.positionals];
  if (a.resume === undefined && a.out === undefined) throw new UsageError(`colm train needs --out DIR\n${TRAIN_USAGE}`);
  if (a.resume === undefined && a.steps === undefined) throw new UsageError(`colm train needs --steps N\n${TRAIN_USAGE}`);
  if (a.resume === undefined && a.init === undefined && a.config === undefined) throw new UsageError(`colm train needs --config MODEL.json (or --init MODEL)\n${TRAIN_USAGE}`);
  if (a.resume === undefined && corpus.length === 0) throw new UsageError(`colm train needs --corpus FILE...\n${TRAIN_USAGE}`);
  if ([a.config, a.init, a.resume].filter((x) => x !== undefined).length > 1) throw new UsageError('give one of --config, --init and --resume');
  const format = a.corpusFormat ?? 'text';
  if (format !== 'text' && format !== 'brown') throw new UsageError(`--corpus-format must be text or brown, got "${format}"`);
  if (a.loss !== undefined && a.loss !== 'multi' && a.loss !== 'full') throw new UsageError(`--loss must be multi or full, got "${a.loss}"`);
  const hyper: Partial<Hyperparameters> = {};
  const set = <K extends keyof Hyperparameters>(key: K, value: Hyperparameters[K] | undefined) => {
    if (value !== undefined) hyper[key] = value;
  };
  set('steps', intOption(a.steps, 'steps', 1, 1e9));
  set('batch', intOption(a.batch, 'batch', 1, 1 << 16));
  set('seqLen', intOption(a.seqLen, 'seq-len', 1, 1 << 20));
  set('lr', floatOption(a.lr, 'lr', 1e-9, 10));
  set('minLr', floatOption(a.minLr, 'min-lr', 0, 10));
  set('warmupSteps', intOption(a.warmup, 'warmup', 0, 1e9));
  set('weightDecay', floatOption(a.weightDecay, 'weight-decay', 0, 10));
  set('gradClip', floatOption(a.gradClip, 'grad-clip', 0, 1e6));
  set('labelSmoothing', floatOption(a.labelSmoothing, 'label-smoothing', 0, 0.999));
  set('loss', a.loss as 'multi' | 'full' | undefined);
  set('freezeChains', intOption(a.freezeChains, 'freeze-chains', 0, 1024));
  set('seed', intOption(a.seed, 'seed', 0, 2 ** 31 - 1));
  const evalEvery = intOption(a.evalEvery, 'eval-every', 0, 1e9);
  if (a.earlyStop !== undefined && a.resume === undefined && (evalEvery ?? 0) === 0)
    throw new UsageError('--early-stop needs --eval-every N: it counts evaluations');
  if (hyper.lr !== undefined && hyper.minLr !== undefined && hyper.minLr > hyper.lr) throw new UsageError('--min-lr must not exceed --lr');
  const summary = await trainRun(
    {
      out: a.out ?? a.resume!,
      ...(a.config !== undefined ? { configPath: a.config } : {}),
      ...(a.init !== undefined ? { initPath: a.init } : {}),
      ...(a.resume !== undefined ? { resumePath: a.resume } : {}),
      corpusFiles: corpus,
      corpusFormat: format,
      ...(a.tokenizer !== undefined ? { tokenizerPath: a.tokenizer } : {}),
      ...(a.tokenizerConfig !== undefined ? { tokenizerConfigPath: a.tokenizerConfig } : {}),
      hyper,
      ...(a.threads !== undefined ? { threads: a.threads } : {}),
      // Left out: a fresh run's defaults, or what a resumed run recorded.
      evalEvery,
      evalWindows: intOption(a.evalWindows, 'eval-windows', 1, 1e7),
      saveEvery: intOption(a.saveEvery, 'save-every', 0, 1e9) ?? 0,
      earlyStop: intOption(a.earlyStop, 'early-stop', 0, 1e6),
    },
    out as NodeJS.WriteStream,
    err,
    signal,
  );
  const ppl = summary.eval ? `; held-out perplexity ${summary.eval.perplexityPerChain.map((p, k) => `k${k + 1} ${p.toFixed(2)}`).join(', ')}` : '';
  const stopped = summary.stoppedEarly ? ' (stopped early)' : '';
  const best = summary.best ? `; lowest mean held-out loss at step ${summary.best.step}: ${summary.best.path}` : '';
  out.write(
    `trained ${summary.parameters} parameters to step ${summary.steps}${stopped} at ${Math.round(summary.tokensPerSecond)} tokens/s in ${summary.seconds.toFixed(1)} s${ppl}\nwrote ${summary.modelPath}${best}\n`,
  );
}
