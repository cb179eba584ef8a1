// The model used when the command line names none: the default model shipped in models/, or,
// in a checkout where it has not been trained yet, the smallest test fixture.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function repoRoot(): string {
  // app/cli/*.ts in a checkout, dist/app/cli/*.js once built.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(resolve(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

/** `root`: the folder holding package.json. Electron passes its app path: in its bundle, import.meta.url is the bundle's. */
export function defaultModelPath(root = repoRoot()): string {
  const candidates = [
    resolve(root, 'models/colm-default.safetensors'),
    resolve(root, 'test/fixtures/models/air4_f32.safetensors'),
  ];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`no default model: looked for ${candidates.join(' and ')}`);
  return found;
}
