// A server on a free loopback port with its own data folder, for tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { HostClient } from '../../../app/host/host-client.js';
import { startServer, type RunningServer } from '../../../app/server/server.js';

export interface TestServer {
  server: RunningServer;
  host: HostClient;
  dataDir: string;
  rendererDir: string;
  close(): Promise<void>;
}

export async function startTestServer(options: { startHost?: boolean; rendererDir?: string } = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'colm-server-'));
  const rendererDir = options.rendererDir ?? mkdtempSync(join(tmpdir(), 'colm-renderer-'));
  const host = new HostClient();
  if (options.startHost) await host.start();
  const server = await startServer({ host: '127.0.0.1', port: 0, dataDir, rendererDir, hostClient: host, version: 'test' });
  return {
    server,
    host,
    dataDir,
    rendererDir,
    async close() {
      await server.close();
      await host.dispose();
      rmSync(dataDir, { recursive: true, force: true });
      if (!options.rendererDir) rmSync(rendererDir, { recursive: true, force: true });
    },
  };
}

/** SSE body text -> the JSON events in it. */
export function sseEvents(text: string): { type: string; [key: string]: unknown }[] {
  return text
    .split('\n\n')
    .map((block) => block.split('\n').find((l) => l.startsWith('data: ')))
    .filter((l): l is string => l !== undefined)
    .map((l) => JSON.parse(l.slice(6)));
}
