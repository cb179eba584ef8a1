// @vitest-environment happy-dom
// The settings panel prices a context before it is applied: "4096 tokens · 512.0 MiB KV cache (bf16)",
// by the rule of app/engine/context-plan.ts over the shape the loaded model reports, in the KV
// cache type chosen.
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, expect, test } from 'vitest';

import { kvCacheBytes as planBytes, kvCacheShape } from '../../../app/engine/context-plan.js';
import { KV_TYPES } from '../../../app/engine/kv-type.js';
import { App } from '../../../renderer/components/App.js';
import { kvCacheBytes } from '../../../renderer/state/context-cost.js';
import { createAppStores, type AppStores } from '../../../renderer/state/app-stores.js';
import { StoresProvider } from '../../../renderer/state/store-context.js';
import { FakeBridge, fakeModel, memoryStorage } from './fake-bridge.js';

let stores: AppStores;

// 32 full layers, 8 KV heads x 128, bf16: 128 KiB a position, 512 MiB at 4096 (1 GiB in f32).
const llama = { fullLayers: 32, windowedLayers: 0, window: null, kvType: 'bf16', kvHeads: 8, headDim: 128, rowBytes: 2 * 8 * 128 * 2 } as const;

async function renderApp() {
  const bridge = new FakeBridge();
  bridge.state.model = { ...fakeModel(2), contextSize: 4096, defaultContextSize: 4096, contextLength: 32768, kvCache: llama, kvCacheBytes: 2 ** 29, kvType: 'bf16' };
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
  expect(memory()).toBe('4096 tokens · 512.0 MiB KV cache (bf16) (the model allows 32768)');
  expect((screen.getByLabelText('Apply engine settings') as HTMLButtonElement).disabled).toBe(true);
  fireEvent.change(field, { target: { value: '2048' } });
  expect(memory()).toBe('2048 tokens · 256.0 MiB KV cache (bf16) (the model allows 32768)');
  expect((screen.getByLabelText('Apply engine settings') as HTMLButtonElement).disabled).toBe(false);
  fireEvent.change(field, { target: { value: '65536' } }); // above the model's limit: not taken
  expect(memory()).toMatch(/^2048 tokens/);
});

test('a KV cache type is priced before Apply, kept with the settings, and asks for a reload', async () => {
  await renderApp();
  const select = screen.getByLabelText('KV cache type') as HTMLSelectElement;
  expect(select.value).toBe('bf16');
  fireEvent.change(select, { target: { value: 'q8_0' } });
  // 8 heads x (128 int8 + 4 F16 scales) x K, V x 32 layers = 68 KiB a position.
  expect(memory()).toBe('4096 tokens · 272.0 MiB KV cache (q8_0) (the model allows 32768)');
  expect((screen.getByLabelText('Apply engine settings') as HTMLButtonElement).disabled).toBe(false);
  expect(stores.settings.getState().sessionFor(stores.settings.getState().modelKey!)).toEqual({ kvType: 'q8_0' });
  fireEvent.change(select, { target: { value: 'f32' } });
  expect(memory()).toBe('4096 tokens · 1.0 GiB KV cache (f32) (the model allows 32768)');
});

test('the renderer prices a context as the engine plan does (windowed layers keep a ring, every KV type)', () => {
  const mixed = { fullLayers: 3, windowedLayers: 5, window: 1024, kvType: 'f32', kvHeads: 4, headDim: 48, rowBytes: 2 * 4 * 48 * 4 } as const;
  for (const type of KV_TYPES) {
    const planMixed = kvCacheShape({ numHiddenLayers: 8, numKeyValueHeads: 4, headDim: 48, slidingWindow: 1024, slidingWindowLayers: [true, true, true, true, true, false, false, false] }, type);
    const planLlama = kvCacheShape({ numHiddenLayers: 32, numKeyValueHeads: 8, headDim: 128, slidingWindow: null, slidingWindowLayers: Array(32).fill(false) }, type);
    for (const n of [1, 256, 1280, 1281, 4096, 32768]) {
      expect(kvCacheBytes(mixed, n, type)).toBe(planBytes(planMixed, n));
      expect(kvCacheBytes(llama, n, type)).toBe(planBytes(planLlama, n));
    }
  }
});
