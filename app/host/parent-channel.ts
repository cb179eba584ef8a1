// The engine host's line to its parent, whichever way it was started: child_process.fork gives
// process.send and 'message'; Electron's utilityProcess gives process.parentPort, whose messages
// arrive wrapped in { data }. Nothing here imports electron: the port is found at run time.
import type { HostEvent, HostRequest } from './protocol.js';

export interface ParentChannel {
  send(event: HostEvent): void;
  onRequest(listener: (request: HostRequest) => void): void;
  /** The parent is gone (never fires under utilityProcess, whose children die with their parent). */
  onDisconnect(listener: () => void): void;
}

interface ParentPortLike {
  on(event: 'message', listener: (message: { data: unknown }) => void): unknown;
  postMessage(message: unknown): void;
}

export function parentChannel(): ParentChannel {
  const port = (process as unknown as { parentPort?: ParentPortLike }).parentPort;
  if (port) {
    return {
      send: (event) => port.postMessage(event),
      onRequest: (listener) => void port.on('message', (message) => listener(message.data as HostRequest)),
      onDisconnect: () => undefined,
    };
  }
  return {
    // The parent may be gone (it exited or killed us); there is nobody left to tell.
    send: (event) => {
      if (process.connected) process.send!(event);
    },
    onRequest: (listener) => void process.on('message', (message) => listener(message as HostRequest)),
    onDisconnect: (listener) => void process.on('disconnect', listener),
  };
}
