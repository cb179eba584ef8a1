// The engine host process through HostClient, with the real engine and the 4-chain CoLM-Air
// fixture: load with progress, streamed batches with per-token chain counts, stop, a bad file,
// and recovery after the host is killed (restarted, the model loaded again).
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { HostClient, HostCrashedError, type HostClientEvent } from '../../../app/host/host-client.js';
import type { GenerationSettings, LoadProgressInfo, TokenBatch } from '../../../app/host/protocol.js';

const air = resolve('test/fixtures/models/air4_f32.safetensors');
const settings: GenerationSettings = { chains: 2, temperature: 0.8, topK: 0, topP: 1, minP: 0, repeatPenalty: 1, seed: 5, maxTokens: 40 };
const messages = [{ role: 'user' as const, content: 'Hello there' }];

async function collect(stream: AsyncIterable<TokenBatch>): Promise<TokenBatch[]> {
  const out: TokenBatch[] = [];
  for await (const b of stream) out.push(b);
  return out;
}

function waitFor(client: HostClient, predicate: (e: HostClientEvent) => boolean): Promise<HostClientEvent> {
  return new Promise((done) => {
    const off = client.on((e) => {
      if (predicate(e)) {
        off();
        done(e);
      }
    });
  });
}

describe('HostClient with a real engine host', () => {
  // A delay per token makes the stream long enough to stop or kill in the middle.
  const client = new HostClient({ env: { COLM_HOST_TOKEN_DELAY_MS: '5' } });
  beforeAll(() => client.start());
  afterAll(() => client.dispose());

  test('loads a model with progress events and describes every chain count', async () => {
    const progress: LoadProgressInfo[] = [];
    const info = await client.loadModel(air, { onProgress: (p) => progress.push(p) });
    expect(info.chainCount).toBe(4);
    expect(info.kvSharing).toBe(true);
    expect(info.subModels.map((s) => s.width)).toEqual([16, 32, 48, 64]);
    expect(progress.map((p) => p.stage)).toContain('reading');
    expect(progress.at(-1)).toEqual({ stage: 'ready', fraction: 1 });
    expect((await client.modelInfo())?.path).toBe(air);
  });

  test('generates in batches, every token made by the requested chain count', async () => {
    const stream = client.generate(messages, settings);
    const batches = await collect(stream);
    const summary = await stream.result;
    const tokens = batches.flatMap((b) => b.tokens);
    expect(tokens.length).toBe(summary.generatedTokens);
    expect(tokens.length).toBeGreaterThan(0);
    expect(new Set(tokens.map((t) => t.chains))).toEqual(new Set([2]));
    // The text is the tokens' text, plus any held-back bytes released at the end.
    expect(batches.map((b) => b.text).join('').startsWith(tokens.map((t) => t.text).join(''))).toBe(true);
    // 40 tokens at >= 5 ms each arrive in fewer, larger batches.
    expect(batches.length).toBeLessThan(tokens.length);
    expect(summary.contextSize).toBe(256);
    expect(summary.contextUsed).toBeGreaterThan(summary.promptTokens);

    // The same seed gives the same text (the session's cache reuse changes nothing); another
    // chain count is honoured just the same.
    const again = await collect(client.generate(messages, settings));
    expect(again.map((b) => b.text).join('')).toBe(batches.map((b) => b.text).join(''));
    const four = await collect(client.generate(messages, { ...settings, chains: 4 }));
    expect(new Set(four.flatMap((b) => b.tokens.map((t) => t.chains)))).toEqual(new Set([4]));
  });

  test('stop ends a stream early with finishReason abort', async () => {
    const stream = client.generate(messages, { ...settings, maxTokens: 200, seed: 11 });
    let seen = 0;
    for await (const b of stream) {
      seen += b.tokens.length;
      if (seen >= 3) await stream.stop();
    }
    const summary = await stream.result;
    expect(summary.finishReason).toBe('abort');
    expect(summary.generatedTokens).toBeLessThan(200);
  });

  test('a stop sent right after the request, before the host began it, still stops it', async () => {
    const stream = client.generate(messages, { ...settings, maxTokens: 200 });
    await stream.stop();
    const batches = await collect(stream);
    expect((await stream.result).finishReason).toBe('abort');
    expect(batches.flatMap((b) => b.tokens).length).toBeLessThan(200);
  });

  test('a bad checkpoint is a CheckpointError, and the loaded model stays', async () => {
    const bad = resolve('package.json');
    await expect(client.loadModel(bad)).rejects.toMatchObject({ name: 'CheckpointError', message: expect.stringContaining('package.json') });
    expect((await client.modelInfo())?.path).toBe(air);
  });

  test('a killed host fails what was in flight, restarts and loads the last model again', async () => {
    const stream = client.generate(messages, { ...settings, maxTokens: 200 });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next(); // the stream is running
    const pid = client.pid!;
    const restarted = waitFor(client, (e) => e.type === 'status' && e.status === 'ready');
    process.kill(pid, 'SIGKILL');

    await expect(stream.result).rejects.toBeInstanceOf(HostCrashedError);
    await expect(stream.result).rejects.toThrow(/SIGKILL/);
    await restarted;
    expect(client.pid).not.toBe(pid);
    expect(client.restartCount).toBe(1);
    expect(client.currentModel?.path).toBe(air);
    expect((await client.modelInfo())?.path).toBe(air);

    // The parent still holds the conversation: sending it again works on the new host.
    const next = client.generate([...messages, { role: 'assistant', content: 'partial' }, { role: 'user', content: 'again' }], settings);
    expect((await collect(next)).length).toBeGreaterThan(0);
    expect((await next.result).finishReason).toMatch(/stop|length/);
  });
});
