// Conversation files and the model library over HTTP: export as Markdown or JSON (a download),
// import JSON as a new conversation, list the library and forget an entry (deleting our copy of
// a dropped checkpoint). No engine is needed.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { ModelLibrary } from '../../../app/library/model-library.js';
import { fakeModel } from '../renderer/fake-bridge.js';
import { startTestServer, type TestServer } from './server-helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

const JSON_HEADERS = { 'content-type': 'application/json' };
const conversation = {
  id: 'c1',
  title: 'Über chains',
  createdAt: 1000,
  updatedAt: 2000,
  messages: [
    { id: 'm1', role: 'user', content: 'hi' },
    { id: 'm2', role: 'assistant', content: 'hello', tokens: [{ chains: 2, text: 'hello' }] },
  ],
};

describe('export and import', () => {
  beforeAll(async () => {
    await fetch(`${t.server.url}/api/conversations/c1`, { method: 'PUT', headers: JSON_HEADERS, body: JSON.stringify(conversation) });
  });

  test('Markdown comes as a download named after the title', async () => {
    const response = await fetch(`${t.server.url}/api/conversations/c1/export?format=markdown`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="Uber-chains.md"; filename*=UTF-8''Uber-chains.md`);
    const text = await response.text();
    expect(text).toContain('# Über chains');
    expect(text).toContain('tokens by chain count: 2×1');
  });

  test('JSON exports, then imports back as a new conversation', async () => {
    const exported = await (await fetch(`${t.server.url}/api/conversations/c1/export?format=json`)).json();
    expect(exported).toMatchObject({ kind: 'colm-conversation', version: 1, conversation: { id: 'c1' } });
    const response = await fetch(`${t.server.url}/api/conversations/import`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(exported) });
    expect(response.status).toBe(200);
    const imported = await response.json();
    expect(imported.id).not.toBe('c1');
    expect(imported.messages.map((m: { content: string }) => m.content)).toEqual(['hi', 'hello']);
    const list = await (await fetch(`${t.server.url}/api/conversations`)).json();
    expect(list.map((c: { id: string }) => c.id).sort()).toEqual(['c1', imported.id].sort());
  });

  test.each([
    ['an unknown format', 'GET', '/api/conversations/c1/export?format=pdf', undefined, 400, /format must be one of json, markdown/],
    ['a missing conversation', 'GET', '/api/conversations/nope/export', undefined, 404, /no conversation "nope"/],
    ['an import that is not ours', 'POST', '/api/conversations/import', '{"kind":"other"}', 400, /not a CoLM conversation/],
    ['an import with broken messages', 'POST', '/api/conversations/import', '{"messages":[{"role":"user"}]}', 400, /messages\[0\]\.content must be a string/],
  ])('%s is refused', async (_what, method, path, body, status, message) => {
    const response = await fetch(t.server.url + path, { method, headers: body ? JSON_HEADERS : {}, body });
    expect(response.status).toBe(status);
    expect((await response.json()).error.message).toMatch(message);
  });
});

describe('model library', () => {
  test('lists what was loaded and forgets an entry; our copy of a dropped model goes with it', async () => {
    expect(await (await fetch(`${t.server.url}/api/models/library`)).json()).toEqual([]);
    const uploaded = join(t.dataDir, 'models', 'up1', 'air.safetensors');
    mkdirSync(join(t.dataDir, 'models', 'up1'), { recursive: true });
    writeFileSync(uploaded, 'weights');
    const library = new ModelLibrary(t.dataDir);
    await library.record({ ...fakeModel(4), path: '/elsewhere/mine.safetensors', name: 'mine.safetensors' });
    await library.record({ ...fakeModel(2), path: uploaded, name: 'air.safetensors' });

    const entries = await (await fetch(`${t.server.url}/api/models/library`)).json();
    expect(entries.map((e: { name: string }) => e.name)).toEqual(['air.safetensors', 'mine.safetensors']);
    expect(entries[0]).toMatchObject({ chainCount: 2, parameters: [20_000, 80_000], kvSharing: true, bytes: 400_000 });

    expect((await fetch(`${t.server.url}/api/models/library/${entries[0].id}`, { method: 'DELETE' })).status).toBe(200);
    expect(existsSync(join(t.dataDir, 'models', 'up1'))).toBe(false);
    expect((await fetch(`${t.server.url}/api/models/library/${entries[0].id}`, { method: 'DELETE' })).status).toBe(404);
    // A model elsewhere on disk is only forgotten, never deleted (it is not ours).
    expect((await fetch(`${t.server.url}/api/models/library/${entries[1].id}`, { method: 'DELETE' })).status).toBe(200);
    expect(await (await fetch(`${t.server.url}/api/models/library`)).json()).toEqual([]);
  });
});
