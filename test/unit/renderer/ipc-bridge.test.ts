// The renderer's IPC bridge over a fake window.colm: results unwrapped (errors keep their names),
// load progress and chat streams routed by the ids it chose, a stop sent after the chat it stops,
// an abort turned into a stop, and events after the end of a load dropped.
import { expect, test, vi } from 'vitest';

import type { ColmApi, ColmEvent, IpcResult } from '../../../app/electron/colm-api.js';
import { HttpBridge } from '../../../renderer/bridge/http-bridge.js';
import { IpcBridge } from '../../../renderer/bridge/ipc-bridge.js';
import { pickBridge } from '../../../renderer/bridge/pick-bridge.js';
import { BridgeError } from '../../../renderer/bridge/types.js';
import { batch, fakeModel, summary } from './fake-bridge.js';

const ok = <T,>(value: T): Promise<IpcResult<T>> => Promise.resolve({ ok: true, value });

function fakeColm() {
  let listener: ((event: ColmEvent) => void) | null = null;
  const calls: string[] = [];
  const colm = {
    onEvent: vi.fn((l: (event: ColmEvent) => void) => {
      listener = l;
      return () => (listener = null);
    }),
    getState: vi.fn(() => ok({ model: null, loading: null, host: { status: 'ready', restarts: 0, message: null }, version: '1' })),
    loadModel: vi.fn((_r: { loadId: string }) => ok(fakeModel())),
    loadFiles: vi.fn((_r: { loadId: string }) => ok(fakeModel())),
    chat: vi.fn((r: { chatId: string }) => {
      calls.push(`chat ${r.chatId}`);
      return ok(null);
    }),
    stopChat: vi.fn((chatId: string) => {
      calls.push(`stop ${chatId}`);
      return ok(true);
    }),
    listConversations: vi.fn(() => ok([])),
    getConversation: vi.fn(() => Promise.resolve({ ok: false, error: { name: 'InvalidInput', message: 'getConversation: bad id' } } as IpcResult<null>)),
    saveConversation: vi.fn(() => ok(null)),
    deleteConversation: vi.fn(() => ok(null)),
    exportConversation: vi.fn(() => ok({ saved: true, path: '/home/u/chat.md' })),
    importConversation: vi.fn(() => ok({ id: 'new', title: 't', createdAt: 1, updatedAt: 1, messages: [] })),
    listLibrary: vi.fn(() => ok([])),
    removeFromLibrary: vi.fn(() => ok(null)),
    setChainAuto: vi.fn((auto: boolean) => ok({ auto })),
    setManualChains: vi.fn((chains: number) => ok({ auto: false, chains })),
    setPolicyRules: vi.fn(() => ok({ ok: false, errors: ['dwellMs: must be a whole number'] })),
    reportBattery: vi.fn(() => ok(null)),
  };
  return { colm: colm as unknown as ColmApi & typeof colm, calls, push: (e: ColmEvent) => listener?.(e) };
}

test('picks IPC inside the desktop app and HTTP elsewhere', () => {
  expect(pickBridge({ colm: fakeColm().colm })).toBeInstanceOf(IpcBridge);
  expect(pickBridge({})).toBeInstanceOf(HttpBridge);
});

test('errors arrive as BridgeErrors with their names', async () => {
  const bridge = new IpcBridge(fakeColm().colm);
  const error = await bridge.getConversation('x').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(BridgeError);
  expect(error).toMatchObject({ name: 'InvalidInput', message: 'getConversation: bad id' });
});

test('a chat streams its batches by chat id and resolves with its summary', async () => {
  const { colm, push, calls } = fakeColm();
  const bridge = new IpcBridge(colm);
  const seen: string[] = [];
  let chatId = '';
  const done = bridge.chat({ messages: [{ role: 'user', content: 'hi' }], settings: {} as never }, {
    onStart: (id) => {
      chatId = id;
      void bridge.stopChat(id); // a stop sent at once still follows the chat
    },
    onTokens: (b) => seen.push(b.text),
  });
  expect(calls).toEqual([`chat ${chatId}`, `stop ${chatId}`]);
  push({ type: 'chatTokens', chatId: 'someone-else', batch: batch('x', 1) });
  push({ type: 'chatTokens', chatId, batch: batch('Hel', 2) });
  push({ type: 'chatTokens', chatId, batch: batch('lo', 2) });
  push({ type: 'chatDone', chatId, summary: summary('abort', 2) });
  await expect(done).resolves.toMatchObject({ finishReason: 'abort' });
  expect(seen).toEqual(['Hel', 'lo']);
});

test('a failed chat rejects with the error it ended with; an abort asks main to stop', async () => {
  const { colm, push } = fakeColm();
  const bridge = new IpcBridge(colm);
  const abort = new AbortController();
  let chatId = '';
  const done = bridge.chat({ messages: [], settings: {} as never }, { onStart: (id) => (chatId = id), onTokens: () => undefined }, abort.signal);
  abort.abort();
  expect(colm.stopChat).toHaveBeenCalledWith(chatId);
  push({ type: 'chatError', chatId, error: { name: 'HostCrashedError', message: 'the engine process was killed' } });
  await expect(done).rejects.toMatchObject({ name: 'HostCrashedError' });
});

test('loads pass their session options; progress is routed by load id until the load ends', async () => {
  const { colm, push } = fakeColm();
  let release!: () => void;
  colm.loadModel.mockImplementation(() => new Promise((resolve) => (release = () => resolve({ ok: true, value: fakeModel() }))));
  const bridge = new IpcBridge(colm);
  const progress: number[] = [];
  const loading = bridge.loadModelFromPath('/m/air.safetensors', (p) => progress.push(p.fraction), { contextSize: 512 });
  const { loadId } = colm.loadModel.mock.calls[0]![0] as { loadId: string; path: string; options: unknown };
  expect(colm.loadModel.mock.calls[0]![0]).toEqual({ loadId, path: '/m/air.safetensors', options: { contextSize: 512 } });
  push({ type: 'loadProgress', loadId, progress: { stage: 'mapping', fraction: 0.5 } });
  push({ type: 'loadProgress', loadId: 'other', progress: { stage: 'mapping', fraction: 0.9 } });
  release();
  await loading;
  push({ type: 'loadProgress', loadId, progress: { stage: 'ready', fraction: 1 } });
  expect(progress).toEqual([0.5]);

  const file = new File(['w'], 'w.safetensors');
  await bridge.uploadModel([{ file, path: 'air/w.safetensors' }], () => undefined, { threads: 2 });
  expect(colm.loadFiles.mock.calls[0]![0]).toMatchObject({ files: [{ file, path: 'air/w.safetensors' }], options: { threads: 2 } });
});

test('state and crash events reach subscribers; export, import and the library unwrap', async () => {
  const { colm, push } = fakeColm();
  const bridge = new IpcBridge(colm);
  const events: string[] = [];
  const off = bridge.subscribe((e) => events.push(e.type));
  push({ type: 'crashed', message: 'gone' });
  off();
  push({ type: 'crashed', message: 'again' });
  expect(events).toEqual(['crashed']);
  expect(await bridge.exportConversation('c1', 'markdown')).toEqual({ saved: true, where: '/home/u/chat.md' });
  expect(colm.exportConversation).toHaveBeenCalledWith({ id: 'c1', format: 'markdown' });
  expect((await bridge.importConversation({ kind: 'colm-conversation' })).id).toBe('new');
  expect(await bridge.listLibrary()).toEqual([]);
  await bridge.removeFromLibrary('abc');
  expect(colm.removeFromLibrary).toHaveBeenCalledWith('abc');
});

test('the chain policy\'s commands go through window.colm and answer what main answers', async () => {
  const { colm } = fakeColm();
  const bridge = new IpcBridge(colm);
  expect(await bridge.setChainAuto(false)).toEqual({ auto: false });
  expect(await bridge.setManualChains(2)).toEqual({ auto: false, chains: 2 });
  expect(await bridge.setPolicyRules({ dwellMs: -1 })).toEqual({ ok: false, errors: ['dwellMs: must be a whole number'] });
  await bridge.reportBattery({ level: 0.5, charging: true });
  expect(colm.reportBattery).toHaveBeenCalledWith({ level: 0.5, charging: true });
  expect(colm.setPolicyRules).toHaveBeenCalledWith({ dwellMs: -1 });
});
