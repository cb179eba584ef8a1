// The Python oracle of the tests: .venv-py/ (scripts/python-env.mjs, run by npm test) with
// transformers, tokenizers and gguf pinned. Tests that compare against it fail, never skip, when it
// is missing: .ci/run must prove the comparisons ran.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const PYTHON = resolve('.venv-py/bin/python');

export function requirePython(): string {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run node scripts/python-env.mjs (npm test does)`);
  return PYTHON;
}

/** Runs a script of test/python/ (or any path) with the oracle's Python; returns stdout, throws with stderr. */
export function runPython(script: string, args: string[] = [], options: { timeoutMs?: number; input?: string } = {}): string {
  const python = requirePython();
  try {
    return execFileSync(python, [resolve(script), ...args], {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
      timeout: options.timeoutMs ?? 300_000,
      input: options.input,
      env: { ...process.env, PYTHONHASHSEED: '0', TOKENIZERS_PARALLELISM: 'false', HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' },
    });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${script} failed: ${e.stderr?.trim() || e.message}`);
  }
}
