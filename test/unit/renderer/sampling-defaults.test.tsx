// @vitest-environment happy-dom
// generation_config.json's sampling values in the settings panel: an unset field shows the model's
// value as "0.6 (model default)" (the app's own where the model has none), the request carries null
// for it, and a value the user types wins until the field is emptied again.
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, expect, test } from 'vitest';

import { App } from '../../../renderer/components/App.js';
import { createAppStores, type AppStores } from '../../../renderer/state/app-stores.js';
import { StoresProvider } from '../../../renderer/state/store-context.js';
import { FakeBridge, fakeModel, memoryStorage, tick } from './fake-bridge.js';

let bridge: FakeBridge;
let stores: AppStores;

async function renderApp(storage = memoryStorage()) {
  bridge = new FakeBridge();
  bridge.state.model = { ...fakeModel(2), samplingDefaults: { temperature: 0.6, topK: null, topP: 0.9, repeatPenalty: null } };
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

const field = (label: string) => screen.getByLabelText(label) as HTMLInputElement;

test('unset sampling fields show the model default, or the app default where the model has none', async () => {
  await renderApp();
  expect(field('Temperature').value).toBe('');
  expect(field('Temperature').placeholder).toBe('0.6 (model default)');
  expect(field('Top-p').placeholder).toBe('0.9 (model default)');
  expect(field('Top-k').placeholder).toBe('40 (default)');
  expect(field('Repeat penalty').placeholder).toBe('1.1 (default)');
});

test("requests carry null for unset fields (the model's value applies) and the user's value once typed", async () => {
  await renderApp();
  const send = async (text: string) => {
    fireEvent.change(screen.getByLabelText('Message'), { target: { value: text } });
    fireEvent.click(screen.getByLabelText('Send'));
    await act(tick);
  };
  await send('hi');
  expect(bridge.chats[0]!.request.settings).toMatchObject({ temperature: null, topP: null, topK: null, repeatPenalty: null });
  await act(async () => bridge.chats[0]!.finish());

  fireEvent.change(field('Temperature'), { target: { value: '1.2' } });
  await send('again');
  expect(bridge.chats[1]!.request.settings.temperature).toBe(1.2);
  await act(async () => bridge.chats[1]!.finish());

  fireEvent.change(field('Temperature'), { target: { value: '' } }); // back to the model's
  expect(stores.settings.getState().generation.temperature).toBeNull();
  expect(field('Temperature').placeholder).toBe('0.6 (model default)');
});

test('settings saved before sampling defaults existed: the old app values become unset, changed ones stay', async () => {
  const storage = memoryStorage();
  storage.setItem(
    `colm.settings.${fakeModel(2).name}`,
    JSON.stringify({ generation: { chains: 'auto', temperature: 0.7, topK: 12, topP: 0.95, minP: 0.05, repeatPenalty: 1.1, seed: null, maxTokens: 512 }, systemPrompt: '' }),
  );
  await renderApp(storage);
  expect(stores.settings.getState().generation).toMatchObject({ temperature: null, topK: 12, topP: null, repeatPenalty: null });
});
