// Reading requests and writing JSON answers. Every client mistake becomes an HttpError with a
// 4xx status, answered as { error: { name, message } } so the UI can show it; the server goes on.
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { ApiErrorBody } from './api-types.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    name = 'BadRequest',
  ) {
    super(message);
    this.name = name;
  }
}

export const MAX_JSON_BYTES = 16 * 2 ** 20;

/** Requires `contentType`: a cross-site page cannot send it without a CORS preflight we never answer. */
export function requireContentType(req: IncomingMessage, contentType: string): void {
  const got = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (got !== contentType) throw new HttpError(415, `expected Content-Type ${contentType}, got "${got || 'none'}"`, 'UnsupportedMediaType');
}

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) throw new HttpError(413, `the request body is larger than ${limit} bytes`, 'PayloadTooLarge');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `the request body is larger than ${limit} bytes`, 'PayloadTooLarge');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  requireContentType(req, 'application/json');
  const text = (await readBody(req, MAX_JSON_BYTES)).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `the request body is not valid JSON: ${(error as Error).message}`);
  }
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

/**
 * Answers `{ error }`. Given the request, a body that was refused before it was read to the end
 * (413) closes the connection: otherwise the client's next request on it would be read as the
 * rest of this one's body, and hang until the server's timeouts give up on it.
 */
export function sendError(res: ServerResponse, error: unknown, req?: IncomingMessage): void {
  const status = error instanceof HttpError ? error.status : 500;
  const body: ApiErrorBody = {
    error: {
      name: error instanceof Error ? error.name : 'Error',
      message: error instanceof Error ? error.message : String(error),
    },
  };
  if (res.headersSent) {
    res.end();
    return;
  }
  if (req && !req.complete) res.setHeader('connection', 'close');
  sendJson(res, status, body);
}
