// Matches the tensors found in a checkpoint's files against the specs its config calls for: each one
// present with the right shape, chain linears in exactly one storage form, nothing left over.

import { CheckpointError } from './errors.js';
import type { ChainLinearSpec, TensorSpec } from './expected-tensors.js';
import type { SafetensorsTensor } from './safetensors.js';
import type { TensorEntry } from './types.js';

export interface LocatedTensor {
  file: number; // index into the checkpoint's file list
  path: string; // that file, for error messages
  tensor: SafetensorsTensor;
}

const CHAINS_INFIX = '.chains.';

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
      if (at >= 0) this.perChainBases.add(name.slice(0, at));
    }
  }

  private missing(name: string, why = 'is missing'): never {
    throw new CheckpointError(this.weightsFile, why, { tensor: name });
  }

  private take(name: string, shape: number[]): void {
    const located = this.remaining.get(name);
    if (!located) this.missing(name);
    this.remaining.delete(name);
    const { tensor } = located;
    if (!sameShape(tensor.shape, shape)) {
      throw new CheckpointError(located.path, `shape ${formatShape(tensor.shape)} but the config implies ${formatShape(shape)}`, { tensor: name });
    }
    this.entries.push({ name, file: located.file, offset: tensor.offset, byteLength: tensor.byteLength, dtype: tensor.dtype, shape: tensor.shape });
  }

  private chainLinear(spec: ChainLinearSpec): void {
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
      const first = [...this.remaining.values()].find((t) => t.tensor.name.startsWith(spec.base + CHAINS_INFIX));
      throw new CheckpointError(first?.path ?? this.weightsFile, `per-chain form with a single chain; FORMAT.md allows only ${wholeName} when n = 1`, {
        tensor: first?.tensor.name ?? `${spec.base}.chains.0.weight`,
      });
    }
    spec.outWidths.forEach((rows, i) => this.take(`${spec.base}.chains.${i}.weight`, [rows, spec.cumIn[i + 1] ?? 0]));
  }

  match(spec: TensorSpec): void {
    if (spec.kind === 'dense') this.take(spec.name, spec.shape);
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
