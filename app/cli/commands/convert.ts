// colm convert: any checkpoint the loader reads (a GGUF file above all) -> one single-file FORMAT.md
// checkpoint (packaging 2: colm.config, colm.tokenizer, colm.tokenizer_config in __metadata__), with
// exactly the tensors the engine would load, so the new file gives the same logits as the old one.
// GGUF block types other than Q8_0 become q8_0 (default) or BF16 (--dequantize bf16), as on load.
import { resolve } from 'node:path';
import { readCheckpoint, readCheckpointTexts, TensorReader, writeSafetensors, type LoadPlan, type TensorToWrite } from '../../checkpoint/index.js';
import { describeGguf, GGUF_PACKAGING, type DequantizeTarget } from '../../checkpoint/gguf/gguf-plan.js';
import { UsageError } from '../usage.js';

export const CONVERT_USAGE = 'usage: colm convert MODEL --out NEW.safetensors [--dequantize q8_0|bf16]';

export interface ConvertArgs {
  positionals: string[]; // [MODEL]
  out: string | undefined;
  dequantize: string | undefined;
}

function dequantizeOption(value: string | undefined): DequantizeTarget | undefined {
  if (value === undefined) return undefined;
  const lower = value.toLowerCase();
  if (lower === 'q8_0' || lower === 'bf16') return lower;
  throw new UsageError(`--dequantize must be q8_0 or bf16, got "${value}"`);
}

/** config.json, tokenizer.json and tokenizer_config.json texts of the new file. */
async function texts(plan: LoadPlan, dequantizeTo: DequantizeTarget | undefined): Promise<Record<string, string>> {
  if (plan.packaging !== GGUF_PACKAGING) {
    const t = await readCheckpointTexts(plan);
    const metadata: Record<string, string> = { 'colm.config': t.config, 'colm.tokenizer': t.tokenizer };
    if (t.tokenizerConfig !== null) metadata['colm.tokenizer_config'] = t.tokenizerConfig;
    if (t.generationConfig !== null) metadata['colm.generation_config'] = t.generationConfig;
    return metadata;
  }
  const description = await describeGguf(plan.source, { dequantizeTo });
  const metadata: Record<string, string> = {
    'colm.config': JSON.stringify(description.configJson, null, 2),
    'colm.tokenizer': JSON.stringify(plan.tokenizerJson),
  };
  if (plan.tokenizerConfig !== null) metadata['colm.tokenizer_config'] = JSON.stringify(plan.tokenizerConfig, null, 2);
  if (plan.generationConfig !== null) metadata['colm.generation_config'] = JSON.stringify(plan.generationConfig, null, 2);
  return metadata;
}

// 4-byte elements first, then 2-byte, then int8: every tensor aligned to its element size.
function alignedOrder(tensors: TensorToWrite[]): TensorToWrite[] {
  const width = (t: TensorToWrite) => (t.dtype === 'F32' ? 0 : t.dtype === 'I8' ? 2 : 1);
  return [...tensors].sort((a, b) => width(a) - width(b));
}

export async function convertCommand(args: ConvertArgs, out: NodeJS.WritableStream, err: NodeJS.WritableStream, signal?: AbortSignal): Promise<void> {
  if (args.positionals.length !== 1) throw new UsageError(CONVERT_USAGE);
  if (args.out === undefined) throw new UsageError(`colm convert needs --out\n${CONVERT_USAGE}`);
  if (!args.out.toLowerCase().endsWith('.safetensors')) throw new UsageError(`--out must name a *.safetensors file, got "${args.out}"`);
  const dequantizeTo = dequantizeOption(args.dequantize);
  // floatEmbeddings: the safetensors file keeps the embedding and LM head float (docs/FORMAT-Q8.md);
  // dequantized from a GGUF's Q8_0 they are the very values the engine would run.
  const plan = await readCheckpoint(args.positionals[0]!, { signal, dequantizeTo, floatEmbeddings: true, onNotice: (line) => err.write(`colm: ${line}\n`) });
  const outPath = resolve(args.out);
  if (outPath === plan.source || plan.files.includes(outPath)) {
    throw new UsageError(`--out ${JSON.stringify(args.out)} is the checkpoint being converted; write it elsewhere`);
  }
  const metadata = await texts(plan, dequantizeTo);
  const reader = new TensorReader(plan);
  const tensors: TensorToWrite[] = [];
  try {
    for (const entry of plan.tensors) {
      signal?.throwIfAborted();
      const data = entry.data ?? (await reader.bytes(entry.name));
      if (entry.dtype === 'Q4_0' || entry.dtype === 'Q4_K') {
        // A GGUF's 4-bit chain linear, written as its blocks (docs/FORMAT-Q4.md): X.q4_0 / X.q4_k, U8 [rows, bytes per row].
        const rows = entry.shape[0] ?? 1;
        const name = entry.name.replace(/\.weight$/, entry.dtype === 'Q4_0' ? '.q4_0' : '.q4_k');
        tensors.push({ name, dtype: 'U8', shape: [rows, data.byteLength / rows], data });
        continue;
      }
      tensors.push({ name: entry.name, dtype: entry.dtype, shape: entry.shape, data });
    }
  } finally {
    await reader.close();
  }
  await writeSafetensors(outPath, alignedOrder(tensors), metadata);
  const bytes = tensors.reduce((sum, t) => sum + t.data.byteLength, 0);
  const dtypes = [...new Set(tensors.map((t) => t.dtype))].join(', ');
  out.write(`converted ${plan.source} (${plan.packaging}) -> ${outPath}: ${tensors.length} tensors (${dtypes}), ${(bytes / 2 ** 20).toFixed(1)} MiB of weights\n`);
}
