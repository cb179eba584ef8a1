// Main's IPC handlers with electron mocked: one handler per preload method, every message from
// another window, a frame inside the page or another page refused, every malformed argument
// refused with a message that names the method and the field, and the calls that pass do their
// job (conversations on disk, chats streamed to the window that asked, exports through the save
// function, imports under a new id, dropped files resolved to one checkpoint).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';

import type { ColmEvent } from '../../../app/electron/colm-api.js';
import { EVENT_CHANNEL, INVOKE_CHANNELS } from '../../../app/electron/ipc-channels.js';
import { registerIpcHandlers, type IpcDeps } from '../../../app/electron/ipc-handlers.js';
import { fileOrigin } from '../../../app/electron/trusted-origin.js';
import { AppController } from '../../../app/host/app-controller.js';
import { GenerationStream } from '../../../app/host/generation-stream.js';
import type { HostClient } from '../../../app/host/host-client.js';
import type { PolicyDriver } from '../../../app/host/policy-driver.js';
import { quietChainPolicy } from '../../../app/host/policy-setup.js';
import type { ModelInfo } from '../../../app/host/protocol.js';
import { ConversationStore } from '../../../app/library/conversation-store.js';
import { ModelLibrary } from '../../../app/library/model-library.js';
import { fakeModel, summary, batch } from '../renderer/fake-bridge.js';
import { fakeElectron, FakeBrowserWindow, FakeWebContents, ipcEvent } from './fake-electron.js';

vi.mock('electron', async () => (await import('./fake-electron.js')).fakeElectron);

const INDEX = '/opt/colm/resources/app.asar/renderer/dist/index.html';
const origin = fileOrigin(INDEX);

/** The host client as AppController sees it, with streams the test drives. */
class FakeHost {
  currentModel: ModelInfo | null = fakeModel(4);
  status = 'ready';
  restartCount = 0;
  streams: GenerationStream[] = [];
  stops: string[] = [];
  loads: { path: string; options: Record<string, unknown> }[] = [];
  autoChains: number[] = [];
  on() {
    return () => undefined;
  }
  setAutoChains(chains: number) {
    this.autoChains.push(chains);
  }
  async loadModel(path: string, options: { onProgress?: (p: { stage: string; fraction: number }) => void; [k: string]: unknown }) {
    const { onProgress, ...rest } = options;
    this.loads.push({ path, options: rest });
    onProgress?.({ stage: 'mapping', fraction: 0.5 });
    this.currentModel = { ...fakeModel(4), path, name: path.split('/').pop()! };
    return this.currentModel;
  }
  generate() {
    const stream = new GenerationStream(`req-${this.streams.length + 1}`, async (id) => {
      this.stops.push(id);
      stream.finish(summary('abort'));
    });
    this.streams.push(stream);
    return stream;
  }
}

let dataDir: string;
let window: FakeBrowserWindow;
let host: FakeHost;
let saveFile: ReturnType<typeof vi.fn>;
let unregister: () => void;
let policy: PolicyDriver;
let batteries: unknown[];

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'colm-ipc-'));
  window = new FakeBrowserWindow({});
  host = new FakeHost();
  saveFile = vi.fn(async (fileName: string) => ({ saved: true, path: `/home/user/Documents/${fileName}` }));
  policy = quietChainPolicy(host as unknown as HostClient);
  batteries = [];
  const deps: IpcDeps = {
    controller: new AppController(host as unknown as HostClient, '9.9.9', { policy }),
    onBattery: (battery) => batteries.push(battery),
    conversations: new ConversationStore(dataDir),
    library: new ModelLibrary(dataDir),
    origin,
    window: () => window as never,
    saveFile: saveFile as IpcDeps['saveFile'],
  };
  unregister = registerIpcHandlers(fakeElectron.ipcMain as never, deps);
});

afterEach(() => {
  policy.stop();
  unregister();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Calls a channel as the app's own page would (or as `sender`/`url` say). */
function call(method: keyof typeof INVOKE_CHANNELS, args: unknown[], from: { sender?: FakeWebContents; url?: string; parent?: unknown } = {}) {
  const handler = fakeElectron.ipcMain.handlers.get(INVOKE_CHANNELS[method]);
  if (!handler) throw new Error(`no handler for ${method}`);
  return handler(ipcEvent(from.sender ?? window.webContents, from.url ?? origin.url, from.parent ?? null), ...args) as Promise<{ ok: boolean; value?: unknown; error?: { name: string; message: string } }>;
}

const events = () => window.webContents.sent.filter((s) => s.channel === EVENT_CHANNEL).map((s) => s.payload as ColmEvent);
const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

test('there is exactly one handler per preload method', () => {
  expect([...fakeElectron.ipcMain.handlers.keys()].sort()).toEqual(Object.values(INVOKE_CHANNELS).sort());
  unregister();
  expect(fakeElectron.ipcMain.handlers.size).toBe(0);
  unregister = () => undefined;
});

describe('senders', () => {
  test.each([
    ['another window', { sender: new FakeWebContents() }, /window this app did not open/],
    ['a frame inside the page', { parent: { url: origin.url } }, /frame inside the page/],
    ['a page the window navigated to', { url: 'https://evil.example/' }, /came from https:\/\/evil\.example\/, not from the app/],
    ['another local file', { url: 'file:///tmp/index.html' }, /not from the app/],
  ])('a message from %s is refused and nothing runs', async (_what, from, message) => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const result = await call('deleteConversation', ['c1'], from);
    expect(result).toEqual({ ok: false, error: { name: 'Forbidden', message: expect.stringMatching(message) } });
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
  });

  test('a frame that is gone is refused', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const handler = fakeElectron.ipcMain.handlers.get(INVOKE_CHANNELS.getState)!;
    const result = (await handler({ sender: window.webContents, senderFrame: null })) as { ok: boolean; error: { name: string } };
    warn.mockRestore();
    expect(result.ok).toBe(false);
    expect(result.error.name).toBe('Forbidden');
  });
});

describe('inputs', () => {
  test.each([
    ['getState', ['extra'], /getState: expected 0 arguments, got 1/],
    ['loadModel', [{ loadId: 'l1' }], /loadModel: path must be a string/],
    ['loadModel', [{ loadId: 'l1', path: '   ' }], /loadModel: path must not be empty/],
    ['loadModel', [{ loadId: 'l1', path: '/m\0x' }], /path may not contain NUL/],
    ['loadModel', [{ loadId: '../x', path: '/m' }], /loadId must be 1 to 64 letters/],
    ['loadModel', [{ loadId: 'l1', path: '/m', options: { contextSize: 3 } }], /options.contextSize must be between 16/],
    ['loadModel', [{ loadId: 'l1', path: '/m', options: { device: 'gpu' } }], /loadModel: options.device must be "auto", "cpu" or "cuda:N", got "gpu"/],
    ['loadFiles', [{ loadId: 'l1', files: 'all' }], /files must be an array/],
    ['loadFiles', [{ loadId: 'l1', files: [{ absolutePath: 5, path: 'a' }] }], /files\[0\]\.absolutePath must be a string/],
    ['loadFiles', [{ loadId: 'l1', files: [] }], /loadFiles: no files to load/],
    ['loadFiles', [{ loadId: 'l1', files: [{ absolutePath: '', path: 'blob.safetensors' }] }], /not a file on this computer/],
    ['chat', [{ chatId: 'c1', messages: [] }], /chat: messages must be a non-empty array/],
    ['chat', [{ chatId: 'c1', messages: [{ role: 'robot', content: 'x' }] }], /messages\[0\]\.role must be one of/],
    ['chat', [{ chatId: 'c1', messages: [{ role: 'user', content: 'x' }], settings: { temperature: -1 } }], /settings\.temperature must be between 0 and 100/],
    ['stopChat', [42], /stopChat: chatId must be a string/],
    ['getConversation', ['../../etc/passwd'], /the conversation id must be 1 to 64 letters/],
    ['saveConversation', ['text'], /saveConversation: the conversation must be a JSON object/],
    ['saveConversation', [{ id: 'c1', title: 'x', messages: [{ id: 'm1', role: 'user', content: 7 }] }], /messages\[0\]\.content must be a string/],
    ['exportConversation', [{ id: 'c1', format: 'pdf' }], /format must be one of json, markdown/],
    ['importConversation', [[1, 2]], /the imported file must be a JSON object/],
    ['importConversation', [{ kind: 'something-else' }], /not a CoLM conversation/],
    ['removeFromLibrary', [null], /the library id must be a string/],
    ['setChainAuto', ['on'], /setChainAuto: auto must be true or false/],
    ['setManualChains', [5], /setManualChains: chains \(this model has 4 chains\) must be between 1 and 4, got 5/],
    ['setManualChains', [2, 3], /expected 1 argument, got 2/],
    ['reportBattery', [{ level: 28, charging: false }], /reportBattery: battery\.level must be a number from 0 to 1/],
    ['reportBattery', [{ level: 0.5 }], /battery\.charging must be true or false/],
  ] as const)('%s(%j) is refused', async (method, args, message) => {
    const result = await call(method, [...args]);
    expect(result.ok).toBe(false);
    expect(result.error).toEqual({ name: 'InvalidInput', message: expect.stringMatching(message) });
  });

  test('a chat without a loaded model says so by name', async () => {
    host.currentModel = null;
    const result = await call('chat', [{ chatId: 'c1', messages: [{ role: 'user', content: 'hi' }] }]);
    expect(result.error).toMatchObject({ name: 'NoModelLoaded' });
  });
});

describe('calls', () => {
  test('getState answers the app state', async () => {
    const result = await call('getState', []);
    expect(result).toMatchObject({ ok: true, value: { version: '9.9.9', model: { name: 'tiny.safetensors' }, policy: { chains: 4, auto: true } } });
  });

  test('the chain policy: Auto off and on, a pinned count, rules checked, battery readings forwarded', async () => {
    expect(await call('setChainAuto', [false])).toMatchObject({ ok: true, value: { auto: false, chains: 4, reason: '4/4 chains: manual' } });
    expect(await call('setManualChains', [2])).toMatchObject({ ok: true, value: { auto: false, chains: 2 } });
    expect(host.autoChains.at(-1)).toBe(2);
    expect(await call('setChainAuto', [true])).toMatchObject({ ok: true, value: { auto: true, chains: 4 } });
    expect(await call('setPolicyRules', [{ dwellMs: -1 }])).toEqual({ ok: true, value: { ok: false, errors: [expect.stringMatching(/^dwellMs: must be a whole number/)] } });
    expect(await call('setPolicyRules', [{ thermal: { enabled: false } }])).toMatchObject({ ok: true, value: { ok: true, rules: { thermal: { enabled: false } } } });
    expect(await call('reportBattery', [{ level: 0.42, charging: false }])).toEqual({ ok: true, value: null });
    expect(await call('reportBattery', [null])).toEqual({ ok: true, value: null });
    expect(batteries).toEqual([{ level: 0.42, charging: false }, null]);
  });

  test('conversations are saved, listed, read, exported and deleted', async () => {
    const conversation = { id: 'c1', title: 'Chains', createdAt: 1, updatedAt: 2, messages: [{ id: 'm1', role: 'user', content: 'hi' }] };
    expect(await call('saveConversation', [conversation])).toEqual({ ok: true, value: null });
    expect(await call('listConversations', [])).toEqual({ ok: true, value: [{ id: 'c1', title: 'Chains', updatedAt: 2, messageCount: 1 }] });
    expect(await call('getConversation', ['c1'])).toEqual({ ok: true, value: conversation });
    expect(await call('exportConversation', [{ id: 'c1', format: 'markdown' }])).toEqual({ ok: true, value: { saved: true, path: '/home/user/Documents/Chains.md' } });
    expect(saveFile).toHaveBeenCalledWith('Chains.md', expect.stringContaining('# Chains'), 'markdown');
    expect(await call('exportConversation', [{ id: 'gone', format: 'json' }])).toMatchObject({ ok: false, error: { name: 'NotFound' } });
    expect(await call('deleteConversation', ['c1'])).toEqual({ ok: true, value: null });
    expect(await call('getConversation', ['c1'])).toEqual({ ok: true, value: null });
  });

  test('an import is stored under a new id', async () => {
    const file = { kind: 'colm-conversation', version: 1, conversation: { id: 'old', title: 'Imported', messages: [{ id: 'x', role: 'user', content: 'hello' }] } };
    const result = (await call('importConversation', [file])) as { ok: true; value: { id: string; title: string } };
    expect(result.ok).toBe(true);
    expect(result.value.id).not.toBe('old');
    expect(((await call('getConversation', [result.value.id])) as { value: { title: string } }).value.title).toBe('Imported');
  });

  test('a load streams its progress to the window under its load id, with the session options', async () => {
    const result = await call('loadModel', [{ loadId: 'l1', path: '/models/air.safetensors', options: { contextSize: 512, threads: 2 } }]);
    expect(result).toMatchObject({ ok: true, value: { path: '/models/air.safetensors' } });
    expect(host.loads).toEqual([{ path: '/models/air.safetensors', options: { contextSize: 512, threads: 2 } }]);
    expect(events().filter((e) => e.type === 'loadProgress')).toEqual([{ type: 'loadProgress', loadId: 'l1', progress: { stage: 'mapping', fraction: 0.5 } }]);
  });

  test("the settings' device and KV cache type go with the load, the device in its one spelling", async () => {
    await call('loadModel', [{ loadId: 'l2', path: '/models/air.safetensors', options: { kvType: 'q8_0', device: 'cuda' } }]);
    expect(host.loads).toEqual([{ path: '/models/air.safetensors', options: { kvType: 'q8_0', device: 'cuda:0' } }]);
  });

  test('a dropped folder loads as that folder', async () => {
    const files = [
      { absolutePath: '/home/user/models/air/config.json', path: 'air/config.json' },
      { absolutePath: '/home/user/models/air/model.safetensors', path: 'air/model.safetensors' },
    ];
    expect(await call('loadFiles', [{ loadId: 'l2', files }])).toMatchObject({ ok: true, value: { name: 'air' } });
    expect(host.loads[0]!.path).toBe('/home/user/models/air');
  });

  test('a chat streams its batches, then its end, to the window that asked, in order', async () => {
    expect(await call('chat', [{ chatId: 'chat1', messages: [{ role: 'user', content: 'hi' }], settings: { chains: 2 } }])).toEqual({ ok: true, value: null });
    const stream = host.streams[0]!;
    stream.push(batch('Hel', 2));
    stream.push(batch('lo', 2));
    stream.finish(summary('stop', 2));
    await flush();
    expect(events().map((e) => e.type)).toEqual(['chatTokens', 'chatTokens', 'chatDone']);
    expect(events()[1]).toMatchObject({ type: 'chatTokens', chatId: 'chat1', batch: { text: 'lo' } });
  });

  test('only the window that started a chat can stop it; closing that window stops it', async () => {
    await call('chat', [{ chatId: 'chat2', messages: [{ role: 'user', content: 'hi' }] }]);
    // Another window cannot even be heard (its messages are refused before the handler runs).
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(await call('stopChat', ['chat2'], { sender: new FakeWebContents() })).toMatchObject({ ok: false, error: { name: 'Forbidden' } });
    warn.mockRestore();
    expect(await call('stopChat', ['no-such-chat'])).toEqual({ ok: true, value: false });
    expect(await call('stopChat', ['chat2'])).toEqual({ ok: true, value: true });
    await flush();
    expect(events().at(-1)).toMatchObject({ type: 'chatDone', chatId: 'chat2', summary: { finishReason: 'abort' } });

    await call('chat', [{ chatId: 'chat3', messages: [{ role: 'user', content: 'again' }] }]);
    window.webContents.destroy();
    await flush();
    expect(host.stops).toEqual(['req-1', 'req-2']);
  });

  test('a chat that fails ends with chatError, its name kept', async () => {
    await call('chat', [{ chatId: 'chat4', messages: [{ role: 'user', content: 'hi' }] }]);
    const crash = new Error('the engine process was killed by SIGKILL; restarting it');
    crash.name = 'HostCrashedError';
    host.streams[0]!.fail(crash);
    await flush();
    expect(events().at(-1)).toEqual({ type: 'chatError', chatId: 'chat4', error: { name: 'HostCrashedError', message: crash.message } });
  });

  test('the library lists loaded models and forgets them on request', async () => {
    // desktop-app.ts records loads through the controller's onLoaded hook; here, directly.
    await new ModelLibrary(dataDir).record({ ...fakeModel(4), path: '/models/air.safetensors', name: 'air.safetensors' });
    const listed = (await call('listLibrary', [])) as { value: { id: string; name: string }[] };
    expect(listed.value.map((e) => e.name)).toEqual(['air.safetensors']);
    expect(await call('removeFromLibrary', [listed.value[0]!.id])).toEqual({ ok: true, value: null });
    expect(await call('removeFromLibrary', [listed.value[0]!.id])).toMatchObject({ ok: false, error: { name: 'NotFound' } });
    expect(await call('listLibrary', [])).toEqual({ ok: true, value: [] });
  });
});
