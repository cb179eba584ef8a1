// The API's failures over HTTP, with no model loaded and no engine: every one is an OpenAI error
// object with the right status, and the server keeps serving after each.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import OpenAI from 'openai';

import { rawRequest, startApiTestServer, type ApiTestServer } from './api-test-server.js';

const JSON_TYPE = { 'content-type': 'application/json' };

describe('the API with a key and no model', () => {
  let t: ApiTestServer;
  beforeAll(async () => {
    t = await startApiTestServer({ openAi: { apiKey: 'k3y', maxWaiting: 3 } });
  });
  afterAll(() => t?.close());

  const authed = { ...JSON_TYPE, authorization: 'Bearer k3y' };

  test('GET /v1/models lists nothing yet; /health needs no key and shows the queue limits', async () => {
    const client = new OpenAI({ baseURL: t.baseURL, apiKey: 'k3y', maxRetries: 0 });
    const models = await client.models.list();
    expect(models.data).toEqual([]);
    const health = await rawRequest(`${t.server.url}/health`);
    expect(health.status).toBe(200);
    expect(health.json).toEqual({
      status: 'ok',
      engine: 'stopped',
      model: null,
      loading: null,
      queue: { running: 0, waiting: 0, max_running: 1, max_waiting: 3 },
    });
  });

  test('without the key the official client gets an AuthenticationError', async () => {
    const client = new OpenAI({ baseURL: t.baseURL, apiKey: 'wrong', maxRetries: 0 });
    const error = await client.models.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('invalid_api_key');
  });

  test.each([
    ['no key', 'POST', '/v1/chat/completions', '{}', JSON_TYPE, 401, 'invalid_api_key', /needs an API key/],
    ['malformed JSON', 'POST', '/v1/chat/completions', '{"model": ', authed, 400, 'invalid_json', /not valid JSON/],
    ['JSON that is no object', 'POST', '/v1/completions', '[1]', authed, 400, 'invalid_json', /must be a JSON object/],
    ['no model field', 'POST', '/v1/chat/completions', '{"messages": []}', authed, 400, 'missing_required_parameter', /model must be a string/],
    ['a model of the wrong type', 'POST', '/v1/chat/completions', '{"model": 5}', authed, 400, 'invalid_type', /model must be a string/],
    ['an unknown model', 'POST', '/v1/chat/completions', '{"model": "gpt-9", "messages": [{"role": "user", "content": "hi"}]}', authed, 404, 'model_not_found', /"gpt-9" does not exist here: no model is loaded/],
    ['an unknown model by id', 'GET', '/v1/models/gpt-9', undefined, authed, 404, 'model_not_found', /gpt-9/],
    ['no JSON content type', 'POST', '/v1/completions', '{}', { authorization: 'Bearer k3y', 'content-type': 'text/plain' }, 415, 'unsupported_media_type', /application\/json/],
    ['an unknown endpoint', 'POST', '/v1/embeddings', '{}', authed, 404, 'unknown_url', /no such endpoint/],
    ['a wrong method', 'DELETE', '/v1/models', undefined, authed, 405, 'method_not_allowed', /DELETE is not allowed/],
  ])('%s', async (_what, method, path, body, headers, status, code, message) => {
    const r = await rawRequest(t.server.url + path, { method, body, headers });
    expect(r.status).toBe(status);
    expect(r.json.error).toMatchObject({ code, message: expect.stringMatching(message) });
    expect(['invalid_request_error', 'rate_limit_error', 'server_error']).toContain(r.json.error?.type);
    expect((await rawRequest(`${t.server.url}/health`)).status).toBe(200); // still serving
  });

  test('a body over 1 MiB is a 413, declared or streamed, and the server goes on', async () => {
    const big = JSON.stringify({ model: 'x', prompt: 'a'.repeat(2 ** 20 + 10) });
    let r = await rawRequest(`${t.baseURL}/completions`, { method: 'POST', body: big, headers: authed });
    expect(r.status).toBe(413);
    expect(r.json.error?.code).toBe('request_too_large');
    // No content-length: the limit holds while the body arrives.
    const chunks = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(300_000)));
        controller.close();
      },
    });
    r = await rawRequest(`${t.baseURL}/completions`, { method: 'POST', body: chunks, headers: authed, duplex: 'half' } as RequestInit);
    expect(r.status).toBe(413);
    expect((await rawRequest(`${t.server.url}/health`)).status).toBe(200);
  });

  test('another site cannot call the API (no CORS), answered in OpenAI form', async () => {
    const r = await rawRequest(`${t.baseURL}/models`, { headers: { authorization: 'Bearer k3y', origin: 'https://evil.example' } });
    expect(r.status).toBe(403);
    expect(r.json.error?.code).toBe('forbidden');
  });
});

describe('the API turned off (the desktop app default)', () => {
  let t: ApiTestServer;
  beforeAll(async () => {
    t = await startApiTestServer({ openAi: null });
  });
  afterAll(() => t?.close());

  test('/v1 and /health answer 404, saying the API is off', async () => {
    for (const path of ['/v1/models', '/health']) {
      const r = await rawRequest(t.server.url + path);
      expect(r.status).toBe(404);
      expect(r.json.error?.message).toMatch(/API is off/);
    }
  });
});
