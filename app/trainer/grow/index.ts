// Chain expansion (progressive scaling): append a chain to a trained CoLM, or to a dense Llama,
// so that the grown model reproduces the old logits exactly until the new chain is trained.
export { growCheckpoint } from './grow-checkpoint.js';
export type { GrowOptions, GrowResult } from './grow-checkpoint.js';
export { growConfig, smallestFittingRatio } from './grow-config.js';
export { GrowError } from './grow-error.js';
