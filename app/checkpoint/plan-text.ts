// A LoadPlan as plain text, for native programs that run without Node (the GPU check,
// native/tests/cuda/cuda_check.cpp): the config as the addon hands it to the engine
// (native/addon/model_config.cpp), the files, every tensor's place, and a token sequence.
// One item per line, fields separated by spaces; paths relative to `root`.
import { relative } from 'node:path';

import type { LoadPlan } from './types.js';

const b = (v: boolean) => (v ? '1' : '0');

export function planToText(plan: LoadPlan, root: string, tokens: readonly number[]): string {
  const c = plan.config;
  const lines = [
    'colm-plan 1',
    `config hidden_size ${c.hiddenSize}`,
    `config intermediate_size ${c.intermediateSize}`,
    `config num_layers ${c.numHiddenLayers}`,
    `config vocab_size ${c.vocabSize}`,
    `config num_heads ${c.numAttentionHeads}`,
    `config num_kv_heads ${c.numKeyValueHeads}`,
    `config head_dim ${c.headDim}`,
    `config chains ${c.chains.join(' ')}`,
    `config kv_sharing ${b(c.kvSharing)}`,
    `config rms_norm_eps ${c.rmsNormEps}`,
    `config rope_theta ${c.ropeTheta}`,
    c.ropeScaling === null
      ? 'config rope_scaling none'
      : c.ropeScaling.ropeType === 'linear'
        ? `config rope_scaling linear ${c.ropeScaling.factor}`
        : `config rope_scaling llama3 ${c.ropeScaling.factor} ${c.ropeScaling.lowFreqFactor} ${c.ropeScaling.highFreqFactor} ${c.ropeScaling.originalMaxPositionEmbeddings}`,
    `config tie_word_embeddings ${b(c.tieWordEmbeddings)}`,
    `config qkv_bias ${b(c.qkvBias)}`,
    `config o_bias ${b(c.oBias)}`,
    `config mlp_bias ${b(c.mlpBias)}`,
    `config qk_norm ${b(c.qkNorm)}`,
    `config q8_block_size ${c.quantization ? c.quantization.blockSize : 0}`,
  ];
  if (c.slidingWindow !== null) {
    lines.push(`config sliding_window ${Math.min(c.slidingWindow, 2 ** 30)}`);
    lines.push(`config sliding_layers ${c.slidingWindowLayers.map(b).join(' ')}`);
  }
  for (const f of plan.files) lines.push(`file ${relative(root, f).split('\\').join('/')}`);
  for (const t of plan.tensors) {
    if (t.data) throw new Error(`tensor ${t.name} is held in memory: a plan text names file bytes only`);
    lines.push(`tensor ${t.name} ${t.file} ${t.offset} ${t.byteLength} ${t.dtype} ${t.shape.join(' ')}`);
  }
  lines.push(`tokens ${tokens.join(' ')}`);
  return lines.join('\n') + '\n';
}
