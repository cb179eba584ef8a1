// Settings are kept per model, and a chain count always fits the loaded model.
import { expect, test } from 'vitest';

import { createSettingsStore } from '../../../renderer/state/settings-store.js';
import { fakeModel, memoryStorage } from './fake-bridge.js';

test('settings are remembered per model and come back when that model is loaded again', () => {
  const storage = memoryStorage();
  const store = createSettingsStore(storage);
  const big = fakeModel(4, 'big.safetensors');
  const small = fakeModel(2, 'small.safetensors');

  store.getState().useModel(big);
  store.getState().update({ chains: 3, temperature: 0.2 });
  store.getState().setSystemPrompt('You are terse.');

  store.getState().useModel(small);
  // A new model starts from what was set, with the chain count clamped to what it has.
  expect(store.getState().generation.chains).toBe(2);
  store.getState().update({ temperature: 1.3, chains: 1 });

  const reopened = createSettingsStore(storage);
  reopened.getState().useModel(big);
  expect(reopened.getState().generation).toMatchObject({ chains: 3, temperature: 0.2 });
  expect(reopened.getState().systemPrompt).toBe('You are terse.');
  reopened.getState().useModel(small);
  expect(reopened.getState().generation).toMatchObject({ chains: 1, temperature: 1.3 });
});

test('chain counts are clamped to 1..n; auto stays auto; reset restores the defaults', () => {
  const store = createSettingsStore(memoryStorage());
  store.getState().useModel(fakeModel(4));
  store.getState().update({ chains: 9 });
  expect(store.getState().generation.chains).toBe(4);
  store.getState().update({ chains: 0 });
  expect(store.getState().generation.chains).toBe(1);
  store.getState().update({ chains: 'auto' });
  expect(store.getState().generation.chains).toBe('auto');
  store.getState().update({ maxTokens: 7 });
  store.getState().reset();
  expect(store.getState().generation.maxTokens).toBe(512);
});

test('a damaged saved entry is ignored', () => {
  const storage = memoryStorage();
  storage.setItem('colm.settings.tiny.safetensors', '{not json');
  const store = createSettingsStore(storage);
  store.getState().useModel(fakeModel(4, 'tiny.safetensors'));
  expect(store.getState().generation.chains).toBe('auto');
});
