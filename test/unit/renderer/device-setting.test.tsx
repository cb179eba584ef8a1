// @vitest-environment happy-dom
// The settings panel's device choice: auto, cpu and each cuda:N the engine host reported, kept
// with the model's other engine settings (localStorage), sent with the next load, and the reason
// for where the loaded model runs shown under it. A CUDA device with a non-BF16 KV cache is
// flagged before Apply (the load would refuse it, app/engine/device-choice.ts).
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, expect, test } from 'vitest';

import type { DeviceSummary } from '../../../renderer/bridge/types.js';
import { App } from '../../../renderer/components/App.js';
import { deviceChoices } from '../../../renderer/components/EngineSettings.js';
import { createAppStores, type AppStores } from '../../../renderer/state/app-stores.js';
import { StoresProvider } from '../../../renderer/state/store-context.js';
import { FakeBridge, fakeModel, memoryStorage } from './fake-bridge.js';

const GiB = 2 ** 30;
const twoGpus: DeviceSummary = {
  cuda: [
    { index: 0, name: 'NVIDIA GeForce RTX 4070', totalBytes: 12 * GiB, freeBytes: 11 * GiB },
    { index: 1, name: 'NVIDIA RTX A2000', totalBytes: 6 * GiB, freeBytes: 6 * GiB },
  ],
  cudaReason: null,
};
const noGpu: DeviceSummary = { cuda: [], cudaReason: 'no NVIDIA driver: libcuda.so.1 was not found' };

let stores: AppStores;
let bridge: FakeBridge;

async function renderApp(devices: DeviceSummary | null, storage = memoryStorage(), model = fakeModel(2)) {
  bridge = new FakeBridge();
  bridge.state.devices = devices;
  bridge.state.model = model;
  bridge.nextLoad = model;
  stores = createAppStores(bridge, storage);
  render(
    <StoresProvider stores={stores}>
      <App />
    </StoresProvider>,
  );
  await act(async () => {
    await stores.start();
  });
}

afterEach(cleanup);

const select = () => screen.getByLabelText('Device') as HTMLSelectElement;
const apply = () => screen.getByLabelText('Apply engine settings') as HTMLButtonElement;
const optionValues = () => Array.from(select().options).map((o) => o.value);

test('the choices are auto, cpu and each GPU the host reported; auto is the default', async () => {
  await renderApp(twoGpus, memoryStorage(), { ...fakeModel(2), device: 'cpu', deviceRequest: 'auto', deviceReason: 'cpu: the CUDA backend is not yet verified on a GPU (--device cuda:0 runs it anyway)' });
  expect(optionValues()).toEqual(['auto', 'cpu', 'cuda:0', 'cuda:1']);
  expect(Array.from(select().options).map((o) => o.textContent)).toEqual([
    'Auto (default)',
    'CPU',
    'cuda:0 · NVIDIA GeForce RTX 4070 (12.0 GiB)',
    'cuda:1 · NVIDIA RTX A2000 (6.0 GiB)',
  ]);
  expect(select().value).toBe('auto');
  expect(screen.getByText('now cpu')).toBeTruthy();
  // auto's reason for the loaded model, as the host chose it
  expect(screen.getByLabelText('Device reason').textContent).toBe('cpu: the CUDA backend is not yet verified on a GPU (--device cuda:0 runs it anyway)');
  expect(apply().disabled).toBe(true);
});

test('a chosen device is kept with the model, asks for a reload, and goes with the next load', async () => {
  const storage = memoryStorage();
  await renderApp(twoGpus, storage, { ...fakeModel(2), device: 'cpu', deviceRequest: 'auto', deviceReason: 'cpu: x' });
  fireEvent.change(select(), { target: { value: 'cuda:1' } });
  expect(select().value).toBe('cuda:1');
  expect(apply().disabled).toBe(false);
  const key = stores.settings.getState().modelKey!;
  expect(stores.settings.getState().sessionFor(key)).toEqual({ device: 'cuda:1' });
  expect(JSON.parse(storage.getItem(`colm.settings.${key}`)!).session.device).toBe('cuda:1');
  await act(async () => {
    fireEvent.click(apply());
  });
  expect(bridge.loads.at(-1)?.options).toEqual({ device: 'cuda:1' });
  // auto again: nothing is sent, the face's default (or auto) applies
  fireEvent.change(select(), { target: { value: 'auto' } });
  expect(stores.settings.getState().session.device).toBeNull();
  expect(stores.settings.getState().sessionFor(key)).toEqual({});
});

test('the saved device comes back with the model; a bad saved value is auto', async () => {
  const storage = memoryStorage();
  storage.setItem('colm.settings.tiny.safetensors', JSON.stringify({ version: 2, generation: {}, systemPrompt: '', session: { contextSize: null, threads: null, kvType: null, device: 'cpu' } }));
  await renderApp(twoGpus, storage);
  expect(select().value).toBe('cpu');
  cleanup();
  const bad = memoryStorage();
  bad.setItem('colm.settings.tiny.safetensors', JSON.stringify({ version: 2, generation: {}, systemPrompt: '', session: { device: 'metal' } }));
  await renderApp(twoGpus, bad);
  expect(select().value).toBe('auto');
});

test('without a GPU the choices are auto and cpu, and the panel says why there is none', async () => {
  await renderApp(noGpu, memoryStorage(), { ...fakeModel(2), device: undefined, deviceReason: undefined });
  expect(optionValues()).toEqual(['auto', 'cpu']);
  expect(screen.getByLabelText('Device reason').textContent).toBe('no GPU: no NVIDIA driver: libcuda.so.1 was not found');
});

test('a CUDA device with a non-BF16 KV cache is flagged before Apply', async () => {
  await renderApp(twoGpus);
  expect(screen.queryByLabelText('Device and KV cache')).toBeNull();
  fireEvent.change(select(), { target: { value: 'cuda:0' } });
  expect(screen.queryByLabelText('Device and KV cache')).toBeNull(); // bf16: fine
  fireEvent.change(screen.getByLabelText('KV cache type'), { target: { value: 'q8_0' } });
  expect(screen.getByLabelText('Device and KV cache').textContent).toBe('A CUDA session keeps a BF16 KV cache only: choose BF16 for cuda:0, or the CPU for q8_0.');
  fireEvent.change(select(), { target: { value: 'cpu' } });
  expect(screen.queryByLabelText('Device and KV cache')).toBeNull();
});

test('a saved GPU the host no longer reports still shows, marked', () => {
  expect(deviceChoices(noGpu, 'cuda:2').map((c) => c.label)).toEqual(['Auto (default)', 'CPU', 'cuda:2 (not found)']);
  expect(deviceChoices(null, 'auto').map((c) => c.value)).toEqual(['auto', 'cpu']);
});
