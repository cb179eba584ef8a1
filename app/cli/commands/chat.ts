// colm chat: a conversation in the terminal, through the model's chat template. The session
// keeps its KV cache between turns, so each turn only reads what is new.
import { createInterface } from 'node:readline';

import type { ChatMessage } from '../../checkpoint/chat-template.js';
import type { KvType } from '../../engine/kv-type.js';
import { loadModel } from '../../engine/model.js';
import type { GenerateOptions } from '../../engine/session.js';
import type { DeviceRequest } from '../../engine/device-choice.js';
import { cliContextPlan } from '../context.js';
import { cliDevice } from '../device.js';

export interface ChatRequest {
  modelPath: string;
  chains?: number;
  threads?: number;
  kvType?: KvType; // --kv-type; absent: the engine's default (bf16)
  context?: number; // --context N; absent: the model's default (context-plan.ts)
  device?: DeviceRequest; // --device; absent: auto
  generate: GenerateOptions;
}

export async function chatCommand(
  req: ChatRequest,
  input: NodeJS.ReadableStream,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream = process.stderr,
): Promise<void> {
  const model = await loadModel(req.modelPath);
  let contextSize;
  let device;
  try {
    contextSize = cliContextPlan(model, req.context, req.kvType).context;
    device = cliDevice(model, req.device, contextSize, req.kvType, err);
  } catch (error) {
    model.dispose();
    throw error;
  }
  const session = model.createSession({ contextSize, threads: req.threads, kvType: req.kvType, device });
  const rl = createInterface({ input, output: out, terminal: (input as { isTTY?: boolean }).isTTY === true });
  const messages: ChatMessage[] = [];
  const chains = req.chains ?? model.chainCount;
  out.write(`${model.path}: ${model.chainCount} chain(s), using ${chains}. Type a message; /chains K switches, /quit ends.\n`);
  // The line iterator (not rl.question) keeps lines that arrive while a reply is streaming,
  // so piped input works as typed input does.
  const showPrompt = () => out.write('> ');
  try {
    showPrompt();
    for await (const line of rl) {
      const text = line.trim();
      if (text === '/quit' || text === '/exit') break;
      const switchTo = /^\/chains\s+(\d+)$/.exec(text);
      if (switchTo) {
        req.chains = Math.min(model.chainCount, Math.max(1, Number(switchTo[1])));
        out.write(`now using ${req.chains} chain(s)\n`);
        showPrompt();
        continue;
      }
      if (!text) {
        showPrompt();
        continue;
      }
      messages.push({ role: 'user', content: text });
      const prompt = model.chatPrompt(messages);
      let reply = '';
      let speed = 0;
      for await (const t of session.generate(prompt.tokens, {
        ...req.generate,
        chains: req.chains ?? model.chainCount,
        stopStrings: prompt.stopStrings,
        stopTokens: prompt.stopTokens,
      })) {
        out.write(t.text);
        reply += t.text;
        if (t.token >= 0) speed = t.timings.tokensPerSecond;
      }
      messages.push({ role: 'assistant', content: reply.trim() });
      out.write(`\n  [${speed.toFixed(1)} tokens/s, ${req.chains ?? model.chainCount} chains]\n`);
      showPrompt();
    }
  } finally {
    rl.close();
    session.dispose();
    model.dispose();
  }
}
