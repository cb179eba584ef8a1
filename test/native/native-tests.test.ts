// Runs the C++ test executable (kernels and engine pieces against their scalar references)
// and fails when any native test fails.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, test } from 'vitest';

const exe = resolve('build/native/colm_native_tests');

test('native test executable passes every test', () => {
  expect(existsSync(exe), `${exe} is built by npm run build:native`).toBe(true);
  const run = spawnSync(exe, [], { encoding: 'utf8', timeout: 600_000 });
  const summary = /(\d+) passed, (\d+) failed/.exec(run.stdout);
  expect(summary, run.stdout + run.stderr).not.toBeNull();
  expect(Number(summary![1])).toBeGreaterThan(0);
  expect(run.status, run.stdout + run.stderr).toBe(0);
});
