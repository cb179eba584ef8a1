// Where the engine host's compiled entry lives. Built code (dist/app/host) forks its sibling;
// code run from TypeScript sources (the tests) forks the build in dist/, which `npm test` makes
// first, so the child never needs a TypeScript loader.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function defaultHostEntry(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const sibling = join(here, 'engine-host.js');
  if (existsSync(sibling)) return sibling;
  const built = resolve(here, '../../dist/app/host/engine-host.js');
  if (existsSync(built)) return built;
  throw new Error(`the engine host is not built: run "npm run build" (looked for ${sibling} and ${built})`);
}
