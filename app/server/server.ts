// The local HTTP server of browser mode: the built UI and its bridge API (routes.ts), bound to
// loopback, and, when asked for, the OpenAI-compatible API (v1/). Requests from other sites are
// refused: a page elsewhere must not drive the engine or read conversations (Host and Origin are
// checked, JSON bodies need their content type).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { KvType } from '../engine/kv-type.js';
import { AppController } from '../host/app-controller.js';
import type { PolicyDriver } from '../host/policy-driver.js';
import { quietChainPolicy } from '../host/policy-setup.js';
import { ConversationStore } from '../library/conversation-store.js';
import { ModelLibrary } from '../library/model-library.js';
import { HttpError, sendError } from './http-io.js';
import { matchRoute, type Route } from './router.js';
import { routeTable } from './routes.js';
import { serveStatic } from './static-files.js';
import { UploadStore } from './upload-store.js';
import { sendOpenAiError } from './v1/openai-error.js';
import type { OpenAiApiOptions } from './v1/v1-deps.js';
import type { HostClient } from '../host/host-client.js';

export interface ServerOptions {
  host?: string; // address to bind; default 127.0.0.1 (loopback only)
  port: number; // 0: any free port
  dataDir: string; // conversations/, models/ and library.json live here
  rendererDir: string; // the built UI
  hostClient: HostClient;
  version: string;
  /** The OpenAI-compatible API under /v1 (and /health); absent: off, as in the desktop app. */
  openAi?: OpenAiApiOptions;
  /** The chain policy ('auto' chains); absent: one that reads no probes (every chain). */
  policy?: PolicyDriver;
  /** The context of loads that name none (colm serve --context N); absent: each model's default. */
  contextSize?: number;
  /** The KV cache type of loads that name none (colm serve --kv-type T); absent: bf16. */
  kvType?: KvType;
  /** The device of loads (colm serve --device); absent: auto. */
  device?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  controller: AppController;
  close(): Promise<void>;
}

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || host.startsWith('127.');
}

/** Guards against DNS rebinding and cross-site requests while bound to loopback. */
function checkCaller(req: IncomingMessage, boundHost: string): void {
  if (!isLoopback(boundHost)) return; // the user chose to expose the server
  const hostHeader = req.headers.host ?? '';
  const hostname = hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.split(':')[0]!;
  if (!isLoopback(hostname)) throw new HttpError(403, `requests for host "${hostHeader}" are not served`, 'Forbidden');
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${hostHeader}`) throw new HttpError(403, `requests from ${origin} are not allowed`, 'Forbidden');
}

/** Paths whose errors are answered in OpenAI's shape, which is what their clients read. */
function isOpenAiPath(path: string): boolean {
  return path === '/v1' || path.startsWith('/v1/') || path === '/health';
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const bindHost = options.host ?? '127.0.0.1';
  const library = new ModelLibrary(options.dataDir);
  // A policy made here is ours to stop; one the caller passed is the caller's.
  const ownPolicy = options.policy ? null : quietChainPolicy(options.hostClient);
  const policy = options.policy ?? ownPolicy!;
  const controller = new AppController(options.hostClient, options.version, {
    // The library is a convenience: a failed write must not fail the load that prompted it.
    onLoaded: (model) => library.record(model).then(() => undefined, () => undefined),
    policy,
    contextSize: options.contextSize,
    kvType: options.kvType,
    device: options.device,
  });
  const routes: Route[] = routeTable(
    {
      controller,
      conversations: new ConversationStore(options.dataDir),
      uploads: new UploadStore(options.dataDir),
      library,
    },
    options.openAi,
  );

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    checkCaller(req, bindHost);
    const match = matchRoute(routes, req.method ?? 'GET', url.pathname);
    if (match && 'route' in match) {
      await match.route.handler({ req, res, url, params: match.params });
      return;
    }
    if (match) {
      res.setHeader('allow', match.methodNotAllowed.join(', '));
      throw new HttpError(405, `${req.method} is not allowed on ${url.pathname}`, 'MethodNotAllowed');
    }
    if (!options.openAi && isOpenAiPath(url.pathname)) throw new HttpError(404, 'the OpenAI-compatible API is off (colm serve turns it on)', 'NotFound');
    if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/v1/')) throw new HttpError(404, `no such endpoint: ${url.pathname}`, 'NotFound');
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `${req.method} is not allowed here`, 'MethodNotAllowed');
    await serveStatic(options.rendererDir, req, res, url);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // Drain what the client still sends so it reads our answer instead of a reset.
      req.resume();
      if (isOpenAiPath(new URL(req.url ?? '/', 'http://localhost').pathname)) sendOpenAiError(req, res, error);
      else sendError(res, error, req);
    });
  });
  // Streams (SSE, uploads of large checkpoints) stay open far longer than Node's defaults allow.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, bindHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = bindHost.includes(':') ? `[${bindHost}]` : bindHost;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    controller,
    close: () =>
      new Promise<void>((resolve) => {
        ownPolicy?.stop();
        server.close(() => resolve());
        server.closeAllConnections(); // open SSE streams would otherwise keep it alive
      }),
  };
}
