// Conversations: GET /api/conversations (summaries, newest first), and GET, PUT, DELETE
// /api/conversations/:id. PUT replaces the whole conversation, written atomically.
// GET /api/conversations/:id/export?format=json|markdown answers it as a file to save;
// POST /api/conversations/import saves an exported JSON file's content as a new conversation.
import { exportConversation, parseImport } from '../../library/conversation-export.js';
import type { ExportFormat } from '../../library/conversation-types.js';
import { HttpError, readJson, sendJson } from '../http-io.js';
import type { Route } from '../router.js';
import { asHttp, expectId, parseConversation } from '../validate.js';
import type { ApiDeps } from './deps.js';

const FORMATS: readonly ExportFormat[] = ['json', 'markdown'];
const parseImportBody = asHttp(parseImport);

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
    {
      method: 'GET',
      path: '/api/conversations/:id/export',
      handler: async ({ res, params, url }) => {
        const format = url.searchParams.get('format') ?? 'json';
        if (!FORMATS.includes(format as ExportFormat)) throw new HttpError(400, `format must be one of ${FORMATS.join(', ')}`);
        const conversation = await conversations.get(expectId(params.id, 'the conversation id'));
        if (!conversation) throw new HttpError(404, `no conversation "${params.id}"`, 'NotFound');
        const file = exportConversation(conversation, format as ExportFormat);
        const body = Buffer.from(file.text, 'utf8');
        res.writeHead(200, {
          'content-type': `${file.mimeType}; charset=utf-8`,
          'content-length': body.length,
          // The name is ASCII-safe by construction except for letters; RFC 5987 carries those.
          'content-disposition': `attachment; filename="${file.fileName.replace(/[^\x20-\x7e]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(file.fileName)}`,
          'cache-control': 'no-store',
        });
        res.end(body);
      },
    },
    {
      method: 'POST',
      path: '/api/conversations/import',
      handler: async ({ req, res }) => {
        const conversation = parseImportBody(await readJson(req));
        await conversations.put(conversation);
        sendJson(res, 200, conversation);
      },
    },
  ];
}
