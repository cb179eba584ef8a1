// The built bundles (npm run build:electron) as Electron loads them. The preload runs sandboxed,
// where require() knows only 'electron': it must need nothing else, and must still expose
// window.colm when evaluated that way. Main may need electron and Node's built-ins, nothing more.
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { resolve } from 'node:path';
import { runInNewContext } from 'node:vm';
import { beforeAll, expect, test, vi } from 'vitest';

import { INVOKE_CHANNELS } from '../../../app/electron/ipc-channels.js';
import { fakeElectron } from './fake-electron.js';

const MAIN = resolve('dist/electron/main.cjs');
const PRELOAD = resolve('dist/electron/preload.cjs');

beforeAll(() => {
  if (!existsSync(MAIN) || !existsSync(PRELOAD)) throw new Error('run npm run build first: dist/electron is missing');
});

const required = (code: string) => [...code.matchAll(/\brequire\(["']([^"']+)["']\)/g)].map((m) => m[1]!);

test('the preload needs only electron, and exposes window.colm when run sandboxed', () => {
  const code = readFileSync(PRELOAD, 'utf8');
  expect(new Set(required(code))).toEqual(new Set(['electron']));
  fakeElectron.contextBridge.exposed.clear();
  const sandboxedRequire = (name: string) => {
    if (name === 'electron') return fakeElectron;
    throw new Error(`module not found: ${name}`);
  };
  runInNewContext(code, { require: sandboxedRequire, module: { exports: {} }, exports: {}, Array });
  const api = fakeElectron.contextBridge.exposed.get('colm') as Record<string, unknown>;
  expect(Object.keys(api).sort()).toEqual([...Object.keys(INVOKE_CHANNELS), 'onEvent'].sort());
});

test('main needs only electron and Node built-ins, and starts by sandboxing and taking the instance lock', () => {
  const code = readFileSync(MAIN, 'utf8');
  const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  expect(required(code).filter((name) => name !== 'electron' && !builtins.has(name))).toEqual([]);

  const app = Object.assign(fakeElectron.app, {
    enableSandbox: vi.fn(),
    requestSingleInstanceLock: vi.fn(() => true),
    whenReady: vi.fn(() => new Promise(() => undefined)), // never ready: nothing starts
    quit: vi.fn(),
  });
  const nodeRequire = createRequire(MAIN);
  const module = { exports: {} };
  new Function('require', 'module', 'exports', '__filename', '__dirname', code)(
    (name: string) => (name === 'electron' ? fakeElectron : nodeRequire(name)),
    module,
    module.exports,
    MAIN,
    resolve('dist/electron'),
  );
  expect(app.enableSandbox).toHaveBeenCalledOnce();
  expect(app.requestSingleInstanceLock).toHaveBeenCalledOnce();
  expect(app.whenReady).toHaveBeenCalledOnce();
  expect(app.listenerCount('window-all-closed')).toBe(1);
});
