// colm serve --context N: every model loaded without a context of its own gets N, and /v1 reports
// (and bounds replies by) the loaded session's context; without it, the model's default context.
import { afterEach, expect, test } from 'vitest';

import { FIXTURE_MODEL, FIXTURE_MODEL_ID, rawRequest, startApiTestServer, type ApiTestServer } from './api-test-server.js';

let api: ApiTestServer | null = null;
afterEach(async () => {
  await api?.close();
  api = null;
});

const contextLength = async (a: ApiTestServer) => {
  const r = await rawRequest(`${a.baseURL}/models/${FIXTURE_MODEL_ID}`);
  expect(r.status).toBe(200);
  return (r.json as { x_colm: { context_length: number } }).x_colm.context_length;
};

test('the server context applies to loads that name none; a load that names one keeps its own', async () => {
  api = await startApiTestServer({ loadModel: true, contextSize: 128 });
  expect(api.host.currentModel?.contextSize).toBe(128);
  expect(await contextLength(api)).toBe(128);
  await api.server.controller.load(FIXTURE_MODEL, FIXTURE_MODEL_ID, undefined, { contextSize: 64 });
  expect(await contextLength(api)).toBe(64);
});

test("without one, the model's default context (its max_position_embeddings, 256, here)", async () => {
  api = await startApiTestServer({ loadModel: true });
  expect(await contextLength(api)).toBe(256);
  // 3 layers x 2 KV heads x 8 values x K and V in bf16 (the default): 192 bytes a position.
  expect(api.host.currentModel).toMatchObject({ defaultContextSize: 256, kvCacheBytes: 256 * 192, kvType: 'bf16' });
});

test('the server KV type applies to loads that name none; a load that names one keeps its own', async () => {
  api = await startApiTestServer({ loadModel: true, kvType: 'q8_0' });
  // q8_0: 8 int8 values and one F16 scale a head: 10 bytes where f32 takes 32.
  expect(api.host.currentModel).toMatchObject({ kvType: 'q8_0', kvCacheBytes: 256 * 120 });
  await api.server.controller.load(FIXTURE_MODEL, FIXTURE_MODEL_ID, undefined, { kvType: 'f32' });
  expect(api.host.currentModel).toMatchObject({ kvType: 'f32', kvCacheBytes: 256 * 384 });
});

test('a server context above the model limit fails the load, naming the limit', async () => {
  api = await startApiTestServer({ contextSize: 1000 });
  await api.host.start();
  await expect(api.server.controller.load(FIXTURE_MODEL, FIXTURE_MODEL_ID)).rejects.toThrow(/limit of 256 \(max_position_embeddings\)/);
});
