// The same checkpoint dropped (or picked with Open...) twice in browser mode: the second upload
// gives way to the first copy, so the data folder holds it once and the library has one entry,
// which says the model's family, weight type, context length and file kind.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';

import type { LibraryEntry } from '../../../app/library/library-types.js';
import { sseEvents, startTestServer, type TestServer } from './server-helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ startHost: true });
});
afterAll(() => t.close());

const fixture = resolve('test/fixtures/models/air4_f32.safetensors');

async function upload(uploadId: string): Promise<Array<Record<string, unknown>>> {
  const response = await fetch(`${t.server.url}/api/models/upload?upload=${uploadId}&path=air4_f32.safetensors&last=1`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: readFileSync(fixture),
  });
  return sseEvents(await response.text()) as Array<Record<string, unknown>>;
}

async function library(): Promise<LibraryEntry[]> {
  return (await (await fetch(`${t.server.url}/api/models/library`)).json()) as LibraryEntry[];
}

test('a file uploaded twice is kept once and listed once, with what it is', async () => {
  expect((await upload('first001')).at(-1)).toMatchObject({ type: 'loaded' });
  expect((await upload('second02')).at(-1)).toMatchObject({ type: 'loaded', model: { path: join(t.dataDir, 'models', 'first001', 'air4_f32.safetensors') } });
  expect(readdirSync(join(t.dataDir, 'models'))).toEqual(['first001']);
  let entries: LibraryEntry[] = [];
  for (let i = 0; i < 50 && entries.length === 0; i++) {
    entries = await library();
    if (entries.length === 0) await new Promise((r) => setTimeout(r, 20));
  }
  expect(entries).toHaveLength(1);
  expect(entries[0]).toMatchObject({ name: 'air4_f32.safetensors', modelType: 'colm', weightType: 'F32', fileKind: 'safetensors', contextLength: expect.any(Number) });
});
