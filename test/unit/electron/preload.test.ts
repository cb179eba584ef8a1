// The preload script with electron mocked: it exposes window.colm with exactly one method per IPC
// channel plus the event subscription, each method invokes its own channel, dropped Files become
// paths through webUtils, and the renderer never receives Electron's event object.
import { beforeAll, expect, test, vi } from 'vitest';

import type { ColmApi } from '../../../app/electron/colm-api.js';
import { EVENT_CHANNEL, INVOKE_CHANNELS } from '../../../app/electron/ipc-channels.js';
import { fakeElectron } from './fake-electron.js';

vi.mock('electron', async () => (await import('./fake-electron.js')).fakeElectron);

let colm: ColmApi;
beforeAll(async () => {
  await import('../../../app/electron/preload.js');
  colm = fakeElectron.contextBridge.exposed.get('colm') as ColmApi;
});

test('exposes only window.colm, with exactly the expected methods', () => {
  expect([...fakeElectron.contextBridge.exposed.keys()]).toEqual(['colm']);
  expect(Object.keys(colm).sort()).toEqual([...Object.keys(INVOKE_CHANNELS), 'onEvent'].sort());
  for (const value of Object.values(colm)) expect(typeof value).toBe('function');
});

test('each method invokes its own channel with its arguments', async () => {
  const invoke = fakeElectron.ipcRenderer.invoke;
  const calls: [keyof typeof INVOKE_CHANNELS, unknown[]][] = [
    ['getState', []],
    ['loadModel', [{ loadId: 'l', path: '/m' }]],
    ['chat', [{ chatId: 'c', messages: [], settings: {} }]],
    ['stopChat', ['c']],
    ['listConversations', []],
    ['getConversation', ['id']],
    ['saveConversation', [{ id: 'id' }]],
    ['deleteConversation', ['id']],
    ['exportConversation', [{ id: 'id', format: 'json' }]],
    ['importConversation', [{ kind: 'colm-conversation' }]],
    ['listLibrary', []],
    ['removeFromLibrary', ['lib']],
    ['setChainAuto', [true]],
    ['setManualChains', [2]],
    ['setPolicyRules', [{ dwellMs: 0 }]],
    ['reportBattery', [{ level: 0.5, charging: false }]],
  ];
  for (const [method, args] of calls) {
    invoke.mockClear();
    await (colm[method] as (...a: unknown[]) => Promise<unknown>)(...args);
    expect(invoke.mock.calls, method).toEqual([[INVOKE_CHANNELS[method], ...args]]);
  }
});

test('dropped files cross as paths read by webUtils, never as File objects', async () => {
  const invoke = fakeElectron.ipcRenderer.invoke;
  invoke.mockClear();
  const file = (name: string) => ({ name }) as unknown as File;
  await colm.loadFiles({ loadId: 'l1', files: [{ file: file('config.json'), path: 'air/config.json' }, { file: file('w.safetensors'), path: 'air/w.safetensors' }] });
  expect(invoke.mock.calls).toEqual([
    [
      INVOKE_CHANNELS.loadFiles,
      {
        loadId: 'l1',
        options: undefined,
        files: [
          { absolutePath: '/disk/config.json', path: 'air/config.json' },
          { absolutePath: '/disk/w.safetensors', path: 'air/w.safetensors' },
        ],
      },
    ],
  ]);
  // A Blob made in the page has no place on disk: webUtils throws, main hears ''.
  fakeElectron.webUtils.getPathForFile.mockImplementationOnce(() => {
    throw new TypeError('not a File');
  });
  invoke.mockClear();
  await colm.loadFiles({ loadId: 'l2', files: [{ file: file('x'), path: 'x' }] });
  expect((invoke.mock.calls[0]![1] as { files: unknown[] }).files).toEqual([{ absolutePath: '', path: 'x' }]);
});

test('events reach the listener as plain data, and unsubscribing stops them', () => {
  const seen: unknown[] = [];
  const off = colm.onEvent((event) => seen.push(event));
  const senderEvent = { sender: fakeElectron.ipcRenderer };
  fakeElectron.ipcRenderer.emit(EVENT_CHANNEL, senderEvent, { type: 'crashed', message: 'gone' });
  off();
  fakeElectron.ipcRenderer.emit(EVENT_CHANNEL, senderEvent, { type: 'crashed', message: 'again' });
  expect(seen).toEqual([{ type: 'crashed', message: 'gone' }]);
});
