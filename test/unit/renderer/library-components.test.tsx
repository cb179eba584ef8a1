// @vitest-environment happy-dom
// The new parts of the window with a fake bridge: the model library panel (what each model is,
// load and remove), export and import buttons, and the engine settings that reload the model.
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, expect, test } from 'vitest';

import { App } from '../../../renderer/components/App.js';
import { createAppStores, type AppStores } from '../../../renderer/state/app-stores.js';
import { StoresProvider } from '../../../renderer/state/store-context.js';
import { FakeBridge, fakeModel, libraryEntry, memoryStorage, summary, tick } from './fake-bridge.js';

let bridge: FakeBridge;
let stores: AppStores;

async function renderApp() {
  bridge = new FakeBridge();
  bridge.state.model = fakeModel(4, 'air4.safetensors');
  bridge.library = [libraryEntry(bridge.state.model, 'id-air'), { ...libraryEntry(fakeModel(2, 'plain2.safetensors'), 'id-plain'), kvSharing: false }];
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

test('the library shows each model\'s kind, chains, size and parameters per chain count', async () => {
  await renderApp();
  const panel = screen.getByRole('region', { name: 'Model library' });
  const air = within(panel).getByRole('listitem', { name: 'Library model air4.safetensors' });
  expect(air.textContent).toContain('CoLM-Air · 4 chains {1, 1, 1, 1} · 390.6 KiB');
  expect(within(air).getByLabelText('Model details').textContent).toBe('colm · F32 · context 4096 · safetensors file');
  expect(within(air).getByLabelText('Parameters per chain count').textContent).toBe('1: 20K · 2: 80K · 3: 180K · 4: 320K');
  expect((within(air).getByLabelText('Load air4.safetensors') as HTMLButtonElement).disabled).toBe(true); // loaded already
  const plain = within(panel).getByRole('listitem', { name: 'Library model plain2.safetensors' });
  expect(plain.textContent).toContain('CoLM · 2 chains {1, 1}');

  bridge.nextLoad = fakeModel(2, 'plain2.safetensors');
  await act(async () => {
    fireEvent.click(within(plain).getByLabelText('Load plain2.safetensors'));
    await tick();
  });
  expect(bridge.loads.at(-1)!.path).toBe('/models/plain2.safetensors');
  expect(screen.getByLabelText('Loaded model').textContent).toContain('plain2.safetensors');

  await act(async () => {
    fireEvent.click(within(panel).getByLabelText('Remove air4.safetensors from library'));
    await tick();
  });
  expect(within(panel).queryByRole('listitem', { name: 'Library model air4.safetensors' })).toBeNull();
  expect(bridge.library.map((e) => e.id)).toEqual(['id-plain']);
});

test('export buttons wait for a message; export and import report what happened', async () => {
  await renderApp();
  const exportJson = screen.getByLabelText('Export conversation as JSON') as HTMLButtonElement;
  expect(exportJson.disabled).toBe(true);
  bridge.autoReply = { batches: [], summary: summary() };
  fireEvent.change(screen.getByLabelText('Message'), { target: { value: 'Keep this' } });
  await act(async () => {
    fireEvent.click(screen.getByLabelText('Send'));
    await tick();
  });
  await act(async () => {
    fireEvent.click(screen.getByLabelText('Export conversation as Markdown'));
    await tick();
  });
  expect(bridge.exports).toEqual([{ id: stores.chat.getState().current.id, format: 'markdown' }]);
  expect(screen.getByRole('status', { name: 'Chat notice' }).textContent).toMatch(/Exported "Keep this"/);

  const file = new File([JSON.stringify({ title: 'Imported chat', messages: [{ id: 'a', role: 'user', content: 'from a file' }] })], 'chat.json', { type: 'application/json' });
  await act(async () => {
    fireEvent.change(screen.getByLabelText('Conversation file'), { target: { files: [file] } });
    await tick();
    await tick();
  });
  expect(screen.getByRole('article', { name: 'Your message' }).textContent).toContain('from a file');
  expect(screen.getByRole('navigation', { name: 'Conversations' }).textContent).toContain('Imported chat');
});

test('engine settings show the model\'s values and reload it with the new ones', async () => {
  await renderApp();
  const apply = screen.getByLabelText('Apply engine settings') as HTMLButtonElement;
  expect(apply.disabled).toBe(true);
  expect(screen.getByText('now 256 tokens')).toBeTruthy();
  expect(screen.getByText('now 4')).toBeTruthy();
  fireEvent.change(screen.getByLabelText('Context size'), { target: { value: '1024' } });
  fireEvent.change(screen.getByLabelText('Threads'), { target: { value: '2' } });
  expect(apply.disabled).toBe(false);
  bridge.nextLoad = { ...fakeModel(4, 'air4.safetensors'), contextSize: 1024, threads: 2 };
  await act(async () => {
    fireEvent.click(apply);
    await tick();
  });
  expect(bridge.loads.at(-1)).toEqual({ path: '/models/air4.safetensors', options: { contextSize: 1024, threads: 2 } });
  expect(screen.getByText('now 1024 tokens')).toBeTruthy();
  expect((screen.getByLabelText('Apply engine settings') as HTMLButtonElement).disabled).toBe(true);
  // Emptied, a field means "the default" again.
  fireEvent.change(screen.getByLabelText('Threads'), { target: { value: '' } });
  expect(stores.settings.getState().session).toEqual({ contextSize: 1024, threads: null, kvType: null, device: null });
});

test('a GGUF entry shows its family, its dominant quant type and that it is a GGUF file; old entries show what they have', async () => {
  await renderApp();
  const gguf = { ...libraryEntry(fakeModel(1, 'llama-3.2-1b.Q4_K_M.gguf'), 'id-gguf'), modelType: 'llama', weightType: 'Q4_K', contextLength: 131072, fileKind: 'gguf' as const };
  const old = { ...libraryEntry(fakeModel(1, 'old.safetensors'), 'id-old'), modelType: 'colm', weightType: undefined, contextLength: undefined, fileKind: undefined };
  bridge.library = [gguf, old];
  await act(async () => {
    await stores.library.getState().refresh();
  });
  const panel = screen.getByRole('region', { name: 'Model library' });
  const entry = within(panel).getByRole('listitem', { name: 'Library model llama-3.2-1b.Q4_K_M.gguf' });
  expect(within(entry).getByLabelText('Model details').textContent).toBe('llama · Q4_K · context 131072 · GGUF file');
  const before = within(panel).getByRole('listitem', { name: 'Library model old.safetensors' });
  expect(within(before).getByLabelText('Model details').textContent).toBe('colm');
});
