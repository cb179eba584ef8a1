// IpcResult values: what every handler answers. An error keeps its name and the first line of
// its message (loader errors are one line by contract; a stack never reaches the window).
import type { ErrorInfo } from '../host/protocol.js';
import type { IpcResult } from './colm-api.js';

export function ok<T>(value: T): IpcResult<T> {
  return { ok: true, value };
}

export function failure(error: unknown): { ok: false; error: ErrorInfo } {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return { ok: false, error: { name, message: message.split('\n')[0]! } };
}
