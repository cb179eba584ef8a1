// Every tensor of the grown checkpoint, in the order the loader expects them, built from the old
// checkpoint's tensors:
// - chain linears are written per chain. Block i < n reads input columns [0, cum_i), which growth
//   does not change, so it is the old block as stored (cut out of a whole tensor when it was whole).
//   The new chain's block [rows of the new chain, all of the new input] is random, std 1/sqrt(fan_in).
// - the embedding gains the new chain's columns (random, at the old table's scale; zero when tied,
//   because then they are also the LM head's), norms gain ones, and the LM head gains ZERO columns:
//   logits_{n+1} = logits_n + x_{n+1} . W_{n+1} = logits_n, so the grown model starts out exact.
// - CoLM-Air's dense k_proj/v_proj read chain 1 only and are copied unchanged.

import { expectedTensors, type ChainLinearSpec, type TensorSpec } from '../../checkpoint/expected-tensors.js';
import type { ChainWidths, ColmConfig, DType, TensorToWrite } from '../../checkpoint/index.js';
import { constant, fromValues, joinColumns, leadingBlock, rootMeanSquare, withDtype, type Matrix } from './matrix.js';
import { SeededNormal } from './seeded-normal.js';
import type { TensorSource } from './tensor-source.js';

// The scale of new embedding columns if the old table is all zeros (HF Llama's initializer_range).
const FALLBACK_EMBEDDING_STD = 0.02;

export interface GrowTensorsInput {
  source: TensorSource;
  old: { config: ColmConfig; widths: ChainWidths };
  grown: { config: ColmConfig; widths: ChainWidths };
  dtype: DType;
  seed: number;
}

function isChainNorm(name: string): boolean {
  return name.endsWith('_layernorm.weight') || name === 'model.norm.weight';
}

function toWrite(name: string, matrix: Matrix, shape: number[]): TensorToWrite {
  if (matrix.rows * matrix.cols !== shape.reduce((product, dim) => product * dim, 1)) {
    throw new Error(`grow: ${name} came out ${matrix.rows}x${matrix.cols}, the grown config needs [${shape.join(', ')}]`);
  }
  return { name, dtype: matrix.dtype, shape, data: matrix.bytes };
}

class TensorGrower {
  private readonly oldLinears: Map<string, ChainLinearSpec>;
  private readonly addedHidden: number;

  constructor(private readonly input: GrowTensorsInput) {
    const oldSpecs = expectedTensors(input.old.config, input.old.widths);
    this.oldLinears = new Map(oldSpecs.filter((s): s is ChainLinearSpec => s.kind === 'chain-linear').map((s) => [s.base, s]));
    this.addedHidden = input.grown.config.hiddenSize - input.old.config.hiddenSize;
  }

  private async readOld(name: string): Promise<Matrix> {
    return this.input.source.read(name);
  }

  private random(name: string, rows: number, cols: number, std: number): Matrix {
    const values = new SeededNormal(this.input.seed, name).fill(rows * cols, std);
    return fromValues(values, rows, cols, this.input.dtype);
  }

  async dense(name: string, shape: number[]): Promise<TensorToWrite> {
    const { dtype } = this.input;
    const stored = await this.readOld(name);
    const old = withDtype(stored, dtype);
    const rows = old.rows;
    if (name === 'model.embed_tokens.weight') {
      const extra = this.input.grown.config.tieWordEmbeddings
        ? constant(rows, this.addedHidden, 0, dtype)
        : this.random(name, rows, this.addedHidden, rootMeanSquare(stored) || FALLBACK_EMBEDDING_STD);
      return toWrite(name, joinColumns(old, extra), shape);
    }
    if (name === 'lm_head.weight') return toWrite(name, joinColumns(old, constant(rows, this.addedHidden, 0, dtype)), shape);
    if (isChainNorm(name)) return toWrite(name, joinColumns(old, constant(1, this.addedHidden, 1, dtype)), shape);
    return toWrite(name, old, shape); // CoLM-Air's k_proj / v_proj: chain 1 only, unchanged
  }

  async chainLinear(spec: ChainLinearSpec): Promise<TensorToWrite[]> {
    const old = this.oldLinears.get(spec.base);
    if (!old) throw new Error(`grow: the old config has no chain linear ${spec.base}`);
    const n = old.outWidths.length;
    const wholeName = `${spec.base}.weight`;
    const whole = this.input.source.has(wholeName) ? await this.readOld(wholeName) : null;
    const out: TensorToWrite[] = [];
    let rowStart = 0;
    for (let i = 0; i < n; i++) {
      const rows = old.outWidths[i] ?? 0;
      const cols = old.cumIn[i + 1] ?? 0;
      const block = whole ? leadingBlock(whole, rowStart, rows, cols) : await this.readOld(`${spec.base}.chains.${i}.weight`);
      rowStart += rows;
      out.push(toWrite(`${spec.base}.chains.${i}.weight`, withDtype(block, this.input.dtype), [rows, cols]));
    }
    const name = `${spec.base}.chains.${n}.weight`;
    const rows = spec.outWidths[n] ?? 0;
    const fanIn = spec.cumIn[n + 1] ?? 0;
    out.push(toWrite(name, this.random(name, rows, fanIn, 1 / Math.sqrt(fanIn)), [rows, fanIn]));
    return out;
  }

  async grow(spec: TensorSpec): Promise<TensorToWrite[]> {
    if (spec.kind === 'ignored') return []; // a tied LM head is the embedding
    if (spec.kind === 'dense') return [await this.dense(spec.name, spec.shape)];
    return this.chainLinear(spec);
  }
}

export async function growTensors(input: GrowTensorsInput): Promise<TensorToWrite[]> {
  const grower = new TensorGrower(input);
  const tensors: TensorToWrite[] = [];
  for (const spec of expectedTensors(input.grown.config, input.grown.widths)) tensors.push(...(await grower.grow(spec)));
  return tensors;
}
