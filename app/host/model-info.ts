// A loaded Model described as plain data for the UI: what it is, and what each chain count costs.
import { basename } from 'node:path';

import type { KvType } from '../engine/kv-type.js';
import type { Model } from '../engine/model.js';
import { kvCacheBytes } from '../engine/context-plan.js';
import type { ModelInfo } from './protocol.js';
import { weightTypeOf } from './weight-type.js';

export function describeModel(model: Model, contextSize: number, threads: number, kvType: KvType): ModelInfo {
  const c = model.config;
  const w = model.widths;
  const native = model.info();
  const plan = model.contextPlan(undefined, kvType);
  return {
    path: model.path,
    name: basename(model.path),
    packaging: model.plan.packaging,
    modelType: c.modelType,
    kvSharing: c.kvSharing,
    chainRatios: [...c.chains],
    chainCount: model.chainCount,
    layers: c.numHiddenLayers,
    vocabSize: c.vocabSize,
    contextSize,
    threads,
    dtypes: [...model.dtypes],
    weightType: weightTypeOf(model.plan),
    samplingDefaults: { ...model.samplingDefaults },
    contextLength: c.maxPositionEmbeddings,
    mappedBytes: native.mappedBytes,
    kernels: native.kernels,
    defaultContextSize: plan.context,
    kvCache: { ...plan.shape },
    kvCacheBytes: kvCacheBytes(plan.shape, contextSize),
    kvType,
    subModels: c.chains.map((_, i) => ({
      chains: i + 1,
      width: w.cumHidden[i + 1] ?? 0,
      heads: w.cumHeads[i + 1] ?? 0,
      ffn: w.cumFfn[i + 1] ?? 0,
      parameters: model.parameterCounts[i] ?? 0,
    })),
  };
}
