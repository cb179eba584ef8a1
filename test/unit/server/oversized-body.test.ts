// A body refused half-way (over the size limit) must not poison the connection: the server
// answers 413 and closes it, so the client's next request goes out on a fresh connection at once
// instead of being read as the rest of the refused body.
import { Agent, request, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';

import { MAX_JSON_BYTES } from '../../../app/server/http-io.js';
import { startTestServer, type TestServer } from './server-helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/** One request on `agent`; `chunks` are written one by one with no content-length (chunked). */
function send(agent: Agent, method: string, path: string, chunks: Buffer[] = []): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(t.server.url + path, { method, agent, headers: chunks.length ? { 'content-type': 'application/json' } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    // The server may close while we still write: that is the point, not a failure.
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
    const writeNext = (i: number): void => {
      if (i >= chunks.length) return void req.end();
      if (req.destroyed) return;
      if (req.write(chunks[i]!)) writeNext(i + 1);
      else req.once('drain', () => writeNext(i + 1));
    };
    writeNext(0);
  });
}

test('a streamed body over the limit is a 413 that closes its connection; the next request answers at once', async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const chunk = Buffer.alloc(1 << 20, 0x61);
    const chunks = Array.from({ length: MAX_JSON_BYTES / chunk.length + 2 }, () => chunk);
    const refused = await send(agent, 'POST', '/api/chat', chunks);
    expect(refused.status).toBe(413);
    expect(refused.headers.connection).toBe('close');
    expect(JSON.parse(refused.body).error).toMatchObject({ name: 'PayloadTooLarge' });

    const started = performance.now();
    const next = await send(agent, 'GET', '/api/state');
    expect(next.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(1000);
  } finally {
    agent.destroy();
  }
});

test('a declared length over the limit is refused before reading, and closes too', async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const answer = await new Promise<Answer>((resolve, reject) => {
      const req = request(t.server.url + '/api/chat', { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': String(MAX_JSON_BYTES + 1) } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
      req.write('{"messages": ['); // then nothing more: the server must not wait for the rest
    });
    expect(answer.status).toBe(413);
    expect(answer.headers.connection).toBe('close');
    const started = performance.now();
    expect((await send(agent, 'GET', '/api/state')).status).toBe(200);
    expect(performance.now() - started).toBeLessThan(1000);
  } finally {
    agent.destroy();
  }
});
