// colm perplexity: how well a model predicts a text, at every chain count (or one), on the same
// windows (app/engine/perplexity.ts). Each file is one document, encoded as generation would read
// it (the tokenizer's BOS when it adds one) and ended by the EOS token, as the trainer reads its
// corpus; the documents' tokens are then cut into windows of --window tokens.
import { readFile } from 'node:fs/promises';

import type { DeviceRequest } from '../../engine/device-choice.js';
import type { KvType } from '../../engine/kv-type.js';
import { loadModel } from '../../engine/model.js';
import { consecutiveWindows, perplexityByChains, type PerplexityRow } from '../../engine/perplexity.js';
import { brownFileText } from '../../trainer/tokenizer/brown-corpus.js';
import { cliDevice } from '../device.js';
import { UsageError } from '../usage.js';

export const PERPLEXITY_USAGE = `usage: colm perplexity MODEL --corpus FILE... [--corpus-format text|brown] [--window 256]
         [--max-windows N] [--chains K] [--threads N] [--kv-type T] [--device auto|cpu|cuda[:N]] [--json]`;

export interface PerplexityRequest {
  modelPath: string;
  corpusFiles: string[];
  corpusFormat: 'text' | 'brown';
  window: number;
  maxWindows?: number;
  chains?: number; // absent: every chain count
  threads?: number;
  kvType?: KvType; // --kv-type; absent: the engine's default (bf16)
  device?: DeviceRequest; // --device; absent: auto
  json: boolean;
}

async function readDocument(path: string, format: 'text' | 'brown'): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return format === 'brown' ? brownFileText(text) : text;
}

export async function perplexityCommand(req: PerplexityRequest, out: NodeJS.WritableStream, err: NodeJS.WritableStream, signal?: AbortSignal): Promise<PerplexityRow[]> {
  if (req.corpusFiles.length === 0) throw new UsageError(`colm perplexity needs --corpus FILE...\n${PERPLEXITY_USAGE}`);
  const model = await loadModel(req.modelPath, { signal });
  try {
    const n = model.chainCount;
    if (req.chains !== undefined && req.chains > n) throw new UsageError(`--chains ${req.chains} is out of range: this model has ${n} chain(s)`);
    const limit = model.config.maxPositionEmbeddings;
    if (limit !== null && req.window > limit) throw new UsageError(`--window ${req.window} is longer than the ${limit} positions the model allows`);
    const tk = model.tokenizer;
    const eos = tk.eosTokenIds[0];
    const tokens: number[] = [];
    for (const file of req.corpusFiles) {
      const ids = tk.encode(await readDocument(file, req.corpusFormat), { addSpecialTokens: true });
      for (const id of ids) tokens.push(id);
      if (eos !== undefined && ids.at(-1) !== eos) tokens.push(eos);
    }
    if (tokens.length < 2) throw new Error(`the corpus has ${tokens.length} token(s): perplexity needs at least 2`);
    const windows = consecutiveWindows(tokens, req.window, req.maxWindows);
    // Every session holds one window: the longest is the context the device must fit.
    const device = cliDevice(model, req.device, Math.max(...windows.map((w) => w.length)), req.kvType, err);
    const chainCounts = req.chains !== undefined ? [req.chains] : Array.from({ length: n }, (_, i) => i + 1);
    err.write(`colm perplexity: ${req.corpusFiles.length} file(s), ${tokens.length} tokens, ${windows.length} window(s) of up to ${req.window}, chain counts ${chainCounts.join(', ')}\n`);
    if (!req.json) out.write('chains  perplexity  nats/token  positions\n');
    const rows = await perplexityByChains(model, windows, chainCounts, {
      ...(req.threads !== undefined ? { threads: req.threads } : {}),
      ...(req.kvType !== undefined ? { kvType: req.kvType } : {}),
      device,
      ...(signal ? { signal } : {}),
      onRow: (r) => {
        if (!req.json) out.write(`${String(r.chains).padStart(6)}  ${r.perplexity.toFixed(3).padStart(10)}  ${r.meanNll.toFixed(4).padStart(10)}  ${String(r.positions).padStart(9)}\n`);
      },
    });
    if (req.json) out.write(JSON.stringify({ model: model.path, tokens: tokens.length, windows: windows.length, window: req.window, rows }, null, 2) + '\n');
    return rows;
  } finally {
    model.dispose();
  }
}
