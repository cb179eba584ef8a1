// The built UI is served from its folder only, and a folder checkpoint uploaded file by file
// (as a browser sends a dropped folder) loads in the real engine host.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';

import { sseEvents, startTestServer, type TestServer } from './server-helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ startHost: true });
  writeFileSync(join(t.rendererDir, 'index.html'), '<!doctype html><title>ui</title>');
  mkdirSync(join(t.rendererDir, 'assets'));
  writeFileSync(join(t.rendererDir, 'assets', 'app-1234.js'), 'console.log(1)');
});
afterAll(() => t.close());

function rawGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = request(t.server.url + '/', { path }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

test('static files: index, hashed assets, a fallback for UI paths, nothing outside the folder', async () => {
  const index = await fetch(t.server.url + '/');
  expect(index.status).toBe(200);
  expect(index.headers.get('content-security-policy')).toContain("default-src 'self'");
  expect(await index.text()).toContain('<title>ui</title>');
  const asset = await fetch(t.server.url + '/assets/app-1234.js');
  expect(asset.headers.get('content-type')).toMatch(/javascript/);
  expect(asset.headers.get('cache-control')).toMatch(/immutable/);
  expect((await fetch(t.server.url + '/some/ui/route')).status).toBe(200);
  expect((await fetch(t.server.url + '/missing.js')).status).toBe(404);
  // A raw path that climbs out of the folder gets the UI, never the file.
  for (const path of ['/../package.json', '/..%2F..%2Fpackage.json', '/%2e%2e/%2e%2e/package.json']) {
    const r = await rawGet(path);
    expect(r.body).not.toContain('"name": "colm-desktop"');
  }
});

test('a folder checkpoint uploaded file by file loads, and the chat streams from it', async () => {
  const folder = resolve('test/fixtures/models/llama_gqa');
  const files = readdirSync(folder);
  let last: Response | null = null;
  for (let i = 0; i < files.length; i++) {
    const name = files[i]!;
    const isLast = i === files.length - 1;
    const query = `upload=folder01&path=${encodeURIComponent(`llama_gqa/${name}`)}${isLast ? '&last=1' : ''}`;
    const response = await fetch(`${t.server.url}/api/models/upload?${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: readFileSync(join(folder, name)),
    });
    expect(response.status).toBe(200);
    if (isLast) last = response;
    else expect(await response.json()).toEqual({ received: readFileSync(join(folder, name)).length });
  }
  const events = sseEvents(await last!.text());
  expect(events.at(-1)).toMatchObject({ type: 'loaded', model: { name: 'llama_gqa', chainCount: 1 } });
  expect(readdirSync(join(t.dataDir, 'models', 'folder01', 'llama_gqa')).sort()).toEqual([...files].sort());

  const chat = await fetch(`${t.server.url}/api/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], settings: { maxTokens: 8, seed: 3 } }),
  });
  const chatEvents = sseEvents(await chat.text());
  expect(chatEvents[0]).toMatchObject({ type: 'start', requestId: expect.any(String) });
  expect(chatEvents.filter((e) => e.type === 'tokens').length).toBeGreaterThan(0);
  expect(chatEvents.at(-1)).toMatchObject({ type: 'done', summary: { generatedTokens: expect.any(Number) } });
});

test('an upload that is not a checkpoint reports the loader error and is removed', async () => {
  const response = await fetch(`${t.server.url}/api/models/upload?upload=junk0001&path=junk.safetensors&last=1`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
  });
  const events = sseEvents(await response.text());
  expect(events.at(-1)).toMatchObject({ type: 'error', error: { name: 'CheckpointError', message: expect.stringMatching(/^junk\.safetensors: /) } });
  expect(readdirSync(join(t.dataDir, 'models'))).toEqual(['folder01']);
  // The model loaded before is still the current one.
  const state = await (await fetch(`${t.server.url}/api/state`)).json();
  expect(state.model.name).toBe('llama_gqa');
});
