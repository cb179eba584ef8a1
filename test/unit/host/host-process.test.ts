// HostClient over its injected HostProcess: an in-memory process shows the restart logic without
// any engine; then the real engine host, started the way Electron's utilityProcess would run it
// (its parent channel is process.parentPort), loads a model and streams a reply.
import { fork } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

import { defaultHostEntry } from '../../../app/host/host-entry.js';
import { HostClient } from '../../../app/host/host-client.js';
import type { HostExit, HostProcess, HostSpawner } from '../../../app/host/host-process.js';
import type { HostRequest } from '../../../app/host/protocol.js';
import { fakeModel } from '../renderer/fake-bridge.js';

/** A host process in memory: answers loadModel with a model, and can be "killed". */
class MemoryHost implements HostProcess {
  pid = Math.floor(Math.random() * 1e6);
  connected = true;
  exited = false;
  received: HostRequest[] = [];
  private messageListeners = new Set<(m: unknown) => void>();
  private exitListeners: ((e: HostExit) => void)[] = [];

  constructor() {
    setTimeout(() => this.emit({ type: 'ready', pid: this.pid }), 0);
  }
  send(message: HostRequest, onError: (e: Error) => void): void {
    if (!this.connected) return onError(new Error('closed'));
    this.received.push(message);
    if (message.type === 'loadModel') setTimeout(() => this.emit({ type: 'result', id: message.id, value: { ...fakeModel(2), path: message.path } }), 0);
  }
  onMessage(listener: (m: unknown) => void) {
    this.messageListeners.add(listener);
    return () => void this.messageListeners.delete(listener);
  }
  onExit(listener: (e: HostExit) => void) {
    this.exitListeners.push(listener);
  }
  kill() {
    this.die({ code: null, signal: 'SIGTERM' });
  }
  die(exit: HostExit) {
    this.connected = false;
    this.exited = true;
    for (const l of this.exitListeners) l(exit);
  }
  private emit(message: unknown) {
    for (const l of [...this.messageListeners]) l(message);
  }
}

describe('HostClient with an injected spawner', () => {
  test('starts through the spawner, restarts after a death and loads the last model again', async () => {
    const spawned: MemoryHost[] = [];
    const spawn: HostSpawner = (entry, env) => {
      expect(entry).toBe('/entry.js');
      expect(env.COLM_TEST).toBe('1');
      const host = new MemoryHost();
      spawned.push(host);
      return host;
    };
    const client = new HostClient({ entry: '/entry.js', env: { COLM_TEST: '1' }, spawn });
    const events: string[] = [];
    client.on((e) => events.push(e.type === 'status' ? `status:${e.status}` : e.type));
    await client.start();
    const model = await client.loadModel('/models/a.safetensors', { contextSize: 128, threads: 2 });
    expect(model.path).toBe('/models/a.safetensors');
    expect(spawned[0]!.received[0]).toMatchObject({ type: 'loadModel', path: '/models/a.safetensors', contextSize: 128, threads: 2 });

    spawned[0]!.die({ code: null, signal: 'SIGKILL' });
    await new Promise<void>((done) => client.on((e) => e.type === 'status' && e.status === 'ready' && done()));
    expect(spawned).toHaveLength(2);
    expect(spawned[1]!.received[0]).toMatchObject({ type: 'loadModel', path: '/models/a.safetensors', contextSize: 128, threads: 2 });
    expect(events).toContain('crashed');
    expect(client.restartCount).toBe(1);
    await client.dispose();
    expect(spawned[1]!.exited).toBe(true);
  });
});

describe('the engine host as a utility process', () => {
  test('speaks over process.parentPort: loads a model and streams a reply', async () => {
    const shim = resolve('test/unit/host/fixtures/parent-port-shim.mjs');
    // The real entry, forked with a shim that gives it a parentPort, exactly what it checks for.
    const spawnLikeUtilityProcess: HostSpawner = (entry, env) => {
      const child = fork(entry, [], { execArgv: ['--import', shim], env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
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
        send: (message, onError) => void child.send(message, (error) => error && onError(error)),
        onMessage: (listener) => {
          child.on('message', listener);
          return () => void child.off('message', listener);
        },
        onExit: (listener) => void child.on('exit', (code, signal) => listener({ code, signal })),
        kill: () => void child.kill('SIGTERM'),
      };
    };
    const client = new HostClient({ entry: defaultHostEntry(), spawn: spawnLikeUtilityProcess });
    try {
      await client.start();
      const model = await client.loadModel(resolve('test/fixtures/models/air4_f32.safetensors'), { contextSize: 128, threads: 1 });
      expect(model.contextSize).toBe(128);
      expect(model.threads).toBe(1);
      const stream = client.generate([{ role: 'user', content: 'Hello' }], { chains: 3, temperature: 0, topK: 0, topP: 1, minP: 0, repeatPenalty: 1, seed: 1, maxTokens: 8 });
      const tokens: number[] = [];
      for await (const batch of stream) tokens.push(...batch.tokens.map((t) => t.chains));
      expect((await stream.result).generatedTokens).toBe(tokens.length);
      expect(new Set(tokens)).toEqual(new Set([3]));
    } finally {
      await client.dispose();
    }
  });
});
