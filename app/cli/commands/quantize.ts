// colm quantize: 8-bit block quantization of the chain linears (app/quantize, docs/FORMAT-Q8.md).
// Option values arrive as the strings the user typed; every bad one is a UsageError naming it.
// Checkpoints it cannot quantize are input errors (exit 1) naming the file and the rule.
import { quantizeCheckpoint, type QuantizeType, type ScaleDType } from '../../quantize/index.js';
import { UsageError } from '../usage.js';

export const QUANTIZE_USAGE = 'usage: colm quantize MODEL --out NEW.safetensors [--type q8_0|q4_0|q4_k] [--scale-dtype F16|F32]';

export interface QuantizeArgs {
  positionals: string[]; // [MODEL]
  out: string | undefined;
  scaleDtype: string | undefined;
  type?: string | undefined;
}

function typeOption(value: string | undefined): QuantizeType | undefined {
  if (value === undefined) return undefined;
  const lower = value.toLowerCase();
  if (lower === 'q8_0' || lower === 'q4_0' || lower === 'q4_k') return lower;
  throw new UsageError(`--type must be q8_0, q4_0 or q4_k, got "${value}"`);
}

function scaleDtypeOption(value: string | undefined): ScaleDType | undefined {
  if (value === undefined) return undefined;
  const upper = value.toUpperCase();
  if (upper === 'F16' || upper === 'F32') return upper;
  throw new UsageError(`--scale-dtype must be F16 or F32, got "${value}"`);
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

export async function quantizeCommand(args: QuantizeArgs, out: NodeJS.WritableStream, signal?: AbortSignal): Promise<void> {
  if (args.positionals.length !== 1) throw new UsageError(QUANTIZE_USAGE);
  if (args.out === undefined) throw new UsageError(`colm quantize needs --out\n${QUANTIZE_USAGE}`);
  if (!args.out.toLowerCase().endsWith('.safetensors')) throw new UsageError(`--out must name a *.safetensors file, got "${args.out}"`);
  const type = typeOption(args.type);
  const result = await quantizeCheckpoint({ modelPath: args.positionals[0]!, outPath: args.out, scaleDtype: scaleDtypeOption(args.scaleDtype), type, signal });
  const { stats } = result;
  const relativeRms = stats.sumSquares > 0 ? Math.sqrt(stats.sumSquaredErrors / stats.sumSquares) : 0;
  out.write(
    `quantized ${result.source}: ${stats.matrices} chain-linear blocks (${(stats.weights / 1e6).toFixed(2)}M weights) to ${result.type}` +
      `${result.type === 'q8_0' ? ` with ${result.scaleDtype} scales` : ''}; relative RMS error of those weights ${(100 * relativeRms).toFixed(3)}%, ` +
      `largest ${stats.maxAbsError.toExponential(2)}\n` +
      `wrote ${result.outPath} (${mib(result.bytesBefore)} -> ${mib(result.bytesAfter)} of weights; ` +
      'embedding, norms, LM head and CoLM-Air K/V stay in their float dtype)\n',
  );
  if (stats.fallbacks.length > 0) {
    out.write(
      `${stats.fallbacks.length} chain linear${stats.fallbacks.length === 1 ? '' : 's'} stored as q8_0 instead: a chain's K-extent is not a multiple of ` +
        `${result.type === 'q4_k' ? 256 : 32} columns (${stats.fallbacks.slice(0, 3).join(', ')}${stats.fallbacks.length > 3 ? ', ...' : ''})\n`,
    );
  }
}
