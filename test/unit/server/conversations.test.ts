// Conversations over HTTP: saved atomically as JSON files, listed newest first, read back,
// deleted; damaged files are skipped rather than breaking the list.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';

import { startTestServer, type TestServer } from './server-helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

const put = (id: string, body: unknown) =>
  fetch(`${t.server.url}/api/conversations/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

test('save, list, read back and delete', async () => {
  const first = { id: 'c1', title: 'First', createdAt: 1000, updatedAt: 1000, messages: [{ id: 'm1', role: 'user', content: 'hi' }] };
  const second = {
    id: 'c2',
    title: 'Second',
    createdAt: 2000,
    updatedAt: 2000,
    messages: [
      { id: 'm1', role: 'user', content: 'hello' },
      { id: 'm2', role: 'assistant', content: 'yo', tokens: [{ chains: 3, text: 'yo' }], stats: { finishReason: 'stop' } },
    ],
  };
  expect((await put('c1', first)).status).toBe(200);
  expect((await put('c2', second)).status).toBe(200);

  const folder = join(t.dataDir, 'conversations');
  expect(readdirSync(folder).sort()).toEqual(['c1.json', 'c2.json']); // no temporary files left
  expect(JSON.parse(readFileSync(join(folder, 'c2.json'), 'utf8')).messages[1].tokens).toEqual([{ chains: 3, text: 'yo' }]);

  writeFileSync(join(folder, 'broken.json'), '{ half a conver');
  const list = await (await fetch(`${t.server.url}/api/conversations`)).json();
  expect(list).toEqual([
    { id: 'c2', title: 'Second', updatedAt: 2000, messageCount: 2 },
    { id: 'c1', title: 'First', updatedAt: 1000, messageCount: 1 },
  ]);

  const back = await (await fetch(`${t.server.url}/api/conversations/c2`)).json();
  expect(back).toEqual(second);

  expect((await fetch(`${t.server.url}/api/conversations/c1`, { method: 'DELETE' })).status).toBe(200);
  expect((await fetch(`${t.server.url}/api/conversations/c1`)).status).toBe(404);
  expect((await fetch(`${t.server.url}/api/conversations/c1`, { method: 'DELETE' })).status).toBe(404);
});

test('an overwrite replaces the whole file', async () => {
  await put('c3', { title: 'v1', messages: [{ id: 'a', role: 'user', content: 'one' }] });
  await put('c3', { title: 'v2', messages: [] });
  const back = await (await fetch(`${t.server.url}/api/conversations/c3`)).json();
  expect(back).toMatchObject({ id: 'c3', title: 'v2', messages: [] });
});
