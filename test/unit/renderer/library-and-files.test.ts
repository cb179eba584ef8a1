// The stores behind the model library, conversation files and engine settings: the library is
// read, loaded from and pruned through the bridge; export and import go through the bridge and
// say what happened; context size and threads are kept per model and sent with its next load.
import { expect, test } from 'vitest';

import { createAppStores } from '../../../renderer/state/app-stores.js';
import { createChatStore } from '../../../renderer/state/chat-store.js';
import { DEFAULT_GENERATION } from '../../../renderer/state/default-settings.js';
import { createLibraryStore } from '../../../renderer/state/library-store.js';
import { createSettingsStore } from '../../../renderer/state/settings-store.js';
import { FakeBridge, fakeModel, libraryEntry, memoryStorage, tick } from './fake-bridge.js';

test('the library lists, loads and removes models through the bridge', async () => {
  const bridge = new FakeBridge();
  bridge.library = [libraryEntry(fakeModel(4, 'a.safetensors')), libraryEntry(fakeModel(2, 'b.safetensors'))];
  const loaded: string[] = [];
  const library = createLibraryStore(bridge, async (path) => {
    loaded.push(path);
    return true;
  });
  await library.getState().refresh();
  expect(library.getState().entries.map((e) => e.name)).toEqual(['a.safetensors', 'b.safetensors']);
  expect(await library.getState().load(library.getState().entries[1]!)).toBe(true);
  expect(loaded).toEqual(['/models/b.safetensors']);
  await library.getState().remove('a.safetensors');
  expect(library.getState().entries.map((e) => e.name)).toEqual(['b.safetensors']);
  expect(bridge.library.map((e) => e.name)).toEqual(['b.safetensors']);

  bridge.listLibrary = async () => {
    throw new Error('disk on fire');
  };
  await library.getState().refresh();
  expect(library.getState().error).toBe('could not read the model library: disk on fire');
});

test('context size and threads are kept per model and sent when that model loads', async () => {
  const storage = memoryStorage();
  const bridge = new FakeBridge();
  const stores = createAppStores(bridge, storage);
  await stores.start();
  bridge.nextLoad = fakeModel(4, 'big.safetensors');
  await stores.model.getState().loadPath('/models/big.safetensors');
  expect(bridge.loads.at(-1)).toEqual({ path: '/models/big.safetensors', options: {} });

  stores.settings.getState().updateSession({ contextSize: 1024, threads: 2 });
  expect(await stores.model.getState().reload()).toBe(true);
  expect(bridge.loads.at(-1)).toEqual({ path: '/models/big.safetensors', options: { contextSize: 1024, threads: 2 } });

  // Another model starts from its own defaults; the first one's come back with it.
  bridge.nextLoad = fakeModel(2, 'small.safetensors');
  await stores.model.getState().loadPath('/models/small.safetensors');
  expect(stores.settings.getState().session).toEqual({ contextSize: null, threads: null, kvType: null, device: null });
  const reopened = createSettingsStore(storage);
  expect(reopened.getState().sessionFor('big.safetensors')).toEqual({ contextSize: 1024, threads: 2 });
  bridge.nextLoad = fakeModel(4, 'big.safetensors');
  await stores.model.getState().loadPath('/elsewhere/big.safetensors');
  expect(bridge.loads.at(-1)!.options).toEqual({ contextSize: 1024, threads: 2 });
  expect(stores.settings.getState().session).toEqual({ contextSize: 1024, threads: 2, kvType: null, device: null });
  // The KV cache type is kept with them and sent too; a damaged saved value is no choice.
  stores.settings.getState().updateSession({ kvType: 'q8_0' });
  expect(createSettingsStore(storage).getState().sessionFor('big.safetensors')).toEqual({ contextSize: 1024, threads: 2, kvType: 'q8_0' });
  expect(await stores.model.getState().reload()).toBe(true);
  expect(bridge.loads.at(-1)!.options).toEqual({ contextSize: 1024, threads: 2, kvType: 'q8_0' });
  storage.setItem('colm.settings.odd.safetensors', JSON.stringify({ session: { contextSize: 512, threads: null, kvType: 'q4_0' } }));
  expect(createSettingsStore(storage).getState().sessionFor('odd.safetensors')).toEqual({ contextSize: 512 });
});

test('the library is read again when another model is loaded', async () => {
  const bridge = new FakeBridge();
  const stores = createAppStores(bridge, memoryStorage());
  await stores.start();
  expect(stores.library.getState().entries).toEqual([]);
  bridge.library = [libraryEntry(fakeModel(3, 'new.safetensors'))];
  bridge.nextLoad = fakeModel(3, 'new.safetensors');
  await stores.model.getState().loadPath('/models/new.safetensors');
  await tick();
  expect(stores.library.getState().entries.map((e) => e.name)).toEqual(['new.safetensors']);
});

function chatStore() {
  const bridge = new FakeBridge();
  bridge.autoReply = { batches: [], summary: { finishReason: 'stop', promptTokens: 1, droppedMessages: 0, generatedTokens: 0, tokensPerSecond: 0, prefillMs: 0, contextUsed: 1, contextSize: 256 } };
  const store = createChatStore({ bridge, storage: memoryStorage(), generation: () => ({ settings: DEFAULT_GENERATION, systemPrompt: '' }), modelName: () => 'tiny' });
  return { bridge, store };
}

test('export saves the open conversation through the bridge and says where', async () => {
  const { bridge, store } = chatStore();
  await store.getState().exportCurrent('json');
  expect(store.getState().error).toMatch(/nothing to export/);
  expect(bridge.exports).toEqual([]);

  await store.getState().send('Hello');
  await store.getState().exportCurrent('markdown');
  const id = store.getState().current.id;
  expect(bridge.exports).toEqual([{ id, format: 'markdown' }]);
  expect(store.getState().notice).toBe(`Exported "Hello" to /exports/${id}.md`);
  store.getState().dismissNotice();
  expect(store.getState().notice).toBeNull();
});

test('import opens the file as a new conversation; a file that is not JSON is refused', async () => {
  const { store } = chatStore();
  const exported = { kind: 'colm-conversation', version: 1, conversation: { id: 'x', title: 'From a friend', createdAt: 1, updatedAt: 5, messages: [{ id: 'm', role: 'user', content: 'hey' }] } };
  await store.getState().importFile(new Blob([JSON.stringify(exported)]));
  expect(store.getState().current).toMatchObject({ id: 'imported-1', title: 'From a friend' });
  expect(store.getState().conversations[0]).toMatchObject({ id: 'imported-1', messageCount: 1 });
  expect(store.getState().notice).toBe('Imported "From a friend"');

  await store.getState().importFile(new Blob(['# not json']));
  expect(store.getState().error).toMatch(/^could not import: the file is not JSON/);
  await store.getState().importFile(new Blob(['{"title": "no messages"}']));
  expect(store.getState().error).toBe('could not import: the imported conversation has no messages array');
  expect(store.getState().current.id).toBe('imported-1');
});
