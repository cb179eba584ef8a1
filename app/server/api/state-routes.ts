// GET /api/state: a snapshot; GET /api/events: the same state pushed on every change (SSE).
import type { ServerEvent } from '../api-types.js';
import { sendJson } from '../http-io.js';
import type { Route } from '../router.js';
import { SseStream } from '../sse.js';
import type { ApiDeps } from './deps.js';

export function stateRoutes({ controller }: ApiDeps): Route[] {
  return [
    { method: 'GET', path: '/api/state', handler: ({ res }) => sendJson(res, 200, controller.state()) },
    {
      method: 'GET',
      path: '/api/events',
      handler: ({ req, res }) => {
        const sse = new SseStream<ServerEvent>(req, res);
        sse.send({ type: 'state', state: controller.state() });
        const unsubscribe = controller.subscribe((event) => sse.send(event));
        sse.onClientGone(unsubscribe);
      },
    },
  ];
}
