#!/usr/bin/env node
// Makes .venv-py/: the Python the tests use as their oracle (transformers, tokenizers, gguf), with
// the versions pinned in test/python/requirements.txt. Idempotent: a venv whose stamp matches the
// requirements is kept. Fails loudly (exit 1, saying what to install) rather than letting the
// oracle tests skip: a test that compares against nothing proves nothing.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const venv = join(root, '.venv-py');
const python = join(venv, 'bin', 'python');
const requirementsFile = join(root, 'test', 'python', 'requirements.txt');
const stampFile = join(venv, 'colm-requirements.txt');
const requirements = readFileSync(requirementsFile, 'utf8');

function run(command, args) {
  execFileSync(command, args, { stdio: 'inherit', cwd: root });
}

function fail(message) {
  console.error(`python-env: ${message}`);
  process.exit(1);
}

if (existsSync(python) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === requirements) {
  process.exit(0);
}

const basePython = process.env.COLM_PYTHON ?? 'python3';
try {
  execFileSync(basePython, ['-c', 'import sys, venv; assert sys.version_info >= (3, 10)'], { stdio: 'ignore' });
} catch {
  fail(`${basePython} (3.10 or newer, with venv) is needed for the oracle tests: apt-get install -y python3 python3-venv, or set COLM_PYTHON`);
}

console.log(`python-env: creating ${venv} (${requirementsFile})`);
try {
  run(basePython, ['-m', 'venv', '--clear', venv]);
  // The wheel mirror's own index, where this machine has one, spares pip the retries of a public
  // index it cannot reach; elsewhere pip's own configuration decides.
  const mirror = '/opt/pypi/simple';
  const indexArgs = existsSync(mirror) ? ['--index-url', `file://${mirror}`] : [];
  run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...indexArgs, '-r', requirementsFile]);
} catch (error) {
  fail(`installing ${requirementsFile} into .venv-py failed (${error.message}); the oracle tests need these packages`);
}
writeFileSync(stampFile, requirements);
console.log('python-env: ready');
