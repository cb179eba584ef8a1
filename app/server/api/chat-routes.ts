// POST /api/chat { messages, settings }: the assistant's next turn as an SSE stream of ChatEvents.
// POST /api/chat/stop { requestId }: stop it. A client that disconnects stops its generation too.
import type { ChatEvent } from '../api-types.js';
import { errorInfo } from '../error-info.js';
import { HttpError, readJson, sendJson } from '../http-io.js';
import type { Route } from '../router.js';
import { SseStream } from '../sse.js';
import { expectObject, expectString, parseChatRequest } from '../validate.js';
import type { ApiDeps } from './deps.js';

export function chatRoutes({ controller }: ApiDeps): Route[] {
  return [
    {
      method: 'POST',
      path: '/api/chat',
      handler: async ({ req, res }) => {
        const body = parseChatRequest(await readJson(req));
        const host = controller.host;
        if (!host.currentModel) throw new HttpError(409, 'no model is loaded: drop a checkpoint on the window or use Open...', 'NoModelLoaded');
        const stream = controller.chat(body.messages, body.settings);
        const sse = new SseStream<ChatEvent>(req, res);
        sse.onClientGone(() => void stream.stop().catch(() => undefined));
        sse.send({ type: 'start', requestId: stream.requestId });
        try {
          for await (const batch of stream) sse.send({ type: 'tokens', batch });
          sse.send({ type: 'done', summary: await stream.result });
        } catch (error) {
          sse.send({ type: 'error', error: errorInfo(error) });
        } finally {
          sse.end();
        }
      },
    },
    {
      method: 'POST',
      path: '/api/chat/stop',
      handler: async ({ req, res }) => {
        const body = expectObject(await readJson(req), 'the request body');
        const requestId = expectString(body.requestId, 'requestId', 100);
        sendJson(res, 200, { stopped: await controller.stop(requestId) });
      },
    },
  ];
}
