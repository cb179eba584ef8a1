// Training a CoLM: `colm train` (app/cli/commands/train.ts) runs trainRun; see README.md.
export { trainRun, DEFAULT_HYPERPARAMETERS } from './train-run.js';
export type { EvalResult, Hyperparameters, TrainRunOptions, TrainSummary } from './train-run.js';
export { BatchSampler, evalBatches } from './batches.js';
export { prepareShards, loadShards, HOLDOUT_EVERY } from './token-shards.js';
export type { CorpusFormat, TokenData } from './token-shards.js';
export { saveModel, saveOptimizer, loadOptimizer, readWeights } from './checkpoint-io.js';
export { TrainError } from './train-error.js';
