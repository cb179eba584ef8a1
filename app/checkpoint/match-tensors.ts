// Matches the tensors found in a checkpoint's files against the specs its config calls for: each one
// present with the right shape and dtype, chain linears in exactly one storage form, nothing left over.

import { CheckpointError } from './errors.js';
import type { ChainLinearSpec, TensorSpec } from './expected-tensors.js';
import type { SafetensorsTensor } from './safetensors.js';
import type { PlanDType, TensorEntry } from './types.js';

export interface LocatedTensor {
  file: number; // index into the checkpoint's file list
  path: string; // that file, for error messages
  tensor: SafetensorsTensor;
}

const CHAINS_INFIX = '.chains.';
const Q8_BLOCK = 32; // columns per scale (docs/FORMAT-Q8.md)

/** The dtypes a tensor may have where it stands, and how to say so when it has another. */
interface DtypeRule {
  allowed: readonly PlanDType[];
  expected: string;
}

const FLOAT: DtypeRule = { allowed: ['F32', 'F16', 'BF16'], expected: 'this tensor must be F32, F16 or BF16 (only the .qweight of a q8_0 chain linear is I8)' };
const QWEIGHT: DtypeRule = { allowed: ['I8'], expected: 'a .qweight must be I8 (docs/FORMAT-Q8.md)' };
const QSCALE: DtypeRule = { allowed: ['F16', 'F32'], expected: 'a .qscale must be F16 or F32 (docs/FORMAT-Q8.md)' };
const Q4: DtypeRule = { allowed: ['Q4_0', 'Q4_K'], expected: 'a chain linear stored in 4 bits must be Q4_0 or Q4_K throughout (docs/FORMAT-Q4.md)' };
const DENSE_OR_Q4: DtypeRule = { allowed: ['F32', 'F16', 'BF16', 'Q4_0', 'Q4_K'], expected: 'the embedding and LM head of a GGUF must be float, Q4_0, Q4_K or a Q8_0 pair' };
const Q4_BLOCK: Readonly<Record<string, number>> = { Q4_0: 32, Q4_K: 256 };

function isQ4(dtype: string): boolean {
  return dtype === 'Q4_0' || dtype === 'Q4_K';
}

function formatShape(shape: number[]): string {
  return `[${shape.join(', ')}]`;
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}

class TensorMatcher {
  private readonly remaining: Map<string, LocatedTensor>;
  // Bases X that have at least one `X.chains.*` tensor, to spot per-chain storage in one lookup.
  private readonly perChainBases = new Set<string>();
  readonly entries: TensorEntry[] = [];

  constructor(
    found: Map<string, LocatedTensor>,
    private readonly weightsFile: string,
    private readonly chainCount: number,
  ) {
    this.remaining = new Map(found);
    for (const name of found.keys()) {
      const at = name.indexOf(CHAINS_INFIX);
      // Biases have their own form (chainBias): only weights decide the weight's form.
      if (at >= 0 && !name.endsWith('.bias')) this.perChainBases.add(name.slice(0, at));
    }
  }

  private missing(name: string, why = 'is missing'): never {
    throw new CheckpointError(this.weightsFile, why, { tensor: name });
  }

  private take(name: string, shape: number[], dtype: DtypeRule = FLOAT, why = { missing: 'is missing', shape: 'the config implies' }): void {
    const located = this.remaining.get(name);
    if (!located) this.missing(name, why.missing);
    this.remaining.delete(name);
    const { tensor } = located;
    if (!dtype.allowed.includes(tensor.dtype)) {
      throw new CheckpointError(located.path, `dtype ${tensor.dtype}, but ${dtype.expected}`, { tensor: name });
    }
    if (!sameShape(tensor.shape, shape)) {
      throw new CheckpointError(located.path, `shape ${formatShape(tensor.shape)} but ${why.shape} ${formatShape(shape)}`, { tensor: name });
    }
    const entry: TensorEntry = { name, file: located.file, offset: tensor.offset, byteLength: tensor.byteLength, dtype: tensor.dtype, shape: tensor.shape };
    if (tensor.q8Split) entry.q8Split = tensor.q8Split;
    this.entries.push(entry);
  }

  /** The first stored tensor among `names`, if any. */
  private firstStored(names: string[]): LocatedTensor | undefined {
    for (const name of names) {
      const located = this.remaining.get(name);
      if (located) return located;
    }
    return undefined;
  }

  /** A q8_0 matrix: `prefix.qweight` (I8, [rows, cols]) and `prefix.qscale` (F16 or F32, one scale per 32 columns). */
  private takeQuantized(prefix: string, rows: number, cols: number): void {
    this.take(`${prefix}.qweight`, [rows, cols], QWEIGHT, { missing: 'is missing (colm_quantization q8_0 stores every chain linear as .qweight and .qscale)', shape: 'the config implies' });
    const blocks = Math.ceil(cols / Q8_BLOCK);
    this.take(`${prefix}.qscale`, [rows, blocks], QSCALE, {
      missing: `is missing (${prefix}.qweight needs its scales)`,
      shape: `${rows} rows of ${cols} columns in blocks of ${Q8_BLOCK} need`,
    });
  }

  private quantizedChainLinear(spec: ChainLinearSpec): void {
    const float = this.firstStored([`${spec.base}.weight`, `${spec.base}.chains.0.weight`]);
    if (float) {
      throw new CheckpointError(float.path, 'is a float chain linear, but colm_quantization q8_0 asks for every chain linear as .qweight and .qscale', {
        tensor: float.tensor.name,
      });
    }
    const n = spec.outWidths.length;
    const whole = this.remaining.get(`${spec.base}.qweight`);
    if (n === 1) {
      const perChain = this.firstStored([`${spec.base}.chains.0.qweight`, `${spec.base}.chains.0.qscale`]);
      if (perChain) throw new CheckpointError(perChain.path, `per-chain form with a single chain; store ${spec.base}.qweight when n = 1`, { tensor: perChain.tensor.name });
      this.takeQuantized(spec.base, spec.outWidths[0] ?? 0, spec.cumIn[1] ?? 0);
      return;
    }
    if (whole) {
      throw new CheckpointError(whole.path, `stores a chain linear whole, which q8_0 allows only when n = 1; store ${spec.base}.chains.{i}.qweight per chain`, {
        tensor: whole.tensor.name,
      });
    }
    spec.outWidths.forEach((rows, i) => this.takeQuantized(`${spec.base}.chains.${i}`, rows, spec.cumIn[i + 1] ?? 0));
  }

  /**
   * FORMAT.md 1.1: a chain linear's float bias, whole `X.bias` [sum(outWidths)] or per chain
   * `X.chains.{i}.bias` [outWidths[i]], independently of the weight's form; never both. A bias the
   * config does not call for is left over and refused as an unknown tensor.
   */
  private chainBias(spec: ChainLinearSpec): void {
    if (!spec.bias) return;
    const wholeName = `${spec.base}.bias`;
    const whole = this.remaining.get(wholeName);
    const firstPerChain = this.remaining.get(`${spec.base}.chains.0.bias`);
    if (whole && firstPerChain) {
      throw new CheckpointError(whole.path, `is stored both whole and per chain (${spec.base}.chains.{i}.bias); keep one form`, { tensor: wholeName });
    }
    if (whole || !firstPerChain) {
      const rows = spec.outWidths.reduce((sum, w) => sum + w, 0);
      this.take(wholeName, [rows], FLOAT, { missing: `is missing (the config asks for biases; neither whole nor per chain as ${spec.base}.chains.{i}.bias)`, shape: 'the config implies' });
      return;
    }
    if (this.chainCount === 1) {
      throw new CheckpointError(firstPerChain.path, `per-chain form with a single chain; FORMAT.md allows only ${wholeName} when n = 1`, { tensor: firstPerChain.tensor.name });
    }
    spec.outWidths.forEach((rows, i) => this.take(`${spec.base}.chains.${i}.bias`, [rows]));
  }

  /**
   * A chain linear in llama.cpp's 4-bit blocks (docs/FORMAT-Q4.md): `X.weight` (whole: its chains
   * are prefix windows of its rows) or `X.chains.{i}.weight` per chain, every K-extent a whole
   * number of blocks. Allowed with any storage: a GGUF's own Q4_0/Q4_K tensors, and q4_0/q4_k
   * checkpoints (whose chain linears that could not be 4-bit are q8_0 pairs).
   */
  private q4ChainLinear(spec: ChainLinearSpec, first: LocatedTensor): void {
    if (spec.storage === 'float') {
      throw new CheckpointError(first.path, `is ${first.tensor.dtype}, but the config has no colm_quantization (docs/FORMAT-Q4.md)`, { tensor: first.tensor.name });
    }
    const block = Q4_BLOCK[first.tensor.dtype] ?? 32;
    const rowsTotal = spec.outWidths.reduce((sum, w) => sum + w, 0);
    const whole = this.remaining.get(`${spec.base}.weight`);
    const extents = whole ? spec.cumIn.slice(1) : spec.cumIn.slice(1, spec.outWidths.length + 1);
    const bad = extents.find((k) => k % block !== 0);
    if (bad !== undefined) {
      throw new CheckpointError(first.path, `is ${first.tensor.dtype}, whose blocks hold ${block} columns, but a chain reads ${bad} columns (a chain's K-extent must be a multiple of ${block})`, {
        tensor: first.tensor.name,
      });
    }
    if (whole) {
      if (this.perChainBases.has(spec.base)) {
        throw new CheckpointError(whole.path, `is stored both whole and per chain (${spec.base}.chains.*); keep one form`, { tensor: whole.tensor.name });
      }
      this.take(whole.tensor.name, [rowsTotal, spec.cumIn[spec.cumIn.length - 1] ?? 0], Q4);
      return;
    }
    spec.outWidths.forEach((rows, i) => this.take(`${spec.base}.chains.${i}.weight`, [rows, spec.cumIn[i + 1] ?? 0], Q4));
  }

  private chainLinear(spec: ChainLinearSpec): void {
    this.chainBias(spec);
    const q4 = this.firstStored([`${spec.base}.weight`, `${spec.base}.chains.0.weight`]);
    if (q4 && isQ4(q4.tensor.dtype)) {
      this.q4ChainLinear(spec, q4);
      return;
    }
    if (spec.storage === 'q8_0') {
      this.quantizedChainLinear(spec);
      return;
    }
    const quantized = this.firstStored([`${spec.base}.qweight`, `${spec.base}.chains.0.qweight`]);
    if (quantized) {
      throw new CheckpointError(quantized.path, 'is a q8_0 tensor, but the config has no colm_quantization (docs/FORMAT-Q8.md)', { tensor: quantized.tensor.name });
    }
    const wholeName = `${spec.base}.weight`;
    const whole = this.remaining.get(wholeName);
    const perChain = this.perChainBases.has(spec.base);
    if (whole && perChain) {
      throw new CheckpointError(whole.path, `is stored both whole and per chain (${spec.base}.chains.*); keep one form`, { tensor: wholeName });
    }
    if (whole || !perChain) {
      const rows = spec.outWidths.reduce((sum, w) => sum + w, 0);
      if (!whole) this.missing(wholeName, `is missing (neither whole nor per chain as ${spec.base}.chains.{i}.weight)`);
      this.take(wholeName, [rows, spec.cumIn[spec.cumIn.length - 1] ?? 0]);
      return;
    }
    if (this.chainCount === 1) {
      const first = [...this.remaining.values()].find((t) => t.tensor.name.startsWith(spec.base + CHAINS_INFIX) && !t.tensor.name.endsWith('.bias'));
      throw new CheckpointError(first?.path ?? this.weightsFile, `per-chain form with a single chain; FORMAT.md allows only ${wholeName} when n = 1`, {
        tensor: first?.tensor.name ?? `${spec.base}.chains.0.weight`,
      });
    }
    spec.outWidths.forEach((rows, i) => this.take(`${spec.base}.chains.${i}.weight`, [rows, spec.cumIn[i + 1] ?? 0]));
  }

  /**
   * The embedding or LM head of a GGUF plan: float, a GGUF's own Q4_0/Q4_K blocks, or a Q8_0 pair
   * when that is what was found.
   */
  private denseOrQuantized(name: string, shape: number[]): void {
    const base = name.replace(/\.weight$/, '');
    const pair = this.firstStored([`${base}.qweight`, `${base}.qscale`]);
    if (!pair) return this.take(name, shape, DENSE_OR_Q4);
    const float = this.remaining.get(name);
    if (float) throw new CheckpointError(float.path, `is also stored as ${base}.qweight and .qscale; keep one form`, { tensor: name });
    this.takeQuantized(base, shape[0] ?? 0, shape[1] ?? 0);
  }

  match(spec: TensorSpec): void {
    if (spec.kind === 'dense' && spec.q8Allowed === true) this.denseOrQuantized(spec.name, spec.shape);
    else if (spec.kind === 'dense') this.take(spec.name, spec.shape);
    else if (spec.kind === 'ignored') this.remaining.delete(spec.name);
    else this.chainLinear(spec);
  }

  refuseLeftovers(): void {
    const leftovers = [...this.remaining.values()];
    const first = leftovers[0];
    if (!first) return;
    const more = leftovers.length > 1 ? ` (and ${leftovers.length - 1} more)` : '';
    throw new CheckpointError(first.path, `is not part of this model (unknown tensor${more})`, { tensor: first.tensor.name });
  }
}

/** The plan's tensor list in spec order, or a CheckpointError naming the first broken tensor. */
export function matchTensors(specs: TensorSpec[], found: Map<string, LocatedTensor>, weightsFile: string, chainCount: number): TensorEntry[] {
  const matcher = new TensorMatcher(found, weightsFile, chainCount);
  for (const spec of specs) matcher.match(spec);
  matcher.refuseLeftovers();
  return matcher.entries;
}
