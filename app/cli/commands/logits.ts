// colm logits: the scripting interface others use to check this engine against their own
// reference. Keep its input and output stable.
//
// Positions 0..P-1 are the prompt, read as one prefill exactly as generation reads it (CoLM-Air:
// the cache from chain 1 alone), which yields the logits of position P-1; positions P..T-1 are
// then decoded one at a time. Rows are printed for positions max(P-1, 0)..T-1.
import type { KvType } from '../../engine/kv-type.js';
import { loadModel } from '../../engine/model.js';
import type { DeviceRequest } from '../../engine/device-choice.js';
import { cliContextPlan } from '../context.js';
import { cliDevice } from '../device.js';
import { UsageError } from '../usage.js';

export interface LogitsRequest {
  modelPath: string;
  tokens: number[];
  prefill: number; // P
  chains?: number;
  schedule?: number[];
  threads?: number;
  kvType?: KvType; // --kv-type; absent: the engine's default (bf16)
  context?: number; // --context N; absent: exactly the tokens given
  device?: DeviceRequest; // --device; absent: auto
}

/** Shortest decimal text that reads back as the same float32 (9 significant digits suffice). */
function float32Text(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? '1e39' : x < 0 ? '-1e39' : 'null';
  return String(Number(x.toPrecision(9)));
}

export async function logitsCommand(req: LogitsRequest, out: NodeJS.WritableStream, err: NodeJS.WritableStream = process.stderr): Promise<void> {
  const T = req.tokens.length;
  const P = req.prefill;
  if (T === 0) throw new UsageError('--tokens must list at least one token');
  if (P > T) throw new UsageError(`--prefill ${P} is larger than the ${T} tokens given`);
  const rows = P > 0 ? T - P + 1 : T;
  if ((req.chains === undefined) === (req.schedule === undefined)) throw new UsageError('give exactly one of --chains and --schedule');
  const schedule = req.schedule ?? new Array<number>(rows).fill(req.chains!);
  if (schedule.length !== rows) {
    throw new UsageError(`--schedule needs ${rows} values (one per printed row: positions ${Math.max(P - 1, 0)}..${T - 1}), got ${schedule.length}`);
  }
  const model = await loadModel(req.modelPath);
  let contextSize = T;
  let device;
  try {
    if (req.context !== undefined) contextSize = cliContextPlan(model, req.context, req.kvType).context;
    if (contextSize < T) throw new Error(`--context ${contextSize} is shorter than the ${T} tokens given`);
    device = cliDevice(model, req.device, contextSize, req.kvType, err);
  } catch (error) {
    model.dispose();
    throw error;
  }
  const session = model.createSession({ contextSize, threads: req.threads, kvType: req.kvType, device });
  try {
    const n = model.chainCount;
    const bad = schedule.find((k) => k < 1 || k > n);
    if (bad !== undefined) throw new UsageError(`chain count ${bad} is out of range: this model has ${n} chain(s)`);
    const printed: Float32Array[] = [];
    let row = 0;
    if (P > 0) printed.push(await session.prefill(req.tokens.slice(0, P), { chains: schedule[row++] }));
    for (let p = P; p < T; p++) {
      printed.push((await session.evaluate([req.tokens[p]!], { chains: schedule[row++], logits: 'last' }))!);
    }
    out.write('{"logits": [');
    printed.forEach((r, i) => {
      out.write((i ? ',\n' : '\n') + '[' + Array.from(r, float32Text).join(', ') + ']');
    });
    out.write('\n]}\n');
  } finally {
    session.dispose();
    model.dispose();
  }
}
