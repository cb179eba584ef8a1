// Which door this window has: window.colm exists only inside the desktop app (its preload puts
// it there); anywhere else the page was served by `colm serve` and talks HTTP to it.
import { HttpBridge } from './http-bridge.js';
import { IpcBridge } from './ipc-bridge.js';
import type { Bridge } from './types.js';

export function pickBridge(window: Pick<Window, 'colm'>): Bridge {
  return window.colm ? new IpcBridge(window.colm) : new HttpBridge();
}
