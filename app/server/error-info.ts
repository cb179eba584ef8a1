// Any thrown value as the { name, message } the UI shows. Only the first line of a message is
// kept: loader errors are one line by contract, and a stack never reaches the browser.
import type { ErrorInfo } from '../host/protocol.js';

export function errorInfo(error: unknown): ErrorInfo {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return { name, message: message.split('\n')[0]! };
}
