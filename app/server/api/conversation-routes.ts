// Conversations: GET /api/conversations (summaries, newest first), and GET, PUT, DELETE
// /api/conversations/:id. PUT replaces the whole conversation, written atomically.
import { HttpError, readJson, sendJson } from '../http-io.js';
import type { Route } from '../router.js';
import { expectId, parseConversation } from '../validate.js';
import type { ApiDeps } from './deps.js';

export function conversationRoutes({ conversations }: ApiDeps): Route[] {
  return [
    { method: 'GET', path: '/api/conversations', handler: async ({ res }) => sendJson(res, 200, await conversations.list()) },
    {
      method: 'GET',
      path: '/api/conversations/:id',
      handler: async ({ res, params }) => {
        const conversation = await conversations.get(expectId(params.id, 'the conversation id'));
        if (!conversation) throw new HttpError(404, `no conversation "${params.id}"`, 'NotFound');
        sendJson(res, 200, conversation);
      },
    },
    {
      method: 'PUT',
      path: '/api/conversations/:id',
      handler: async ({ req, res, params }) => {
        const id = expectId(params.id, 'the conversation id');
        const conversation = parseConversation(await readJson(req), id);
        await conversations.put(conversation);
        sendJson(res, 200, { saved: id, updatedAt: conversation.updatedAt });
      },
    },
    {
      method: 'DELETE',
      path: '/api/conversations/:id',
      handler: async ({ res, params }) => {
        const removed = await conversations.remove(expectId(params.id, 'the conversation id'));
        if (!removed) throw new HttpError(404, `no conversation "${params.id}"`, 'NotFound');
        sendJson(res, 200, { removed: params.id });
      },
    },
  ];
}
