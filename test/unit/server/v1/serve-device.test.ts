// colm serve --device and the app's device setting, through the real engine host: the host
// reports its devices when it starts (AppState.devices, what the settings offer), each load says
// where it runs, what it asked for and why (ModelInfo.device, deviceRequest, deviceReason; /v1's
// x_colm.device), the server's device applies to loads that name none, and a CUDA device that
// cannot run here, or a non-BF16 KV cache on one, fails the load naming why while the previous
// model stays loaded. No GPU is needed: on a machine with one, the CUDA-specific errors differ.
import { afterEach, expect, test } from 'vitest';

import { listDevices } from '../../../../app/engine/devices.js';
import { FIXTURE_MODEL, FIXTURE_MODEL_ID, rawRequest, startApiTestServer, type ApiTestServer } from './api-test-server.js';

let api: ApiTestServer | null = null;
afterEach(async () => {
  await api?.close();
  api = null;
});

const devices = listDevices();
const gpu = devices.cuda.length > 0;

test('the host reports its devices in the app state, as the settings list them', async () => {
  api = await startApiTestServer({ loadModel: true });
  const state = api.server.controller.state();
  expect(state.devices).not.toBeNull();
  expect(state.devices!.cuda.map((d) => d.index)).toEqual(devices.cuda.map((d) => d.index));
  expect(state.devices!.cudaReason).toBe(gpu ? null : devices.cudaReason);
  // Over HTTP too: the renderer reads it from /api/state.
  const r = await rawRequest(`${api.server.url}/api/state`);
  expect((r.json as { devices?: unknown }).devices).toEqual(state.devices);
});

test('a load says where it runs, what it asked for and why; /v1 reports the device', async () => {
  api = await startApiTestServer({ loadModel: true });
  expect(api.host.currentModel).toMatchObject({ device: 'cpu', deviceRequest: 'auto' });
  expect(api.host.currentModel!.deviceReason).toMatch(/^cpu: /);
  await api.server.controller.load(FIXTURE_MODEL, FIXTURE_MODEL_ID, undefined, { device: 'cpu' });
  expect(api.host.currentModel).toMatchObject({ device: 'cpu', deviceRequest: 'cpu', deviceReason: 'cpu: chosen with --device cpu' });
  const r = await rawRequest(`${api.baseURL}/models/${FIXTURE_MODEL_ID}`);
  expect((r.json as { x_colm: Record<string, unknown> }).x_colm).toMatchObject({ device: 'cpu', device_reason: 'cpu: chosen with --device cpu' });
});

test('the server device applies to loads that name none; a load that names one keeps its own', async () => {
  api = await startApiTestServer({ loadModel: true, device: 'cpu' });
  expect(api.host.currentModel).toMatchObject({ device: 'cpu', deviceRequest: 'cpu' });
  await api.server.controller.load(FIXTURE_MODEL, FIXTURE_MODEL_ID, undefined, { device: 'auto' });
  expect(api.host.currentModel).toMatchObject({ deviceRequest: 'auto' });
});

test('auto with a q8_0 KV cache is a CPU session', async () => {
  api = await startApiTestServer({ loadModel: true, kvType: 'q8_0' });
  expect(api.host.currentModel).toMatchObject({ device: 'cpu', kvType: 'q8_0', deviceRequest: 'auto' });
});

test.skipIf(gpu)('a CUDA device fails the load naming why; the previous model stays', async () => {
  api = await startApiTestServer({ loadModel: true });
  await expect(api.server.controller.load(FIXTURE_MODEL, FIXTURE_MODEL_ID, undefined, { device: 'cuda:0' })).rejects.toThrow(`--device cuda:0: ${devices.cudaReason}`);
  expect(api.host.currentModel).toMatchObject({ device: 'cpu' });
});

test('a bad device in a load request is a 400 naming the field', async () => {
  api = await startApiTestServer();
  const r = await rawRequest(`${api.server.url}/api/models/load`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ path: FIXTURE_MODEL, options: { device: 'gpu' } }),
  });
  expect(r.status).toBe(400);
  expect(JSON.stringify(r.json)).toContain('options.device must be \\"auto\\", \\"cpu\\" or \\"cuda:N\\", got \\"gpu\\"');
});

test('an upload takes the device in its query, as the browser UI sends it', async () => {
  api = await startApiTestServer();
  await api.host.start();
  const { readFile } = await import('node:fs/promises');
  const body = await readFile(FIXTURE_MODEL);
  const upload = (id: string, device: string) =>
    fetch(`${api!.server.url}/api/models/upload?upload=${id}&path=air4_f32.safetensors&last=1&kvType=bf16&device=${device}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body,
    });
  const bad = await upload('u1', 'gpu');
  expect(bad.status).toBe(400);
  expect(await bad.text()).toContain('options.device must be');
  const good = await upload('u2', 'cpu');
  expect(good.status).toBe(200);
  expect(await good.text()).toContain('"type":"loaded"');
  expect(api.host.currentModel).toMatchObject({ device: 'cpu', deviceRequest: 'cpu' });
});
