// Every malformed request gets a 4xx with a JSON { error } that says what was wrong, and the
// server keeps serving. No engine is needed for any of this.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { startTestServer, type TestServer } from './server-helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

async function call(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const response = await fetch(t.server.url + path, { method, body, headers });
  const text = await response.text();
  let json: { error?: { name: string; message: string } } | null = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: response.status, json, text };
}

const JSON_HEADERS = { 'content-type': 'application/json' };

describe('bad requests', () => {
  test.each([
    ['invalid JSON', 'POST', '/api/chat', '{"messages": [', JSON_HEADERS, 400, /not valid JSON/],
    ['JSON that is not an object', 'POST', '/api/chat', '[1,2]', JSON_HEADERS, 400, /must be a JSON object/],
    ['no messages', 'POST', '/api/chat', '{"messages": []}', JSON_HEADERS, 400, /messages must be a non-empty array/],
    ['a bad role', 'POST', '/api/chat', '{"messages": [{"role": "robot", "content": "x"}]}', JSON_HEADERS, 400, /messages\[0\]\.role/],
    ['content that is not text', 'POST', '/api/chat', '{"messages": [{"role": "user", "content": 5}]}', JSON_HEADERS, 400, /content must be a string/],
    ['a last message that is not the user\'s', 'POST', '/api/chat', '{"messages": [{"role": "assistant", "content": "x"}]}', JSON_HEADERS, 400, /last message/],
    ['a temperature out of range', 'POST', '/api/chat', '{"messages": [{"role": "user", "content": "x"}], "settings": {"temperature": -1}}', JSON_HEADERS, 400, /settings\.temperature must be between 0 and 100/],
    ['a fractional chain count', 'POST', '/api/chat', '{"messages": [{"role": "user", "content": "x"}], "settings": {"chains": 1.5}}', JSON_HEADERS, 400, /settings\.chains must be an integer/],
    ['a form post (no JSON content type)', 'POST', '/api/chat', '{}', { 'content-type': 'text/plain' }, 415, /Content-Type application\/json/],
    ['a load without a path', 'POST', '/api/models/load', '{}', JSON_HEADERS, 400, /path must be a string/],
    ['an empty path', 'POST', '/api/models/load', '{"path": "  "}', JSON_HEADERS, 400, /path must not be empty/],
    ['a stop without a request id', 'POST', '/api/chat/stop', '{}', JSON_HEADERS, 400, /requestId must be a string/],
    ['a conversation id with a slash', 'GET', '/api/conversations/..%2F..%2Fetc', undefined, {}, 400, /conversation id must be/],
    ['a conversation that is not an object', 'PUT', '/api/conversations/abc', '"text"', JSON_HEADERS, 400, /conversation must be a JSON object/],
    ['a conversation with a bad message', 'PUT', '/api/conversations/abc', '{"messages": [{"id": "m1", "role": "user"}]}', JSON_HEADERS, 400, /messages\[0\]\.content/],
    ['an id that does not match the URL', 'PUT', '/api/conversations/abc', '{"id": "xyz", "messages": []}', JSON_HEADERS, 400, /does not match/],
    ['an unknown API path', 'GET', '/api/nothing', undefined, {}, 404, /no such endpoint/],
    ['a wrong method', 'DELETE', '/api/chat', undefined, {}, 405, /DELETE is not allowed/],
  ])('%s', async (_what, method, path, body, headers, status, message) => {
    const r = await call(method, path, body, headers);
    expect(r.status).toBe(status);
    expect(r.json?.error?.message).toMatch(message);
    expect(typeof r.json?.error?.name).toBe('string');
  });

  test('chat without a loaded model is a 409 that says what to do', async () => {
    const r = await call('POST', '/api/chat', '{"messages": [{"role": "user", "content": "hi"}]}', JSON_HEADERS);
    expect(r.status).toBe(409);
    expect(r.json?.error).toEqual({ name: 'NoModelLoaded', message: expect.stringMatching(/no model is loaded/) });
  });

  test('uploads: a path that climbs out, a missing id, the wrong content type', async () => {
    const octet = { 'content-type': 'application/octet-stream' };
    let r = await call('POST', '/api/models/upload?upload=abcdef12&path=..%2F..%2Fevil', 'x', octet);
    expect(r.status).toBe(400);
    expect(r.json?.error?.message).toMatch(/may not contain ".."/);
    r = await call('POST', '/api/models/upload?path=a.safetensors', 'x', octet);
    expect(r.status).toBe(400);
    expect(r.json?.error?.message).toMatch(/upload query parameter must be a string/);
    r = await call('POST', '/api/models/upload?upload=abcdef12&path=a.safetensors', 'x', JSON_HEADERS);
    expect(r.status).toBe(415);
  });

  test('requests from another site or for another host name are refused', async () => {
    let r = await call('POST', '/api/chat/stop', '{"requestId": "x"}', { ...JSON_HEADERS, origin: 'https://evil.example' });
    expect(r.status).toBe(403);
    expect(r.json?.error?.message).toMatch(/evil\.example/);
    // fetch will not forge Host; a raw request can (as a DNS-rebinding page would).
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(t.server.url + '/api/state', { headers: { host: 'rebind.example:80' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  test('after all of that the server still answers', async () => {
    const r = await call('GET', '/api/state');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ model: null, loading: null, version: 'test' });
  });
});
