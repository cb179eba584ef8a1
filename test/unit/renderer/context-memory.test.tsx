// @vitest-environment happy-dom
// The settings panel prices a context before it is applied: "4096 tokens · 512.0 MiB KV cache",
// by the rule of app/engine/context-plan.ts over the shape the loaded model reports.
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, expect, test } from 'vitest';

import { kvCacheBytes as planBytes } from '../../../app/engine/context-plan.js';
import { App } from '../../../renderer/components/App.js';
import { kvCacheBytes } from '../../../renderer/state/context-cost.js';
import { createAppStores, type AppStores } from '../../../renderer/state/app-stores.js';
import { StoresProvider } from '../../../renderer/state/store-context.js';
import { FakeBridge, fakeModel, memoryStorage } from './fake-bridge.js';

let stores: AppStores;

// 32 full layers, 8 KV heads x 128, float32: 256 KiB a position, 1 GiB at 4096.
const llama = { fullLayers: 32, windowedLayers: 0, window: null, rowBytes: 2 * 8 * 128 * 4 };

async function renderApp() {
  const bridge = new FakeBridge();
  bridge.state.model = { ...fakeModel(2), contextSize: 4096, defaultContextSize: 4096, contextLength: 32768, kvCache: llama, kvCacheBytes: 2 ** 30 };
  stores = createAppStores(bridge, memoryStorage());
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

const memory = () => screen.getByLabelText('Context memory').textContent;

test('the label shows the default context and its KV cache, and a typed context before Apply', async () => {
  await renderApp();
  const field = screen.getByLabelText('Context size') as HTMLInputElement;
  expect(field.placeholder).toBe('model default (4096)');
  expect(memory()).toBe('4096 tokens · 1.0 GiB KV cache (the model allows 32768)');
  fireEvent.change(field, { target: { value: '2048' } });
  expect(memory()).toBe('2048 tokens · 512.0 MiB KV cache (the model allows 32768)');
  expect((screen.getByLabelText('Apply engine settings') as HTMLButtonElement).disabled).toBe(false);
  fireEvent.change(field, { target: { value: '65536' } }); // above the model's limit: not taken
  expect(memory()).toMatch(/^2048 tokens/);
});

test('the renderer prices a context as the engine plan does (windowed layers keep a ring)', () => {
  const mixed = { fullLayers: 3, windowedLayers: 5, window: 1024, rowBytes: 4096 };
  for (const n of [1, 256, 1280, 1281, 4096, 32768]) {
    expect(kvCacheBytes(mixed, n)).toBe(planBytes(mixed, n));
    expect(kvCacheBytes(llama, n)).toBe(planBytes(llama, n));
  }
});
