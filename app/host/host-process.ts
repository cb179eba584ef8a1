// The engine host as the parent holds it: a process that takes HostRequests, answers HostEvents
// and may die. Node forks it with child_process (here); Electron's main process starts it with
// utilityProcess (app/electron/engine-process.ts). HostClient only sees this interface.
import { fork } from 'node:child_process';

import type { HostRequest } from './protocol.js';

export interface HostExit {
  code: number | null;
  signal: string | null; // null where the platform or the spawner does not say
}

export interface HostProcess {
  readonly pid: number | undefined;
  /** False once the process is gone (or its channel closed): nothing sent would arrive. */
  readonly connected: boolean;
  readonly exited: boolean;
  /** Delivers `message`; a failure to deliver is reported to `onError`, never thrown. */
  send(message: HostRequest, onError: (error: Error) => void): void;
  /** Returns the function that removes the listener. */
  onMessage(listener: (message: unknown) => void): () => void;
  onExit(listener: (exit: HostExit) => void): void;
  /** Asks the process to end; 'exit' follows. */
  kill(): void;
}

/** Starts a host process running `entry` with `env` as its whole environment. */
export type HostSpawner = (entry: string, env: Record<string, string | undefined>) => HostProcess;

export const forkHost: HostSpawner = (entry, env) => {
  const child = fork(entry, [], {
    execArgv: [], // not the parent's loaders or inspector flags
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  child.on('error', () => undefined); // reported through 'exit'
  return {
    get pid() {
      return child.pid;
    },
    get connected() {
      return child.connected;
    },
    get exited() {
      return child.exitCode !== null || child.signalCode !== null;
    },
    send(message, onError) {
      child.send(message, (error) => {
        if (error) onError(error);
      });
    },
    onMessage(listener) {
      child.on('message', listener);
      return () => child.off('message', listener);
    },
    onExit(listener) {
      child.on('exit', (code, signal) => listener({ code, signal }));
    },
    kill() {
      child.kill('SIGTERM');
    },
  };
};
