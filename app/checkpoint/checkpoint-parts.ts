// What each packaging reader hands to readCheckpoint: the config and side files, and every tensor
// found in the weight files, not yet matched against the config.

import type { LocatedTensor } from './match-tensors.js';
import type { ColmConfig, Packaging } from './types.js';

export interface CheckpointParts {
  packaging: Packaging;
  config: ColmConfig;
  files: string[]; // absolute paths of the safetensors files
  tensors: Map<string, LocatedTensor>;
  weightsFile: string; // the file a missing tensor is reported against
  tokenizerJson: unknown;
  tokenizerConfig: Record<string, unknown> | null;
  generationConfig: Record<string, unknown> | null;
}

export interface ReadOptions {
  signal?: AbortSignal;
}
