// colm grow: chain expansion (app/trainer/grow). Option values arrive as the strings the user
// typed; every bad one is a UsageError naming it. Width rules the new chain would break are input
// errors (exit 1) from the grower itself, which names the config key and the rule.
import type { DType } from '../../checkpoint/index.js';
import { growCheckpoint } from '../../trainer/grow/index.js';
import { intOption } from '../args.js';
import { UsageError } from '../usage.js';

export const GROW_USAGE = 'usage: colm grow MODEL --add-chain C --out NEW.safetensors [--seed S] [--dtype F32|BF16|F16]';

export interface GrowArgs {
  positionals: string[]; // [MODEL]
  addChain: string | undefined;
  out: string | undefined;
  seed: string | undefined;
  dtype: string | undefined;
}

function dtypeOption(value: string | undefined): DType | undefined {
  if (value === undefined) return undefined;
  const upper = value.toUpperCase();
  if (upper === 'F32' || upper === 'F16' || upper === 'BF16') return upper;
  throw new UsageError(`--dtype must be F32, BF16 or F16, got "${value}"`);
}

function formatChains(chains: number[]): string {
  return `[${chains.join(', ')}]`;
}

function millions(count: number): string {
  return count >= 1e6 ? `${(count / 1e6).toFixed(2)}M` : `${(count / 1e3).toFixed(1)}K`;
}

export async function growCommand(args: GrowArgs, out: NodeJS.WritableStream): Promise<void> {
  if (args.positionals.length !== 1) throw new UsageError(GROW_USAGE);
  if (args.addChain === undefined) throw new UsageError(`colm grow needs --add-chain\n${GROW_USAGE}`);
  if (args.out === undefined) throw new UsageError(`colm grow needs --out\n${GROW_USAGE}`);
  if (!args.out.toLowerCase().endsWith('.safetensors')) throw new UsageError(`--out must name a *.safetensors file, got "${args.out}"`);
  const result = await growCheckpoint({
    modelPath: args.positionals[0]!,
    addChain: intOption(args.addChain, 'add-chain', 1, 1 << 20)!,
    outPath: args.out,
    seed: intOption(args.seed, 'seed', 0),
    dtype: dtypeOption(args.dtype),
  });
  const { before, after } = result;
  const n = before.chains.length;
  out.write(
    `grew ${result.source}: chains ${formatChains(before.chains)} -> ${formatChains(after.chains)}, ` +
      `hidden ${before.hiddenSize} -> ${after.hiddenSize}, heads ${before.numAttentionHeads} -> ${after.numAttentionHeads} ` +
      `(kv ${before.numKeyValueHeads} -> ${after.numKeyValueHeads}), ffn ${before.intermediateSize} -> ${after.intermediateSize}, ` +
      `parameters ${millions(result.parameters.before)} -> ${millions(result.parameters.after)}\n` +
      `wrote ${result.outPath} (${result.dtype}, ${(result.bytes / 2 ** 20).toFixed(1)} MiB of weights); ` +
      `sub-models k <= ${n} are the old ones, and k = ${n + 1} gives the old logits until the new chain is trained ` +
      `(colm train --freeze-chains ${n} trains only the new chain)\n`,
  );
}
