// colm serve: browser mode. Starts the engine host and the local HTTP server with the UI and the
// OpenAI-compatible API (/v1), prints the address, loads MODEL (or the default model) in the
// background so the page can show the progress, and runs until Ctrl+C or SIGTERM. The chain
// policy reads this machine's battery, heat and GPU, or replays --simulate-power FILE.json.
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';

import type { KvType } from '../../engine/kv-type.js';
import { HostClient } from '../../host/host-client.js';
import { startChainPolicy } from '../../host/policy-setup.js';
import { packageVersion, rendererDistDir } from '../../server/package-paths.js';
import { startServer } from '../../server/server.js';
import { resolveApiKey } from '../../server/v1/api-key.js';
import { defaultModelPath } from '../default-model.js';

export const DEFAULT_PORT = 4747;

export interface ServeRequest {
  modelPath?: string; // absent: the default model, if there is one
  port?: number;
  host?: string;
  dataDir?: string;
  apiKey?: string; // the bearer key /v1 requires; absent: COLM_API_KEY, else none
  maxQueue?: number; // API requests that may wait per model; default 16
  simulatePower?: string; // a timeline file replayed instead of this machine's power and GPU
  context?: number; // --context N: the context of every model loaded without one; absent: the model's default
  kvType?: KvType; // --kv-type: the KV cache type of every model loaded without one; absent: bf16
  device?: string; // --device auto|cpu|cuda[:N] of every load; absent: auto
}

function untilStopped(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGTERM', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    if (signal.aborted) return done();
    signal.addEventListener('abort', done, { once: true });
    process.once('SIGTERM', done);
  });
}

export async function serveCommand(req: ServeRequest, out: NodeJS.WritableStream, err: NodeJS.WritableStream, signal: AbortSignal): Promise<void> {
  const host = req.host ?? '127.0.0.1';
  const port = req.port ?? DEFAULT_PORT;
  const dataDir = resolve(req.dataDir ?? join(homedir(), '.colm-desktop'));
  const apiKey = resolveApiKey(req.apiKey);
  let modelPath = req.modelPath;
  if (modelPath === undefined) {
    try {
      modelPath = defaultModelPath();
    } catch {
      modelPath = undefined; // no default model: the page asks for one
    }
  }

  const hostClient = new HostClient();
  hostClient.on((event) => {
    if (event.type === 'crashed') err.write(`colm: ${event.message}\n`);
  });
  // First, before anything runs: a bad timeline file ends the command with its error (exit 1).
  const policy = await startChainPolicy({
    host: hostClient,
    simulateFile: req.simulatePower === undefined ? undefined : resolve(req.simulatePower),
    rulesFile: join(dataDir, 'policy-rules.json'),
    warn: (message) => err.write(`colm: ${message}\n`),
  });
  await hostClient.start();
  let server;
  try {
    const openAi = { apiKey, maxWaiting: req.maxQueue };
    server = await startServer({ host, port, dataDir, rendererDir: rendererDistDir(), hostClient, version: packageVersion(), openAi, policy, contextSize: req.context, kvType: req.kvType, device: req.device });
  } catch (error) {
    policy.stop();
    await hostClient.dispose();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`port ${port} on ${host} is in use: pass --port N (0 picks a free port)`);
    }
    throw error;
  }
  out.write(`CoLM Desktop is running at ${server.url}\n`);
  out.write(`OpenAI-compatible API at ${server.url}/v1${apiKey === null ? '' : ' (needs the API key)'}\n`);
  if (req.simulatePower !== undefined) out.write(`Chain policy: simulated power from ${req.simulatePower}\n`);
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
    const exposed = apiKey === null ? 'the API and the browser UI' : 'the browser UI (the API needs the key)';
    err.write(`colm: warning: listening on ${host}; anyone who can reach it can use ${exposed}, the model and the conversations\n`);
  }
  if (modelPath !== undefined) {
    const path = resolve(modelPath);
    server.controller.load(path, basename(path)).catch((error: Error) => {
      err.write(`colm: could not load ${path}: ${error.message.split('\n')[0]}\n`);
    });
  }
  await untilStopped(signal);
  policy.stop();
  await server.close();
  await hostClient.dispose();
}
