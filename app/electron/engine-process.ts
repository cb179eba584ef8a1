// The engine host under Electron: a utilityProcess (a Node child that Electron starts, sandboxes
// from the renderer and ends with the app) running the same entry `colm serve` forks. HostClient
// sees it through the HostProcess interface, so restarts after a crash work the same way.
import { utilityProcess } from 'electron';

import type { HostSpawner } from '../host/host-process.js';

export const utilityProcessHost: HostSpawner = (entry, env) => {
  const child = utilityProcess.fork(entry, [], { env, stdio: 'inherit', serviceName: 'CoLM engine' });
  let exited = false;
  // Registered first, so `exited` is already true when HostClient's own exit listener runs.
  child.on('exit', () => {
    exited = true;
  });
  return {
    get pid() {
      return child.pid;
    },
    get connected() {
      return !exited;
    },
    get exited() {
      return exited;
    },
    send(message, onError) {
      try {
        child.postMessage(message);
      } catch (error) {
        onError(error instanceof Error ? error : new Error(String(error)));
      }
    },
    onMessage(listener) {
      const forward = (message: unknown) => listener(message);
      child.on('message', forward);
      return () => {
        child.off('message', forward);
      };
    },
    onExit(listener) {
      // utilityProcess reports the exit code only; a signal shows as the code waitpid gave.
      child.on('exit', (code) => listener({ code, signal: null }));
    },
    kill() {
      child.kill();
    },
  };
};
