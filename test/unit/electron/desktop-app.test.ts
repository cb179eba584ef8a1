// The desktop app put together, with electron mocked and the engine host faked at the
// utilityProcess boundary: the window loads the built renderer with the preload, IPC is
// registered, the engine is started in a utilityProcess with the addon's unpacked path, the
// default model is asked for, and an engine crash reaches the window (and the engine restarts).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, expect, test, vi } from 'vitest';

import type { DesktopApp } from '../../../app/electron/desktop-app.js';
import { EVENT_CHANNEL, INVOKE_CHANNELS } from '../../../app/electron/ipc-channels.js';
import { fakeElectron, FakeUtilityProcess, FakeWebContents } from './fake-electron.js';

vi.mock('electron', async () => (await import('./fake-electron.js')).fakeElectron);

const root = resolve('.');
const children: FakeUtilityProcess[] = [];
let desktop: DesktopApp;

beforeAll(async () => {
  if (!existsSync(resolve('renderer/dist/index.html'))) throw new Error('run npm run build first: the renderer is not built');
  fakeElectron.app.getAppPath.mockReturnValue(root);
  // A host that says it is ready, as engine-host.js does once started.
  fakeElectron.utilityProcess.fork.mockImplementation(() => {
    const child = new FakeUtilityProcess();
    children.push(child);
    setTimeout(() => child.emit('message', { type: 'ready', pid: 4242 }), 0);
    return child;
  });
  const { startDesktopApp } = await import('../../../app/electron/desktop-app.js');
  desktop = await startDesktopApp();
});

test('one secure window loads the built renderer with the bundled preload', () => {
  const window = desktop.window as unknown as { options: { webPreferences: Record<string, unknown> }; loadURL: { mock: { calls: string[][] } } };
  expect(window.options.webPreferences).toMatchObject({ preload: resolve('dist/electron/preload.cjs'), sandbox: true, contextIsolation: true, nodeIntegration: false });
  expect(window.loadURL.mock.calls).toEqual([[pathToFileURL(resolve('renderer/dist/index.html')).href]]);
});

test('every IPC channel is handled, and every web contents is guarded', () => {
  expect([...fakeElectron.ipcMain.handlers.keys()].sort()).toEqual(Object.values(INVOKE_CHANNELS).sort());
  const contents = new FakeWebContents();
  fakeElectron.app.emit('web-contents-created', {}, contents);
  expect(contents.windowOpenHandler!({ url: 'https://example.com' })).toEqual({ action: 'deny' });
  expect(fakeElectron.session.defaultSession.permissionRequestHandler).not.toBeNull();
});

test('the engine runs in a utilityProcess with the addon path, and the default model is asked for', () => {
  expect(fakeElectron.utilityProcess.fork.mock.calls[0]![0]).toBe(resolve('dist/app/host/engine-host.js'));
  expect(fakeElectron.utilityProcess.fork.mock.calls[0]![2].env).toMatchObject({ COLM_ADDON_PATH: resolve('build/native/Release/colm.node') });
  const load = children[0]!.posted.find((m) => (m as { type: string }).type === 'loadModel') as { path: string } | undefined;
  expect(load?.path).toMatch(/(colm-default|air4_f32)\.safetensors$/);
});

test('when the engine dies the window is told, and a new engine is started', async () => {
  const window = desktop.window.webContents as unknown as FakeWebContents;
  children[0]!.emit('exit', 9);
  const sent = window.sent.filter((s) => s.channel === EVENT_CHANNEL).map((s) => s.payload as { type: string; message?: string });
  expect(sent).toContainEqual({ type: 'crashed', message: 'the engine process exited with code 9; restarting it' });
  await vi.waitFor(() => expect(children).toHaveLength(2));
  expect(desktop.controller.state().host.restarts).toBe(1);
});

test('powerMonitor and the page\'s battery reading reach the chain policy, which tells the engine', async () => {
  fakeElectron.powerMonitor.emit('on-battery');
  const handler = fakeElectron.ipcMain.handlers.get(INVOKE_CHANNELS.reportBattery)!;
  const page = { sender: desktop.window.webContents, senderFrame: { url: pathToFileURL(resolve('renderer/dist/index.html')).href, parent: null } };
  expect(await handler(page, { level: 0.25, charging: false })).toEqual({ ok: true, value: null });
  // The probes are read every 2 s.
  await vi.waitFor(() => expect(desktop.controller.state().policy?.reason).toMatch(/on battery, 25%/), { timeout: 5000 });
  const engine = children.at(-1)!;
  expect(engine.posted.some((m) => (m as { type: string }).type === 'setAutoChains')).toBe(true);
});
