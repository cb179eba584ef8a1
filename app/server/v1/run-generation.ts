// One generation through the engine host, gathered as it streams: the text, the chain count of
// every token, and the summary. When `signal` aborts (the client went away) the engine is told to
// stop at the next token; the promise still waits for the host to end, so the caller frees its
// queue place only once the engine is really free.
import type { HostClient } from '../../host/host-client.js';
import type { ChatTurn, GenerationSettings, GenerationSummary, TokenBatch, TokenInfo } from '../../host/protocol.js';

export type GenerationInput = { kind: 'chat'; messages: ChatTurn[] } | { kind: 'text'; text: string };

export interface GenerationOutcome {
  text: string;
  tokens: TokenInfo[];
  summary: GenerationSummary;
}

export async function runGeneration(
  host: HostClient,
  input: GenerationInput,
  settings: GenerationSettings,
  signal: AbortSignal,
  onBatch: (batch: TokenBatch) => void = () => undefined,
): Promise<GenerationOutcome> {
  const stream = input.kind === 'chat' ? host.generate(input.messages, settings) : host.complete(input.text, settings);
  const stop = () => void stream.stop().catch(() => undefined);
  signal.addEventListener('abort', stop, { once: true });
  if (signal.aborted) stop();
  let text = '';
  const tokens: TokenInfo[] = [];
  try {
    for await (const batch of stream) {
      text += batch.text;
      for (const token of batch.tokens) tokens.push(token);
      onBatch(batch);
    }
    return { text, tokens, summary: await stream.result };
  } catch (error) {
    stop(); // onBatch failed: the engine must not go on for nobody
    throw error;
  } finally {
    signal.removeEventListener('abort', stop);
  }
}
