// A stand-in for the 'electron' module (its binary cannot run in CI): just enough of app,
// BrowserWindow, session, ipcMain, ipcRenderer, contextBridge, webUtils, shell, dialog,
// powerMonitor and utilityProcess for the glue in app/electron to run, with every call recorded.
// Test files mock 'electron' with this module's `fakeElectron`.
import { EventEmitter } from 'node:events';

import { vi } from 'vitest';

let nextContentsId = 1;

export class FakeWebContents extends EventEmitter {
  readonly id = nextContentsId++;
  readonly sent: { channel: string; payload: unknown }[] = [];
  destroyed = false;
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;

  send(channel: string, payload: unknown): void {
    if (this.destroyed) throw new Error('Object has been destroyed');
    this.sent.push({ channel, payload });
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }

  destroy(): void {
    this.destroyed = true;
    this.emit('destroyed');
  }
}

export class FakeBrowserWindow extends EventEmitter {
  static instances: FakeBrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  readonly loadURL = vi.fn(async (_url: string) => undefined);
  readonly show = vi.fn();
  destroyed = false;

  constructor(readonly options: Record<string, unknown>) {
    super();
    FakeBrowserWindow.instances.push(this);
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }
}

export class FakeSession extends EventEmitter {
  headersFilter: { urls: string[] } | null = null;
  headersListener: ((details: { responseHeaders?: Record<string, string[]> }, callback: (response: unknown) => void) => void) | null = null;
  permissionRequestHandler: ((contents: unknown, permission: string, callback: (granted: boolean) => void) => void) | null = null;
  permissionCheckHandler: ((contents: unknown, permission: string) => boolean) | null = null;
  readonly webRequest = {
    onHeadersReceived: (filter: { urls: string[] }, listener: FakeSession['headersListener']) => {
      this.headersFilter = filter;
      this.headersListener = listener;
    },
  };

  setPermissionRequestHandler(handler: FakeSession['permissionRequestHandler']): void {
    this.permissionRequestHandler = handler;
  }

  setPermissionCheckHandler(handler: FakeSession['permissionCheckHandler']): void {
    this.permissionCheckHandler = handler;
  }
}

export class FakeUtilityProcess extends EventEmitter {
  pid: number | undefined = 4242;
  readonly posted: unknown[] = [];
  failPost = false;
  readonly kill = vi.fn(() => {
    this.emit('exit', 15);
    return true;
  });

  postMessage(message: unknown): void {
    if (this.failPost) throw new Error('the process is gone');
    this.posted.push(message);
  }
}

type Handler = (event: unknown, ...args: unknown[]) => unknown;

export const fakeElectron = {
  app: Object.assign(new EventEmitter(), {
    isPackaged: false,
    getAppPath: vi.fn(() => '/opt/colm/resources/app.asar'),
    getVersion: vi.fn(() => '9.9.9'),
    getPath: vi.fn((name: string) => `/home/user/${name}`),
  }),
  BrowserWindow: FakeBrowserWindow,
  session: { defaultSession: new FakeSession() },
  ipcMain: {
    handlers: new Map<string, Handler>(),
    handle(channel: string, handler: Handler) {
      // Electron refuses a second handler for one channel; so does the fake.
      if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
      this.handlers.set(channel, handler);
    },
    removeHandler(channel: string) {
      this.handlers.delete(channel);
    },
  },
  ipcRenderer: Object.assign(new EventEmitter(), {
    invoke: vi.fn(async (_channel: string, ..._args: unknown[]): Promise<unknown> => ({ ok: true, value: null })),
  }),
  contextBridge: {
    exposed: new Map<string, unknown>(),
    exposeInMainWorld(key: string, api: unknown) {
      this.exposed.set(key, api);
    },
  },
  webUtils: {
    getPathForFile: vi.fn((file: { name: string }) => `/disk/${file.name}`),
  },
  shell: { openExternal: vi.fn(async (_url: string) => undefined) },
  dialog: {
    showSaveDialog: vi.fn(async (..._args: unknown[]) => ({ canceled: true, filePath: undefined as string | undefined })),
    showErrorBox: vi.fn(),
  },
  powerMonitor: Object.assign(new EventEmitter(), {
    isOnBatteryPower: vi.fn(() => false),
    getCurrentThermalState: vi.fn(() => 'nominal'),
  }),
  utilityProcess: {
    fork: vi.fn((_entry: string, _args: string[], _options: Record<string, unknown>) => new FakeUtilityProcess()),
  },
};

/** An IPC event as ipcMain hands it to a handler. */
export function ipcEvent(sender: FakeWebContents, url: string, parent: unknown = null) {
  return { sender, senderFrame: { url, parent } };
}
