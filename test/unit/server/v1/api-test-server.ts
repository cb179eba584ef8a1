// A server with the OpenAI-compatible API on, on a free loopback port with its own data folder,
// optionally with the fixture model loaded. Shared by the API's unit and integration tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import type { KvType } from '../../../../app/engine/kv-type.js';
import { HostClient } from '../../../../app/host/host-client.js';
import { startServer, type RunningServer } from '../../../../app/server/server.js';
import type { OpenAiApiOptions } from '../../../../app/server/v1/v1-deps.js';

export const FIXTURE_MODEL = resolve('test/fixtures/models/air4_f32.safetensors');
export const FIXTURE_MODEL_ID = 'air4_f32.safetensors';

export interface ApiTestServer {
  server: RunningServer;
  host: HostClient;
  /** http://127.0.0.1:PORT/v1, the openai client's baseURL. */
  baseURL: string;
  close(): Promise<void>;
}

export interface ApiTestServerOptions {
  openAi?: OpenAiApiOptions | null; // null: the API off; default: on, without a key
  loadModel?: boolean; // load the fixture model first (starts the engine host)
  hostEnv?: Record<string, string>;
  contextSize?: number; // the context of loads that name none (colm serve --context N)
  kvType?: KvType; // the KV cache type of loads that name none (colm serve --kv-type T)
  device?: string; // the device of loads that name none (colm serve --device D)
}

export async function startApiTestServer(options: ApiTestServerOptions = {}): Promise<ApiTestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'colm-api-'));
  const rendererDir = mkdtempSync(join(tmpdir(), 'colm-api-ui-'));
  const host = new HostClient({ env: options.hostEnv ?? {} });
  const openAi = options.openAi === null ? undefined : (options.openAi ?? {});
  const server = await startServer({ port: 0, dataDir, rendererDir, hostClient: host, version: 'test', openAi, contextSize: options.contextSize, kvType: options.kvType, device: options.device });
  if (options.loadModel) {
    await host.start();
    await server.controller.load(FIXTURE_MODEL, FIXTURE_MODEL_ID);
  }
  return {
    server,
    host,
    baseURL: `${server.url}/v1`,
    async close() {
      await server.close();
      await host.dispose();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(rendererDir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Headers;
  json: { error?: { message: string; type: string; param: string | null; code: string | null } } & Record<string, unknown>;
}

/** A request as any HTTP client could send it, including ones the openai client never would. */
export async function rawRequest(url: string, init: RequestInit = {}): Promise<RawResponse> {
  const response = await fetch(url, init);
  const text = await response.text();
  let json: RawResponse['json'];
  try {
    json = JSON.parse(text);
  } catch {
    json = { text } as RawResponse['json'];
  }
  return { status: response.status, headers: response.headers, json };
}
