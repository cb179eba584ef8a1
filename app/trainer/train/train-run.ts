// One training run: the model (a config from scratch, a checkpoint with --init, or a run to
// continue with --resume), the corpus as token shards, the native trainer stepping off the JS
// thread, held-out evaluation, and checkpoints: OUT/model.safetensors (FORMAT.md, one file) and
// OUT/optimizer.safetensors beside it. Ctrl-C (the signal) stops the running step and saves the
// last finished one before the run ends with an AbortError.
//
// Batches are a function of (seed, step) and the native trainer is deterministic, so a run
// resumed from its files continues exactly as if it had never stopped.

import { appendFile, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

import { parseConfig } from '../../checkpoint/config.js';
import { readCheckpoint } from '../../checkpoint/read-checkpoint.js';
import { readSafetensorsHeader } from '../../checkpoint/safetensors.js';
import { TextTokenizer } from '../../checkpoint/tokenizer.js';
import type { ColmConfig, LoadPlan } from '../../checkpoint/types.js';
import { loadAddon, type NamedTensor, type NativeTrainer, type OptimizerState, type TrainerOptions } from '../../engine/native.js';
import { BatchSampler, evalBatches } from './batches.js';
import { loadOptimizer, readWeights, saveModel, saveOptimizer, type ModelTexts } from './checkpoint-io.js';
import { formatProgress, Progress, type ProgressStream } from './progress.js';
import { count, loadShards, prepareShards, type CorpusFormat, type TokenData } from './token-shards.js';
import { TrainError } from './train-error.js';

export interface Hyperparameters {
  steps: number; // total steps of the run (the schedule ends here)
  batch: number;
  seqLen: number;
  lr: number;
  minLr: number;
  warmupSteps: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  gradClip: number;
  labelSmoothing: number;
  loss: 'multi' | 'full';
  freezeChains: number;
  seed: number;
}

export const DEFAULT_HYPERPARAMETERS: Omit<Hyperparameters, 'steps' | 'warmupSteps'> = {
  batch: 8,
  seqLen: 256,
  lr: 2e-3,
  minLr: 2e-4,
  weightDecay: 0.1,
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  gradClip: 1,
  labelSmoothing: 0,
  loss: 'multi',
  freezeChains: 0,
  seed: 0,
};

export interface TrainRunOptions {
  out: string;
  configPath?: string;
  initPath?: string;
  resumePath?: string;
  corpusFiles: string[];
  corpusFormat: CorpusFormat;
  tokenizerPath?: string;
  tokenizerConfigPath?: string;
  /** Given values override the defaults (fresh runs) or the recorded ones (--resume). */
  hyper: Partial<Hyperparameters>;
  threads?: number;
  /** Evaluation options; absent: the values a resumed run recorded, else the defaults shown. */
  evalEvery?: number; // steps between held-out evaluations (0: only at the end)
  evalWindows?: number; // held-out windows evaluated (default 64)
  saveEvery?: number; // steps between checkpoints (0: only at the end)
  /** Stop after this many evaluations in a row in which no sub-model's held-out loss improved (0: never). */
  earlyStop?: number;
}

/** Early stopping's state, kept in optimizer.safetensors so --resume continues it exactly. */
export interface EarlyStopState {
  bestPerChain: number[]; // the lowest held-out loss each sub-model has reached
  bestMean: number; // the lowest mean over k, reached at bestStep (the weights in best.safetensors)
  bestStep: number;
  stale: number; // evaluations in a row without a new best for any k
}

export interface EvalResult {
  step: number;
  lossPerChain: number[];
  perplexityPerChain: number[];
}

export interface TrainSummary {
  steps: number;
  parameters: number;
  tokensPerSecond: number;
  seconds: number;
  lastLoss: number[];
  eval: EvalResult | null;
  /** With evaluations: the step whose mean held-out loss was lowest, saved as best.safetensors. */
  best: { step: number; path: string } | null;
  stoppedEarly: boolean;
  modelPath: string;
  optimizerPath: string;
}

interface Source {
  config: ColmConfig;
  texts: ModelTexts;
  weights: NamedTensor[] | null;
  state: OptimizerState | null;
  recorded: Partial<Hyperparameters>;
  early: EarlyStopState | null;
  evaluation: Partial<EvaluationPlan>;
  shards: TokenData | null;
}

/** How a run evaluates; recorded with the optimizer state so that --resume evaluates the same way. */
interface EvaluationPlan {
  every: number;
  windows: number;
  earlyStop: number;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    throw new TrainError(`${what} ${path} cannot be read`);
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** config.json text, tokenizer texts (as stored, byte for byte) and weights of a checkpoint the reader accepts. */
async function checkpointSource(path: string): Promise<{ plan: LoadPlan; texts: ModelTexts; weights: NamedTensor[] }> {
  const plan = await readCheckpoint(path);
  let texts: ModelTexts;
  if (plan.packaging === 'single-file') {
    const meta = (await readSafetensorsHeader(plan.files[0]!)).metadata;
    texts = { configText: meta['colm.config']!, tokenizerText: meta['colm.tokenizer']!, tokenizerConfigText: meta['colm.tokenizer_config'] ?? null };
  } else {
    const beside = join(plan.source, 'tokenizer_config.json');
    texts = {
      configText: await readText(join(plan.source, 'config.json'), 'config'),
      tokenizerText: await readText(join(plan.source, 'tokenizer.json'), 'tokenizer'),
      tokenizerConfigText: (await exists(beside)) ? await readText(beside, 'tokenizer config') : null,
    };
  }
  return { plan, texts, weights: await readWeights(plan) };
}

async function resolveSource(o: TrainRunOptions, log: (s: string) => void): Promise<Source> {
  if (o.resumePath !== undefined) {
    const dir = o.resumePath;
    const modelPath = join(dir, 'model.safetensors');
    const optimizerPath = join(dir, 'optimizer.safetensors');
    if (!(await exists(modelPath)) || !(await exists(optimizerPath)))
      throw new TrainError(`--resume ${dir}: expected model.safetensors and optimizer.safetensors there (written by colm train --out)`);
    const { plan, texts, weights } = await checkpointSource(modelPath);
    const { state, info } = await loadOptimizer(optimizerPath);
    log(`resuming ${dir} at step ${state.step}`);
    return { config: plan.config, texts, weights, state, recorded: (info.hyper ?? {}) as Partial<Hyperparameters>, early: (info.early ?? null) as EarlyStopState | null, evaluation: (info.evaluation ?? {}) as Partial<EvaluationPlan>, shards: await loadShards(join(dir, 'data')) };
  }
  if (o.initPath !== undefined) {
    const { plan, texts, weights } = await checkpointSource(o.initPath);
    log(`starting from the weights of ${o.initPath}`);
    if (o.tokenizerPath !== undefined) {
      texts.tokenizerText = await readText(o.tokenizerPath, 'tokenizer');
      texts.tokenizerConfigText = await tokenizerConfigText(o);
    }
    return { config: plan.config, texts, weights, state: null, recorded: {}, early: null, evaluation: {}, shards: null };
  }
  if (o.configPath === undefined) throw new TrainError('colm train needs --config MODEL.json (or --init MODEL, or --resume DIR)');
  if (o.tokenizerPath === undefined) throw new TrainError('colm train needs --tokenizer tokenizer.json (make one with colm tokenizer train)');
  const configText = await readText(o.configPath, 'config');
  let raw: unknown;
  try {
    raw = JSON.parse(configText);
  } catch (error) {
    throw new TrainError(`config ${o.configPath} is not valid JSON (${(error as Error).message})`);
  }
  const config = parseConfig(raw, o.configPath);
  return {
    config,
    texts: { configText, tokenizerText: await readText(o.tokenizerPath, 'tokenizer'), tokenizerConfigText: await tokenizerConfigText(o) },
    weights: null,
    state: null,
    recorded: {},
    early: null,
    evaluation: {},
    shards: null,
  };
}

/** --tokenizer-config, or the tokenizer_config.json beside tokenizer.json when there is one. */
async function tokenizerConfigText(o: TrainRunOptions): Promise<string | null> {
  if (o.tokenizerConfigPath !== undefined) return readText(o.tokenizerConfigPath, 'tokenizer config');
  const beside = join(dirname(o.tokenizerPath!), 'tokenizer_config.json');
  return (await exists(beside)) ? readText(beside, 'tokenizer config') : null;
}

function hyperparameters(o: TrainRunOptions, recorded: Partial<Hyperparameters>, n: number): Hyperparameters {
  const merged = { ...DEFAULT_HYPERPARAMETERS, ...recorded, ...o.hyper };
  const steps = merged.steps;
  if (steps === undefined) throw new TrainError('colm train needs --steps N');
  const h: Hyperparameters = { ...merged, steps, warmupSteps: merged.warmupSteps ?? Math.min(200, Math.floor(steps / 10)) };
  if (h.freezeChains >= n) throw new TrainError(`--freeze-chains ${h.freezeChains} leaves nothing to train: the model has ${n} chain(s)`);
  return h;
}

async function evaluate(trainer: NativeTrainer, batches: { batch: number; batches: Int32Array[] }, seqLen: number, step: number): Promise<EvalResult | null> {
  if (batches.batches.length === 0) return null;
  let sums: number[] | null = null;
  for (const tokens of batches.batches) {
    const r = await trainer.evaluate(tokens, batches.batch, seqLen);
    sums = sums ? sums.map((s, k) => s + r.lossPerChain[k]!) : [...r.lossPerChain];
  }
  const lossPerChain = sums!.map((s) => s / batches.batches.length);
  return { step, lossPerChain, perplexityPerChain: lossPerChain.map(Math.exp) };
}

/**
 * Folds one evaluation into early stopping's state: a sub-model that beat its own best resets the
 * count of stale evaluations; a new lowest mean over k makes this step the best one.
 */
export function recordEvaluation(state: EarlyStopState | null, e: EvalResult): { state: EarlyStopState; newBest: boolean } {
  const mean = e.lossPerChain.reduce((a, b) => a + b, 0) / e.lossPerChain.length;
  if (!state) return { state: { bestPerChain: [...e.lossPerChain], bestMean: mean, bestStep: e.step, stale: 0 }, newBest: true };
  const improved = e.lossPerChain.some((l, k) => l < state.bestPerChain[k]!);
  const newBest = mean < state.bestMean;
  return {
    state: {
      bestPerChain: state.bestPerChain.map((b, k) => Math.min(b, e.lossPerChain[k]!)),
      bestMean: newBest ? mean : state.bestMean,
      bestStep: newBest ? e.step : state.bestStep,
      stale: improved ? 0 : state.stale + 1,
    },
    newBest,
  };
}

function describeEval(e: EvalResult): string {
  return `eval step ${e.step}: held-out loss ${e.lossPerChain.map((l, k) => `k${k + 1} ${l.toFixed(4)}`).join(' ')}; perplexity ${e.perplexityPerChain
    .map((p, k) => `k${k + 1} ${p.toFixed(2)}`)
    .join(' ')}`;
}

export async function trainRun(o: TrainRunOptions, out: ProgressStream, err: ProgressStream, signal?: AbortSignal): Promise<TrainSummary> {
  const note = (s: string) => err.write(s + '\n');
  signal?.throwIfAborted();
  const src = await resolveSource(o, note);
  const config = src.config;
  const n = config.chains.length;
  const h = hyperparameters(o, src.recorded, n);
  const tokenizer = TextTokenizer.fromJson(JSON.parse(src.texts.tokenizerText) as unknown, src.texts.tokenizerConfigText ? (JSON.parse(src.texts.tokenizerConfigText) as Record<string, unknown>) : null, 'tokenizer.json');
  if (tokenizer.vocabSize > config.vocabSize)
    throw new TrainError(`the tokenizer has ${tokenizer.vocabSize} tokens but the config's vocab_size is ${config.vocabSize}; make vocab_size at least ${tokenizer.vocabSize}`);

  const outDir = resolve(o.out);
  await mkdir(outDir, { recursive: true });
  const dataDir = join(outDir, 'data');
  let shards = src.shards;
  if (o.corpusFiles.length > 0 || !shards) {
    shards = await prepareShards({
      dir: dataDir,
      corpusFiles: o.corpusFiles,
      format: o.corpusFormat,
      tokenizerJsonText: src.texts.tokenizerText,
      tokenizerConfig: src.texts.tokenizerConfigText ? (JSON.parse(src.texts.tokenizerConfigText) as Record<string, unknown>) : null,
      log: note,
    });
  }
  for (const list of [shards.train, shards.eval])
    for (const s of list)
      for (let i = 0; i < s.length; i++)
        if (s[i]! >= config.vocabSize) throw new TrainError(`token id ${s[i]} in the token shards is outside the vocabulary of ${config.vocabSize}`);

  const sampler = new BatchSampler(shards.train, h.batch, h.seqLen, h.seed);
  const evaluation: EvaluationPlan = {
    every: o.evalEvery ?? src.evaluation.every ?? 0,
    windows: o.evalWindows ?? src.evaluation.windows ?? 64,
    earlyStop: o.earlyStop ?? src.evaluation.earlyStop ?? 0,
  };
  const held = evalBatches(shards.eval, h.batch, h.seqLen, evaluation.windows);
  const options: TrainerOptions = {
    config,
    seed: h.seed,
    lr: h.lr,
    minLr: h.minLr,
    warmupSteps: h.warmupSteps,
    totalSteps: h.steps,
    weightDecay: h.weightDecay,
    beta1: h.beta1,
    beta2: h.beta2,
    eps: h.eps,
    gradClip: h.gradClip,
    labelSmoothing: h.labelSmoothing,
    loss: h.loss,
    freezeChains: h.freezeChains,
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
    ...(src.weights ? { init: { tensors: src.weights } } : {}),
    ...(src.state ? { optimizerState: src.state } : {}),
  };
  const { Trainer } = loadAddon();
  const trainer = new Trainer(options);
  const modelPath = join(outDir, 'model.safetensors');
  const optimizerPath = join(outDir, 'optimizer.safetensors');
  const logPath = join(outDir, 'train-log.jsonl');
  note(
    `training ${trainer.parameterCount} parameters (${n} chain(s)${config.kvSharing ? ', CoLM-Air' : ''}) on ${count(shards.train)} tokens (${sampler.windows} windows of ${h.seqLen}), ` +
      `batch ${h.batch}, ${h.loss} loss, lr ${h.lr} -> ${h.minLr}, warm-up ${h.warmupSteps}, ${trainer.threads} threads, from step ${trainer.steps} to ${h.steps}`,
  );

  const save = async () => {
    await saveModel(modelPath, trainer.exportWeights(), src.texts);
    await saveOptimizer(optimizerPath, trainer.exportOptimizerState(), { hyper: h, evaluation, ...(early ? { early } : {}) });
  };
  const bestPath = join(outDir, 'best.safetensors');
  let early: EarlyStopState | null = src.early;
  let stoppedEarly = false;
  // Folds an evaluation into early stopping; writes best.safetensors when it is the best so far.
  const judge = async (e: EvalResult) => {
    const r = recordEvaluation(early, e);
    early = r.state;
    if (r.newBest) await saveModel(bestPath, trainer.exportWeights(), src.texts);
    const limit = evaluation.earlyStop;
    if (limit > 0 && early.stale >= limit) stoppedEarly = true;
  };
  const progress = new Progress(out);
  const onAbort = () => trainer.cancel();
  signal?.addEventListener('abort', onAbort);
  const started = performance.now();
  const startStep = trainer.steps;
  let last: number[] = [];
  let lastEval: EvalResult | null = null;
  const window: number[] = []; // recent step times (ms) for tokens/s and ETA
  try {
    for (let step = trainer.steps; step < h.steps; step++) {
      signal?.throwIfAborted();
      const t0 = performance.now();
      const r = await trainer.step(sampler.batchAt(step), h.batch, h.seqLen);
      window.push(performance.now() - t0);
      if (window.length > 20) window.shift();
      const msPerStep = window.reduce((a, b) => a + b, 0) / window.length;
      last = r.lossPerChain;
      await appendFile(logPath, JSON.stringify({ step: r.step, loss: r.loss, lossPerChain: r.lossPerChain, gradNorm: r.gradNorm, lr: r.lr }) + '\n');
      const done = r.step === h.steps;
      progress.update(
        formatProgress({ step: r.step, total: h.steps, loss: r.loss, lossPerChain: r.lossPerChain, tokensPerSecond: (h.batch * h.seqLen * 1000) / msPerStep, etaSeconds: ((h.steps - r.step) * msPerStep) / 1000 }),
        done,
      );
      if (evaluation.every > 0 && r.step % evaluation.every === 0 && !done) {
        lastEval = await evaluate(trainer, held, h.seqLen, r.step);
        if (lastEval) {
          await judge(lastEval);
          progress.note(describeEval(lastEval) + (early!.bestStep === r.step ? ' (best so far)' : ''));
          await appendFile(logPath, JSON.stringify({ eval: lastEval }) + '\n');
          if (stoppedEarly) {
            progress.note(`early stop: no sub-model's held-out loss improved in ${early!.stale} evaluations; the best weights (step ${early!.bestStep}) are in ${bestPath}`);
            break;
          }
        }
      }
      if ((o.saveEvery ?? 0) > 0 && r.step % o.saveEvery! === 0 && !done) {
        await save();
        progress.note(`saved ${modelPath} at step ${r.step}`);
      }
    }
    progress.finish();
    lastEval = stoppedEarly ? lastEval : await evaluate(trainer, held, h.seqLen, trainer.steps);
    if (lastEval && !stoppedEarly) {
      await judge(lastEval);
      stoppedEarly = false; // the last evaluation of a finished run stops nothing
      note(describeEval(lastEval) + (early!.bestStep === trainer.steps ? ' (best so far)' : ''));
      await appendFile(logPath, JSON.stringify({ eval: lastEval }) + '\n');
    }
    await save();
    note(`saved ${modelPath} and ${optimizerPath} at step ${trainer.steps}`);
  } catch (error) {
    progress.finish();
    if ((error as Error).name === 'AbortError' || signal?.aborted) {
      await save();
      note(`stopped: saved ${modelPath} and ${optimizerPath} at step ${trainer.steps} (continue with --resume ${o.out})`);
      const abort = new Error('training was stopped');
      abort.name = 'AbortError';
      throw abort;
    }
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  const seconds = (performance.now() - started) / 1000;
  const summary: TrainSummary = {
    steps: trainer.steps,
    parameters: trainer.parameterCount,
    tokensPerSecond: ((trainer.steps - startStep) * h.batch * h.seqLen) / Math.max(seconds, 1e-9),
    seconds,
    lastLoss: last,
    eval: lastEval,
    best: early ? { step: (early as EarlyStopState).bestStep, path: bestPath } : null,
    stoppedEarly,
    modelPath,
    optimizerPath,
  };
  trainer.dispose();
  return summary;
}
