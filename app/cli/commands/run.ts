// colm run: stream a completion (or, with --chat, an assistant reply) for one prompt, then print
// the speed and the chain counts used.
import type { KvType } from '../../engine/kv-type.js';
import { loadModel } from '../../engine/model.js';
import type { GenerateOptions } from '../../engine/session.js';
import type { DeviceRequest } from '../../engine/device-choice.js';
import { checkPromptFits, cliContextPlan } from '../context.js';
import { cliDevice } from '../device.js';

export interface RunRequest {
  modelPath: string;
  prompt: string;
  chat: boolean;
  chains?: number;
  threads?: number;
  kvType?: KvType; // --kv-type; absent: the engine's default (bf16)
  context?: number; // --context N; absent: the model's default (context-plan.ts)
  device?: DeviceRequest; // --device; absent: auto
  generate: GenerateOptions;
}

export async function runCommand(req: RunRequest, out: NodeJS.WritableStream, err: NodeJS.WritableStream, signal?: AbortSignal): Promise<void> {
  const model = await loadModel(req.modelPath, { signal });
  let plan;
  let device;
  try {
    plan = cliContextPlan(model, req.context, req.kvType);
    device = cliDevice(model, req.device, plan.context, req.kvType, err);
  } catch (error) {
    model.dispose();
    throw error;
  }
  const session = model.createSession({ contextSize: plan.context, threads: req.threads, kvType: req.kvType, device });
  try {
    let tokens: number[];
    let stopStrings = req.generate.stopStrings ?? [];
    let stopTokens = req.generate.stopTokens;
    if (req.chat) {
      const p = model.chatPrompt([{ role: 'user', content: req.prompt }]);
      tokens = p.tokens;
      stopStrings = [...stopStrings, ...p.stopStrings];
      stopTokens = stopTokens ?? p.stopTokens;
    } else {
      tokens = model.tokenizer.encode(req.prompt, { addSpecialTokens: true });
      if (tokens.length === 0 && model.tokenizer.bosTokenId !== null) tokens = [model.tokenizer.bosTokenId];
    }
    checkPromptFits(tokens.length, plan);
    const chainsUsed = new Map<number, number>();
    let last = { prefillMs: 0, tokensPerSecond: 0 };
    let produced = 0;
    const it = session.generate(tokens, { ...req.generate, chains: req.chains, stopStrings, stopTokens, signal });
    for await (const t of it) {
      out.write(t.text);
      if (t.token >= 0) {
        produced++;
        chainsUsed.set(t.chains, (chainsUsed.get(t.chains) ?? 0) + 1);
        last = t.timings;
      }
    }
    const used = [...chainsUsed.entries()].sort((a, b) => a[0] - b[0]).map(([k, n]) => `${k} chains x ${n}`);
    err.write(
      `\n\n${produced} tokens, ${last.tokensPerSecond.toFixed(1)} tokens/s, prefill ${last.prefillMs.toFixed(1)} ms ` +
        `(${tokens.length} prompt tokens), ${used.join(', ') || 'no tokens'}; stopped by ${session.finishReason}\n`,
    );
  } finally {
    session.dispose();
    model.dispose();
  }
}
