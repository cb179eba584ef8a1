// The model store: loads by files or path, the error panel's content, and the server's pushed state.
import { expect, test } from 'vitest';

import { BridgeError } from '../../../renderer/bridge/types.js';
import { createModelStore } from '../../../renderer/state/model-store.js';
import { FakeBridge, fakeModel } from './fake-bridge.js';

test('dropped files are uploaded and the model becomes current', async () => {
  const bridge = new FakeBridge();
  const store = createModelStore(bridge);
  await store.getState().init();
  expect(store.getState().connected).toBe(true);
  expect(store.getState().model).toBeNull();

  const seen: string[] = [];
  store.subscribe((s) => s.loading && seen.push(s.loading.progress.stage));
  const file = new Blob([new Uint8Array(8)]);
  const ok = await store.getState().loadFiles([
    { file, path: 'llama/config.json' },
    { file, path: 'llama/model.safetensors' },
  ]);
  expect(ok).toBe(true);
  expect(bridge.uploads[0]!.map((f) => f.path)).toEqual(['llama/config.json', 'llama/model.safetensors']);
  expect(seen).toContain('mapping');
  expect(store.getState().model?.name).toBe('tiny.safetensors');
  expect(store.getState().loading).toBeNull();
  expect(store.getState().error).toBeNull();
});

test('a bad checkpoint fills the error panel with the loader\'s message; dismiss clears it', async () => {
  const bridge = new FakeBridge();
  bridge.nextLoad = new BridgeError({ name: 'CheckpointError', message: 'bad.safetensors: header length 999 exceeds the file size' });
  const store = createModelStore(bridge);
  const ok = await store.getState().loadFiles([{ file: new Blob(['x']), path: 'bad.safetensors' }]);
  expect(ok).toBe(false);
  expect(store.getState().error).toEqual({ name: 'bad.safetensors', kind: 'CheckpointError', message: 'bad.safetensors: header length 999 exceeds the file size' });
  expect(store.getState().loading).toBeNull();
  store.getState().dismissError();
  expect(store.getState().error).toBeNull();
});

test('state pushed by the server (another window, the CLI, an engine crash) shows up', async () => {
  const bridge = new FakeBridge();
  const store = createModelStore(bridge);
  await store.getState().init();
  const model = fakeModel(3, 'pushed.safetensors');
  bridge.push({ type: 'state', state: { model, loading: null, host: { status: 'restarting', restarts: 1, message: 'x' }, version: 't', policy: null, devices: null } });
  expect(store.getState().model?.name).toBe('pushed.safetensors');
  expect(store.getState().host.status).toBe('restarting');
  bridge.push({ type: 'crashed', message: 'the engine process was killed by SIGKILL; restarting it' });
  expect(store.getState().crashNotice).toMatch(/SIGKILL/);
  store.getState().dispose();
  expect(bridge.listeners.size).toBe(0);
});

test('a snapshot that arrives after a pushed state does not roll the model back', async () => {
  const bridge = new FakeBridge();
  const store = createModelStore(bridge);
  const stale = await bridge.getState(); // taken before the model loaded
  bridge.getState = async () => {
    // The push (model loaded) overtakes the snapshot's reply.
    bridge.push({ type: 'state', state: { ...stale, model: fakeModel(2, 'late.safetensors') } });
    return stale;
  };
  await store.getState().init();
  expect(store.getState().model?.name).toBe('late.safetensors');
});
