// 'auto' generations in the real engine host follow the count the parent pushes, from the next
// token: CoLM-Air both ways mid-reply, plain CoLM down mid-reply and up only at the next turn.
// The host also reports its load every ~2 s for the policy's probes.
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { HostClient, type HostClientEvent } from '../../../app/host/host-client.js';
import type { GenerationSettings } from '../../../app/host/protocol.js';

const air = resolve('test/fixtures/models/air4_f32.safetensors');
const plain = resolve('test/fixtures/models/plain_unequal_bf16');
// Greedy, and a prompt whose reply at every chain count runs long (no early end of turn).
const settings: GenerationSettings = { chains: 'auto', temperature: 0, topK: 0, topP: 1, minP: 0, repeatPenalty: 1, seed: 1, maxTokens: 60 };

/** Runs one 'auto' generation; `at(n)` is called after n tokens have arrived, to change the policy. */
async function generate(client: HostClient, at: (tokensSoFar: number) => void): Promise<number[]> {
  const chains: number[] = [];
  const stream = client.generate([{ role: 'user', content: 'Tell me a long story about chains.' }], settings);
  for await (const batch of stream) {
    for (const t of batch.tokens) chains.push(t.chains);
    at(chains.length);
  }
  await stream.result;
  return chains;
}

/** The runs of equal counts: [4,4,1,1,4] -> [4,1,4]. */
function runs(chains: number[]): number[] {
  return chains.filter((k, i) => i === 0 || chains[i - 1] !== k);
}

describe('auto chains in the engine host', () => {
  // Slow enough that a pushed count lands while the reply is still going.
  const client = new HostClient({ env: { COLM_HOST_TOKEN_DELAY_MS: '15' } });
  beforeAll(() => client.start());
  afterAll(() => client.dispose());

  test('CoLM-Air: the count changes between two tokens, down and back up', async () => {
    await client.loadModel(air);
    client.setAutoChains(4);
    let step = 0;
    const chains = await generate(client, (n) => {
      if (step === 0 && n >= 8) (step = 1), client.setAutoChains(1);
      else if (step === 1 && n >= 25) (step = 2), client.setAutoChains(4);
    });
    expect(chains.length).toBeGreaterThan(35);
    expect(runs(chains), chains.join('')).toEqual([4, 1, 4]);
  });

  test('plain CoLM: shrinks mid-reply, grows back only at the next turn', async () => {
    await client.loadModel(plain);
    client.setAutoChains(3);
    let step = 0;
    const first = await generate(client, (n) => {
      if (step === 0 && n >= 8) (step = 1), client.setAutoChains(1);
      else if (step === 1 && n >= 25) (step = 2), client.setAutoChains(3);
    });
    expect(first.length).toBeGreaterThan(35);
    expect(runs(first), first.join('')).toEqual([3, 1]);
    const next = await generate(client, () => undefined);
    expect(new Set(next)).toEqual(new Set([3]));
  });

  test('the host reports its own load about every 2 s, as shares of the machine', async () => {
    const event = await new Promise<HostClientEvent>((done) => {
      const off = client.on((e) => {
        if (e.type === 'load') {
          off();
          done(e);
        }
      });
    });
    expect(event.type).toBe('load');
    const { cpuShare, gpuShare } = (event as Extract<HostClientEvent, { type: 'load' }>).load;
    expect(cpuShare).toBeGreaterThanOrEqual(0);
    expect(cpuShare).toBeLessThanOrEqual(1);
    expect(gpuShare).toBe(0); // the CPU backend
  });
});
