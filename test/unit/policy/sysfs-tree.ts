// Builds a fake sysfs directory in a temp folder: { BAT0: { type: 'Battery', capacity: '28' } }
// becomes <tmp>/BAT0/type and <tmp>/BAT0/capacity, with the trailing newline the kernel writes.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Tree = Record<string, Record<string, string>>;

const made: string[] = [];

export function sysfsTree(tree: Tree): string {
  const root = mkdtempSync(join(tmpdir(), 'colm-sysfs-'));
  made.push(root);
  for (const [dir, files] of Object.entries(tree)) {
    mkdirSync(join(root, dir), { recursive: true });
    for (const [file, text] of Object.entries(files)) writeFileSync(join(root, dir, file), `${text}\n`);
  }
  return root;
}

export function removeTrees(): void {
  for (const root of made.splice(0)) rmSync(root, { recursive: true, force: true });
}
