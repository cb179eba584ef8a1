// The one window. Its page runs with Electron's safe defaults made explicit (so a future default
// change cannot loosen them): isolated, sandboxed, no Node, web security on, no <webview>, no
// navigation by dropping a file outside the drop area.
import { BrowserWindow, type BrowserWindowConstructorOptions } from 'electron';

export interface WindowOptions {
  preload: string;
  icon?: string;
  devTools: boolean;
}

export function mainWindowOptions({ preload, icon, devTools }: WindowOptions): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 840,
    minWidth: 720,
    minHeight: 480,
    title: 'CoLM Desktop',
    show: false, // shown once painted, so it never flashes white
    ...(icon ? { icon } : {}),
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false, // Chromium would download dictionaries; this app makes no network requests
      devTools,
    },
  };
}

export function createMainWindow(options: WindowOptions): BrowserWindow {
  const window = new BrowserWindow(mainWindowOptions(options));
  window.once('ready-to-show', () => window.show());
  return window;
}
