// Replays every input kept in test/fixtures/fuzz/ against the outcome its manifest records.
// Run with UPDATE_FUZZ_CORPUS=1 to (re)write the seed files defined in fuzz-corpus-seeds.ts.

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../app/checkpoint/config.js';
import { CheckpointError } from '../../../app/checkpoint/errors.js';
import { parseJsonText } from '../../../app/checkpoint/json-file.js';
import { readSafetensorsHeader } from '../../../app/checkpoint/safetensors.js';
import { configSeeds, headerSeeds, type Expectation, type Seed } from './fuzz-corpus-seeds.js';

const FUZZ_ROOT = fileURLToPath(new URL('../../fixtures/fuzz/', import.meta.url));
const MANIFEST = 'manifest.json';

type Manifest = Record<string, Expectation>;

function readManifest(folder: string): Manifest {
  const path = join(folder, MANIFEST);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Manifest) : {};
}

function writeSeeds(folder: string, seeds: Seed[]): void {
  mkdirSync(folder, { recursive: true });
  const manifest = readManifest(folder);
  for (const seed of seeds) {
    writeFileSync(join(folder, seed.file), seed.bytes);
    manifest[seed.file] = seed.outcome;
  }
  const sorted = Object.fromEntries(Object.entries(manifest).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(join(folder, MANIFEST), `${JSON.stringify(sorted, null, 2)}\n`);
}

async function outcomeOf(run: () => Promise<unknown>): Promise<{ ok: true } | { ok: false; error: unknown }> {
  try {
    await run();
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  }
}

function expectOutcome(file: string, expected: Expectation, got: { ok: true } | { ok: false; error: unknown }): void {
  if (expected.expect === 'ok') {
    expect(got.ok ? 'ok' : String((got as { error: unknown }).error), file).toBe('ok');
    return;
  }
  expect(got.ok, `${file} was accepted`).toBe(false);
  const error = (got as { error: unknown }).error;
  expect(error, file).toBeInstanceOf(CheckpointError);
  const checkpointError = error as CheckpointError;
  expect(checkpointError.rule, file).toContain(expected.rule);
  expect(checkpointError.message.startsWith(checkpointError.file), file).toBe(true);
  expect(checkpointError.message, file).not.toContain('\n');
  if (expected.tensor !== undefined) expect(checkpointError.tensor, file).toBe(expected.tensor);
  if (expected.key !== undefined) expect(checkpointError.key, file).toBe(expected.key);
}

function corpus(name: 'headers' | 'configs', seeds: () => Seed[], check: (path: string) => Promise<unknown>): void {
  const folder = join(FUZZ_ROOT, name);
  if (process.env['UPDATE_FUZZ_CORPUS'] === '1') writeSeeds(folder, seeds());
  const manifest = readManifest(folder);
  const files = existsSync(folder) ? readdirSync(folder).filter((f) => f !== MANIFEST && !f.startsWith('.')) : [];

  describe(`fuzz corpus: ${name}`, () => {
    it('has a manifest entry for every file and a file for every entry', () => {
      expect(files.length).toBeGreaterThan(10);
      expect([...files].sort()).toEqual(Object.keys(manifest).sort());
    });

    it('every seed defined in code is in the corpus', () => {
      for (const seed of seeds()) expect(manifest[seed.file], seed.file).toEqual(seed.outcome);
    });

    it.each(files)('%s', async (file) => {
      const expected = manifest[file];
      expect(expected, `${file} has no manifest entry`).toBeDefined();
      const path = join(folder, file);
      expectOutcome(file, expected!, await outcomeOf(() => check(path)));
    });
  });
}

corpus('headers', headerSeeds, (path) => readSafetensorsHeader(path));
corpus('configs', configSeeds, async (path) => parseConfig(parseJsonText(readFileSync(path, 'utf8'), path), path));
