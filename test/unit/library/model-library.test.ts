// The model library on disk: most recent first, one entry per path, forgotten on request, and a
// damaged file read as an empty library rather than an error.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';

import { libraryId, ModelLibrary } from '../../../app/library/model-library.js';
import { fakeModel } from '../renderer/fake-bridge.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'colm-library-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const model = (name: string, chains = 4) => ({ ...fakeModel(chains, name), path: `/models/${name}` });

test('records loads most recent first, one entry per path, with what the panel shows', async () => {
  const library = new ModelLibrary(dir);
  await library.record(model('a.safetensors'));
  await library.record(model('b.safetensors', 2));
  await library.record(model('a.safetensors'));
  const entries = await library.list();
  expect(entries.map((e) => e.name)).toEqual(['a.safetensors', 'b.safetensors']);
  expect(entries[1]).toMatchObject({
    id: libraryId('/models/b.safetensors'),
    path: '/models/b.safetensors',
    bytes: 400_000,
    kvSharing: true,
    chainCount: 2,
    chainRatios: [1, 1],
    parameters: [20_000, 80_000],
  });
  expect(readdirSync(dir)).toEqual(['library.json']); // written atomically: no temporary files left
});

test('concurrent records are all kept; remove forgets one and answers it', async () => {
  const library = new ModelLibrary(dir);
  await Promise.all(['a', 'b', 'c'].map((n) => library.record(model(`${n}.safetensors`))));
  expect((await library.list()).map((e) => e.name).sort()).toEqual(['a.safetensors', 'b.safetensors', 'c.safetensors']);
  const removed = await library.remove(libraryId('/models/b.safetensors'));
  expect(removed?.name).toBe('b.safetensors');
  expect(await library.remove('0000000000000000')).toBeNull();
  expect((await library.list()).map((e) => e.name).sort()).toEqual(['a.safetensors', 'c.safetensors']);
});

test('a damaged file is an empty library, and the next record repairs it', async () => {
  writeFileSync(join(dir, 'library.json'), '{ not json');
  const library = new ModelLibrary(dir);
  expect(await library.list()).toEqual([]);
  await library.record(model('a.safetensors'));
  expect((await library.list()).map((e) => e.name)).toEqual(['a.safetensors']);
});

test('one file is one entry, however it was reached: a symlink, a relative path, a second add', async () => {
  const { mkdirSync, symlinkSync, writeFileSync: write } = await import('node:fs');
  const { relative } = await import('node:path');
  const models = join(dir, 'models');
  mkdirSync(models);
  const real = join(models, 'llama.gguf');
  write(real, 'GGUF');
  symlinkSync(real, join(dir, 'link.gguf'));
  const library = new ModelLibrary(dir);
  const gguf = (path: string) => ({ ...model('llama.gguf', 1), path, packaging: 'gguf', modelType: 'llama', weightType: 'Q4_K', contextLength: 131072 });
  await library.record(gguf(real));
  await library.record(gguf(join(dir, 'link.gguf')));
  await library.record(gguf(relative(process.cwd(), real)));
  await library.record(gguf(join(models, '.', '..', 'models', 'llama.gguf')));
  const entries = await library.list();
  expect(entries).toHaveLength(1);
  expect(entries[0]).toMatchObject({ path: real, id: libraryId(real), modelType: 'llama', weightType: 'Q4_K', contextLength: 131072, fileKind: 'gguf' });
});

test('entries say the file kind: folder, safetensors file or gguf', async () => {
  const library = new ModelLibrary(dir);
  await library.record({ ...model('folder-model'), packaging: 'folder' });
  await library.record({ ...model('sharded'), packaging: 'sharded-folder' });
  await library.record({ ...model('one.safetensors'), packaging: 'single-file' });
  await library.record({ ...model('q.gguf'), packaging: 'gguf' });
  const kinds = Object.fromEntries((await library.list()).map((e) => [e.name, e.fileKind]));
  expect(kinds).toEqual({ 'folder-model': 'folder', sharded: 'folder', 'one.safetensors': 'safetensors', 'q.gguf': 'gguf' });
});
